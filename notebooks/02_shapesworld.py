# %% [markdown]
# # 02 · ShapesWorld

# %% [markdown]
# **What you will learn.** The world DreamLite-Nano lives in, and how its generations and edits are judged. No
# benchmark judge of the paper (Mask2Former + CLIP for GenEval, mPLUG for DPG-Bench, GPT-4.1 for ImgEdit, a
# Qwen2.5-VL for GEdit) runs on this CPU, and no image data can be downloaded. So we draw scenes of coloured shapes
# with exact ground truth, write prompts in the benchmarks' own templates, and score images with programmatic
# judges that follow each benchmark's rules. Every judge is calibrated here: the *oracle* (ground-truth renders)
# shows its ceiling, *chance* (the same renders paired with the wrong prompts) its floor.
#
# **Paper part.** None directly: this is the companion's stand-in for the paper's data and for the four benchmark
# columns of its headline table (GenEval, DPG-Bench, ImgEdit, GEdit-EN-Q; notebook 00).
#
# **Cost.** About a minute under `smoke`, a few minutes under `default` (the public benchmarks' item counts and
# full-size data cards), the same under `paper`. Nothing is trained, and it reuses no earlier artifacts; notebooks
# 03-06 reuse its items through `dreamlite_core.world` and its judges through `dreamlite_core.eval`.

# %% tags=["parameters"]
profile = "smoke"
seed = 0
output_dir = "runs/smoke"

# %%
import time

from dreamlite_core import eval as mini
from dreamlite_core.eval.plots import plot_calibration, plot_confusion, plot_gates
from dreamlite_core.repro import Run, new_figure
from dreamlite_core.world import (COLORS, SHAPES, SPLITS, make_edit_items, make_t2i_items, render_scenes)
from dreamlite_core.world.cards import write_data_cards
from dreamlite_core.world.edit import EDIT_OPS, EDIT_TYPES
from dreamlite_core.world.plots import show_backgrounds, show_edit_items, show_t2i_items, show_vocabulary
from dreamlite_core.world.splits import HELD_OUT_KEYS
from dreamlite_core.world.t2i import T2I_TASKS

run = Run("02_shapesworld", profile=profile, seed=seed, output_dir=output_dir)
world = run.section("world")
judge = run.section("eval")
size = world["size"]

# %% [markdown]
# ## The vocabulary
# Five shapes stand in for GenEval's 80 COCO classes; the colours are GenEval's ten. Each scene is rendered at 4x
# and box-filtered, so edges are anti-aliased, and at 32x32 px (the nano resolution: the nano VAE turns it into 8x8
# latents) the shapes stay apart. Backgrounds are none of the object colours; the alternatives exist for
# "change the background" edits and for the global facts of DPG paragraphs.

# %%
fig, axes = new_figure(len(SHAPES), len(COLORS), size="wide")
show_vocabulary(axes, size)
run.figure(fig, "02_vocabulary")
fig, axes = new_figure(1, 4, size="wide")
show_backgrounds(axes, size)
run.figure(fig, "02_backgrounds")

# %% [markdown]
# ## Text-to-image items
# GenEval's six templates, verbatim with shapes for objects ("a photo of three crosses", "a photo of a circle left
# of a star"), and dense DPG-style paragraphs of 3-8 objects. Each item carries its ground-truth scene and the
# spec its judge checks (GenEval's own metadata format; for DPG, the question graph).

# %%
examples = [make_t2i_items("validation", 1, seed + k, task_weights={task: 1})[0]
            for k, task in enumerate(T2I_TASKS)]
fig, axes = new_figure(2, 4, size="grid")
show_t2i_items(axes, examples, size)
run.figure(fig, "02_t2i_examples")
for it in examples:
    print(f"{it.task:>13}: {it.prompt}")

# %% [markdown]
# A DPG paragraph and its question graph. A child question (an attribute, a relation) scores zero when a parent
# (the entity it is about) fails, as in DPG-Bench.

# %%
import pandas as pd

dpg_item = examples[-1]
questions = pd.DataFrame([{"id": q["id"], "category": q["category"], "question": q["question"],
                           "parents": ",".join(map(str, q["parents"]))} for q in dpg_item.spec["questions"]])
run.table(questions, "02_dpg_question_graph")
questions

# %% [markdown]
# ## Edit items
# Source scene, instruction, target scene and edit mask, for ImgEdit's nine edit types; each item also names one of
# GEdit-Bench's eleven groups. The mapping (printed below, and in the data card) is ours: a world of shapes has no
# portraits and no text, so resizing a subject and changing a glyph's form stand in for GEdit's `ps_human` and
# `text_change`.

# %%
edit_examples = [make_edit_items("validation", 1, seed + k, type_weights={t: 1})[0]
                 for k, t in enumerate(EDIT_TYPES)]
fig, axes = new_figure(len(edit_examples), 3, size="tall")
show_edit_items(axes, edit_examples, size)
run.figure(fig, "02_edit_examples")
mapping = pd.DataFrame([{"op": op, "ImgEdit type": t, "GEdit group": g} for op, (t, g) in EDIT_OPS.items()])
run.table(mapping, "02_edit_mapping")
mapping

# %% [markdown]
# ## Splits: a held-out test of unseen compositions
# GenEval and DPG-Bench measure *composition*. The test split holds compositions (colour-shape pairs, counting
# prompts, two-object pairs, position pairs) that never occur in train or validation, neither in text nor in any
# rendered scene. We check it on the data-card items.

# %%
card_t2i = {s: make_t2i_items(s, world["card_t2i"][s], seed) for s in SPLITS}
card_edit = {s: make_edit_items(s, world["card_edit"][s], seed) for s in SPLITS}


def keys_of(items):
    return set().union(*(it.composition_keys() for it in items))


seen_in_training = (keys_of(card_t2i["train"]) | keys_of(card_t2i["validation"])
                    | keys_of(card_edit["train"]) | keys_of(card_edit["validation"]))
test_held = (keys_of(card_t2i["test"]) | keys_of(card_edit["test"])) & HELD_OUT_KEYS
split_check = {
    "held_out_compositions": len(HELD_OUT_KEYS),
    "held_out_seen_in_train_or_validation": len(seen_in_training & HELD_OUT_KEYS),
    "held_out_present_in_test": len(test_held),
    "test_items_without_held_out": sum(not (it.composition_keys() & HELD_OUT_KEYS)
                                       for s in ("test",) for it in card_t2i[s] + card_edit[s]),
}
split_check

# %% [markdown]
# ## How fast is the world?
# Training renders every scene once; the renderer caches each object's anti-aliased coverage sprite, so a scene
# costs a few small array operations per object.

# %%
speed_items = make_t2i_items("train", world["speed_scenes"], seed)
t0 = time.perf_counter()
render_scenes([it.scene for it in speed_items], size)
t_cold = time.perf_counter() - t0
t0 = time.perf_counter()
render_scenes([it.scene for it in speed_items], size)
t_warm = time.perf_counter() - t0
render_speed = {"scenes": len(speed_items), "cold_scenes_per_s": len(speed_items) / t_cold,
                "warm_scenes_per_s": len(speed_items) / t_warm}
print(f"{render_speed['warm_scenes_per_s']:.0f} scenes/s at {size} px "
      f"({render_speed['cold_scenes_per_s']:.0f} while the sprite cache fills)")

# %% [markdown]
# ## The detector
# Every judge reads images through one detector, calibrated on renders: colour unmixing against the background,
# connected components per colour, and shape by soft IoU with a bank of rendered references. Its confidence is
# gated on the shape quality (how well the best reference fits), the margin to the next shape, and the colour
# residual. Without gates a checker rewards blobs; the histograms show renders and junk (noise blobs, random
# polygons, ellipses, fused pairs) against GenEval's two thresholds.

# %%
confusion = mini.detector_confusion(
    make_t2i_items("validation", judge["confusion_scenes"], seed)
    + make_edit_items("validation", judge["confusion_scenes"] // 4, seed), size)
fig, ax = new_figure(1, 1, size="single")
plot_confusion(ax, confusion)
run.figure(fig, "02_detector_confusion")
print({k: round(v, 4) for k, v in confusion.items() if k.endswith("accuracy") or k.startswith("spurious")})

# %%
gates = mini.gate_statistics(make_t2i_items("validation", judge["confusion_scenes"], seed + 1),
                             mini.junk_images(judge["junk_images"], size, seed), size)
fig, axes = new_figure(1, 2, size="wide")
plot_gates(axes, gates)
run.figure(fig, "02_detector_gates")
gate_summary = {name: {k: gates[name][k] for k in ("n", "pass_0.3", "pass_0.9")} for name in ("renders", "junk")}
gate_summary

# %% [markdown]
# ## Calibration: oracle and chance for each mini benchmark
# Items come from the held-out test split (`mini.benchmark_items`: each benchmark's own balanced set). Notebooks 04-06
# score their models on smaller sets of the same split (`train.stages.eval_items`: equal GenEval tasks and ImgEdit
# types; `train.stages.gedit_eval_items`: equal GEdit groups) and print oracle and chance on those very items. The
# oracle scores the ground-truth renders; chance shuffles images between items of the same task or edit type; for
# edits, *identity* returns the source unchanged (a no-op edit).

# %%
sizes = {"geneval": judge["geneval_items"], "dpg": judge["dpg_items"], "imgedit": judge["imgedit_items"],
         "gedit": judge["gedit_items"]}
calibration, tables = {}, {}
for bench, n in sizes.items():
    items = mini.benchmark_items(bench, n, split="test", seed=seed)
    calibration[bench] = mini.calibration_points(bench, items, size=size, seed=seed)
    tables[bench] = mini.benchmark_table({}, calibration[bench])
    run.table(tables[bench], f"02_{bench}_calibration")
    print(f"\n{bench} ({n} items, {size} px)")
    print(tables[bench].to_markdown(index=False, floatfmt=".3f"))

# %%
tops = {"geneval": 1.0, "dpg": 100.0, "imgedit": 5.0, "gedit": 10.0}
fig, axes = new_figure(1, 4, size="wide")
for ax, bench in zip(axes, sizes):
    plot_calibration(ax, tables[bench], top=tops[bench], title=f"mini-{bench}")
run.figure(fig, "02_calibration")

# %% [markdown]
# The oracle must sit at the top of each scale on every task, category, type and group, and chance far below;
# the worst sub-score of each oracle is printed here, read from the tables above.

# %%
sub_key = {"geneval": "by_task", "dpg": "by_category", "imgedit": "by_type", "gedit": "by_group"}
worst_oracle = {b: min(calibration[b]["oracle"][sub_key[b]].values()) / tops[b] for b in sizes}
print({b: round(v, 4) for b, v in worst_oracle.items()}, "(fraction of the scale's top)")

# %% [markdown]
# ## Other resolutions
# The renderer and the judges work at any size; the oracle is re-measured at each size of this profile.

# %%
oracle_by_size = {}
for s in judge["sizes"]:
    oracle_by_size[s] = {b: mini.calibration_points(b, mini.benchmark_items(b, min(n, 60), "test", seed),
                                                    size=s, seed=seed)["oracle"]["overall"] / tops[b]
                         for b, n in sizes.items()}
pd.DataFrame(oracle_by_size).T

# %% [markdown]
# ## Data cards
# Hugging Face dataset cards with the Datasheets questions as a checklist, for ShapesWorld-T2I and ShapesWorld-Edit;
# every number in them (counts per task and type, class balance, checksums) is computed from the items.

# %%
cards_dir = run.output_dir / "data_cards"
card_stats = write_data_cards(cards_dir, world["card_t2i"], world["card_edit"], seed=seed, size=size)
print(f"wrote {sorted(p.name for p in cards_dir.glob('*.md'))} into {cards_dir}")

# %% [markdown]
# ## What we saw
# - The splits hold: the number of held-out compositions seen in train or validation, and of test items without
#   one, are printed in the split check above (both must be zero).
# - The renderer's speed is printed above; the training notebooks render every scene once.
# - The detector's confusion matrix on validation renders, and the share of junk detections that pass GenEval's
#   thresholds next to the share of rendered objects, are printed above the figures.
# - Every judge's oracle sits at the top of its scale (the worst sub-score is printed as a fraction of the top)
#   and chance sits far below it; a no-op edit earns about as little as chance.
#
# ## Where this differs from the paper
# - The paper's judges are learned models on natural images (Mask2Former + CLIP, mPLUG, GPT-4.1, Qwen2.5-VL);
#   ours are programmatic, on a ten-colour, five-shape world. A mini score is never comparable with a paper score
#   and never shares its column.
# - GEdit's `ps_human` and `text_change` groups, and ImgEdit's `extract` (onto a plain background), have stand-ins.
# - Compliance, preservation and naturalness are measured, not judged; their formulas are in
#   `dreamlite_core/eval/edit.py`.
# - Oracle and chance use the held-out test split; the detector's gates were set on validation renders and junk.
#
# ## Try it
# 1. Render at `size = 24` (change `world["size"]`) and watch which shapes the confusion matrix starts to confuse.
# 2. Raise the detector's `QUALITY_GOOD` gate (`dreamlite_core/eval/detect.py`) and see how the junk pass rate and
#    the oracle move.
# 3. Score a deliberately wrong image set: swap the two objects of every position item and rerun mini-GenEval.

# %%
metrics = {
    "split_check": split_check,
    "render_speed": render_speed,
    "detector": {k: v for k, v in confusion.items() if k != "labels"},
    "gates": gate_summary,
    "calibration": {b: {point: {"overall": rep["overall"], **({sub_key[b]: rep[sub_key[b]]}),
                                **({k: rep[k] for k in ("SC", "PQ") if k in rep})}
                        for point, rep in calibration[b].items()} for b in sizes},
    "worst_oracle_fraction": worst_oracle,
    "oracle_by_size": {str(k): v for k, v in oracle_by_size.items()},
    "data_cards": {"t2i": {s: {"items": v["items"], "sha256_items": v["sha256_items"]}
                           for s, v in card_stats["t2i"].items()},
                   "edit": {s: {"items": v["items"], "sha256_items": v["sha256_items"]}
                            for s, v in card_stats["edit"].items()}},
}
run.write_results(metrics, items_per_benchmark=sizes, size=size)
