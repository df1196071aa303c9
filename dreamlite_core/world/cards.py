"""Data cards for ShapesWorld-T2I and ShapesWorld-Edit: statistics computed from generated items, written as
Hugging Face dataset cards with the "Datasheets for Datasets" questions as a checklist.

Implements: the documentation duty of a dataset release (Gebru et al., "Datasheets for Datasets"; the Hugging
Face dataset-card template). Introduced in ``notebooks/02_shapesworld.py``, which calls ``write_data_cards``.
Every number in a card comes from ``dataset_statistics``; the prose around it does not quote numbers.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from .constants import BACKGROUNDS, COLORS, FILLS, SHAPES, SIZES, STYLES
from .edit import EDIT_OPS, EDIT_TYPES, GEDIT_GROUPS, make_edit_items
from .render import render_scenes
from .splits import (HELD_OUT_AXES, HELD_OUT_COLOR_SHAPES, HELD_OUT_COUNTS, HELD_OUT_KEYS, HELD_OUT_PAIRS, SPLITS)
from .t2i import T2I_TASKS, TEMPLATES, make_t2i_items

LICENSE = "apache-2.0"
GENERATOR = "dreamlite_core.world (make_t2i_items / make_edit_items / render_scene)"


def _sha256_lines(lines) -> str:
    h = hashlib.sha256()
    for line in lines:
        h.update(line.encode())
        h.update(b"\n")
    return h.hexdigest()


def _sha256_images(images) -> str:
    return hashlib.sha256(images.tobytes()).hexdigest()


def dataset_statistics(t2i: dict, edit: dict, size: int = 32) -> dict:
    """Statistics of generated items: ``t2i`` and ``edit`` map split -> list of items.

    Returns counts per split and task / edit type / GEdit group, class balance (shapes, colours, backgrounds,
    sizes, fills over all drawn objects), objects per scene, held-out composition checks and sha256 checksums of
    the items (JSON Lines) and of their renders (uint8 bytes at ``size`` px).
    """
    stats: dict = {"size": size, "t2i": {}, "edit": {}}
    for split, items in t2i.items():
        scenes = [it.scene for it in items]
        objs = [o for sc in scenes for o in sc.objects]
        keys = set().union(*(it.composition_keys() for it in items)) if items else set()
        stats["t2i"][split] = {
            "items": len(items),
            "by_task": {t: sum(it.task == t for it in items) for t in T2I_TASKS},
            "shapes": {s: sum(o.shape == s for o in objs) for s in SHAPES},
            "colors": {c: sum(o.color == c for o in objs) for c in COLORS},
            "sizes": {s: sum(o.size == s for o in objs) for s in SIZES},
            "fills": {f: sum(o.fill == f for o in objs) for f in FILLS},
            "backgrounds": {b: sum(sc.background == b for sc in scenes) for b in BACKGROUNDS},
            "objects_per_scene": dict(sorted(Counter(len(sc.objects) for sc in scenes).items())),
            "unique_prompts": len({it.prompt for it in items}),
            "held_out_keys_present": len(keys & HELD_OUT_KEYS),
            "items_with_held_out": sum(bool(it.composition_keys() & HELD_OUT_KEYS) for it in items),
            "sha256_items": _sha256_lines(it.to_json() for it in items),
            "sha256_renders": _sha256_images(render_scenes(scenes, size)),
        }
    for split, items in edit.items():
        scenes = [sc for it in items for sc in (it.source, it.target)]
        objs = [o for it in items for o in it.source.objects]
        keys = set().union(*(it.composition_keys() for it in items)) if items else set()
        stats["edit"][split] = {
            "items": len(items),
            "by_type": {t: sum(it.edit_type == t for it in items) for t in EDIT_TYPES},
            "by_group": {g: sum(it.gedit_group == g for it in items) for g in GEDIT_GROUPS},
            "by_op": dict(sorted(Counter(it.spec["op"] for it in items).items())),
            "shapes": {s: sum(o.shape == s for o in objs) for s in SHAPES},
            "colors": {c: sum(o.color == c for o in objs) for c in COLORS},
            "styles": {s: sum(it.source.style == s for it in items) for s in STYLES},
            "backgrounds": {b: sum(it.source.background == b for it in items) for b in BACKGROUNDS},
            "objects_per_source": dict(sorted(Counter(len(it.source.objects) for it in items).items())),
            "unique_instructions": len({it.instruction for it in items}),
            "held_out_keys_present": len(keys & HELD_OUT_KEYS),
            "items_with_held_out": sum(bool(it.composition_keys() & HELD_OUT_KEYS) for it in items),
            "sha256_items": _sha256_lines(it.to_json() for it in items),
            "sha256_renders": _sha256_images(render_scenes(scenes, size)),
        }
    return stats


# --------------------------------------------------------------------------------------------------- markdown
def _table(header: list[str], rows: list[list]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def _per_split_table(block: dict, field: str, names) -> str:
    splits = list(block)
    return _table(["", *splits], [[n, *(block[s][field].get(n, 0) for s in splits)] for n in names])


def _count_table(block: dict, field: str) -> str:
    """Objects per scene: one row per object count, one column per split."""
    counts = sorted({k for b in block.values() for k in b[field]})
    return _table(["objects", *block], [[k, *(b[field].get(k, 0) for b in block.values())] for k in counts])


def _checksum_table(block: dict, renders: str) -> str:
    return _table(["split", "items (JSON Lines)", renders],
                  [[s, f"`{b['sha256_items']}`", f"`{b['sha256_renders']}`"] for s, b in block.items()])


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M")):
        if n < limit:
            return name
    return "n>1M"


def _front_matter(pretty: str, n: int, tasks: list[str]) -> str:
    return "\n".join(["---", f"pretty_name: {pretty}", f"license: {LICENSE}", "language:", "- en",
                      "task_categories:", *[f"- {t}" for t in tasks], "size_categories:", f"- {_size_category(n)}",
                      "tags:", "- synthetic", "- procedurally-generated", "- compositional-generalization", "---"])


_DATASHEET = """## Datasheet (Gebru et al., "Datasheets for Datasets")

**Motivation**
- [x] *For what purpose was the dataset created?* To train and evaluate DreamLite-Nano, the companion's CPU-sized
  reproduction of DreamLite (arXiv 2603.28713), and to give GenEval, DPG-Bench, ImgEdit and GEdit-Bench
  programmatic counterparts whose judges are exact.
- [x] *Who created it, and who funded it?* The dreamlite-companion authors; generated by code, no funding of its own.

**Composition**
- [x] *What do the instances represent?* Synthetic scenes of coloured shapes (tables above) with their text.
- [x] *How many instances, per split?* See "Data Splits"; any size can be generated from a seed.
- [x] *Is it a sample of a larger set?* It is a deterministic draw from an unbounded generator.
- [x] *What data does each instance consist of?* See "Data Fields".
- [x] *Is there a label or target?* Yes: the ground-truth scene and the evaluator's spec are exact.
- [x] *Is any information missing?* No.
- [x] *Are relationships between instances explicit?* No instance refers to another.
- [x] *Recommended splits?* train / validation / test, where test holds compositions never seen in train.
- [x] *Errors, noise or redundancy?* Prompts repeat (the vocabulary is small); scenes do not.
- [x] *Self-contained?* Yes; nothing is downloaded.
- [x] *Confidential, offensive, or about people?* No. No person, no personal data, no real image.

**Collection process**
- [x] *How was the data acquired?* Generated by `{generator}` from a seed; the sha256 checksums above identify
  this release.
- [x] *Sampling strategy?* Exact counts per task / type (largest remainder), uniform choices within a task,
  rejection sampling for non-overlapping layouts and for the split rule.
- [x] *Who was involved, and over what time frame?* Code only; each card is regenerated by notebook 02.
- [x] *Ethical review?* Not applicable: synthetic, no people.

**Preprocessing / cleaning / labelling**
- [x] *Was any preprocessing done?* Rendering only: 4x supersampling and box filtering (anti-aliasing).
- [x] *Is the raw data saved?* The scenes are the raw data; images are rendered from them on demand.

**Uses**
- [x] *Used for?* Training and evaluating DreamLite-Nano (notebooks 03-06) and calibrating the mini benchmarks
  (notebook 02).
- [x] *What should it not be used for?* Claims about natural images or people: scores on ShapesWorld are not
  GenEval / DPG / ImgEdit / GEdit scores and are never put in the same column.
- [x] *Anything about composition or collection that could affect future uses?* The ten colours and five shapes
  are a tiny vocabulary; success here says little about open-vocabulary generation.

**Distribution**
- [x] *How is it distributed?* As code: regenerate it with the seed and counts in "Data Splits".
- [x] *Licence?* Apache-2.0, like the code that generates it.
- [x] *Export controls or third-party restrictions?* None.

**Maintenance**
- [x] *Who maintains it?* The dreamlite-companion maintainers (issues on the repository).
- [x] *Will it be updated?* When the generator changes, the checksums change; the cards are regenerated by
  notebook 02 under the `default` profile.
"""


def render_t2i_card(stats: dict, seed: int) -> str:
    block = stats["t2i"]
    n = sum(b["items"] for b in block.values())
    parts = [_front_matter("ShapesWorld-T2I", n, ["text-to-image"]), "", "# Dataset Card for ShapesWorld-T2I", "",
             "## Dataset Description", "",
             "### Dataset Summary",
             "Procedurally rendered scenes of coloured shapes on plain backgrounds, each with a prompt written in "
             "GenEval's six task templates (shapes in place of COCO objects) or a dense DPG-style paragraph with its "
             "question graph. Every item carries the exact ground-truth scene, so the companion's mini-GenEval and "
             "mini-DPG can score any image against it (`dreamlite eval`).", "",
             "### Supported Tasks and Leaderboards",
             "Text-to-image generation at 32x32 px (any resolution renders). The mini benchmarks' oracle and chance "
             "levels are in notebook 02; they are not comparable with GenEval or DPG-Bench numbers.", "",
             "### Languages", "English, template-generated.", "",
             "## Dataset Structure", "", "### Data Instances",
             "One JSON object per item (`T2IItem.to_json()`), e.g. a `counting` item: prompt "
             "`\"a photo of three crosses\"`, its scene (three crosses with colours, sizes and positions), and the "
             "spec `{\"tag\": \"counting\", \"include\": [{\"class\": \"cross\", \"count\": 3}], \"exclude\": "
             "[{\"class\": \"cross\", \"count\": 4}]}` in GenEval's metadata format.", "",
             "### Data Fields",
             "- `id`, `split`, `task` (one of " + ", ".join(f"`{t}`" for t in T2I_TASKS) + ")",
             "- `prompt`: the text; templates: " + "; ".join(f"{k}: `{v}`" for k, v in TEMPLATES.items()),
             "- `scene`: background, style, objects (shape, colour, x, y in canvas fractions with y down, size, fill, "
             "rotation)",
             "- `spec`: GenEval metadata (`tag`, `include`, `exclude`) or, for `dpg`, the objects and the questions "
             "(`id`, `category`, `question`, machine-checkable `check`, `parents`)",
             "- `keys`: the compositions the item contains (see Data Splits)", "",
             "### Data Splits",
             f"Generated with `make_t2i_items(split, n, seed={seed})`; items per split and task:", "",
             _per_split_table(block, "by_task", T2I_TASKS), "",
             _table(["", *block], [["items", *(b["items"] for b in block.values())],
                                  ["unique prompts", *(b["unique_prompts"] for b in block.values())],
                                  ["held-out compositions present", *(b["held_out_keys_present"]
                                                                       for b in block.values())],
                                  ["items with a held-out composition", *(b["items_with_held_out"]
                                                                           for b in block.values())]]), "",
             "The test split holds compositions that never occur in train or validation, in text or in any "
             "rendered scene: the colour-shape pairs " + ", ".join(f"{c} {s}" for c, s in HELD_OUT_COLOR_SHAPES)
             + "; the counting prompts " + ", ".join(f"{n} {s}" for s, n in HELD_OUT_COUNTS)
             + "; the two-object pairs " + ", ".join(f"{a}+{b}" for a, b in HELD_OUT_PAIRS)
             + "; the position pairs " + ", ".join(f"{a}/{b} ({ax})" for (a, b), ax in HELD_OUT_AXES)
             + ". Every test item contains at least one (the five single-object prompts cannot be held out; their "
               "test scenes draw the object in a held-out colour). `tests/test_world_splits.py` checks it.", "",
             "### Class balance (all drawn objects)", "",
             _per_split_table(block, "shapes", SHAPES), "", _per_split_table(block, "colors", COLORS), "",
             _per_split_table(block, "sizes", SIZES), "", _per_split_table(block, "fills", FILLS), "",
             _per_split_table(block, "backgrounds", BACKGROUNDS), "",
             "Objects per scene:", "", _count_table(block, "objects_per_scene"), "",
             "### Checksums (sha256)", "", _checksum_table(block, f"renders ({stats['size']}x{stats['size']} uint8)"),
             "",
             "## Dataset Creation", "", "### Curation Rationale",
             "No image data can be downloaded and no benchmark judge runs on the companion's CPU; a world with exact "
             "ground truth makes generation and its evaluation measurable.", "",
             "### Source Data", f"None: generated by `{GENERATOR}`.", "",
             "### Annotations", "Exact by construction (the scene is the annotation).", "",
             "### Personal and Sensitive Information", "None.", "",
             "## Considerations for Using the Data", "", "### Social Impact of Dataset",
             "Negligible: abstract shapes.", "",
             "### Discussion of Biases",
             "Task shares are set by the caller (`task_weights`); the default is equal. Colours per shape are uniform "
             "outside the held-out pairs, so train is slightly unbalanced per colour-shape pair by design.", "",
             "### Other Known Limitations",
             "A ten-colour, five-shape vocabulary; plain backgrounds; no occlusion, texture or lighting.", "",
             "## Additional Information", "", "### Dataset Curators", "The dreamlite-companion authors.", "",
             "### Licensing Information", "Apache-2.0.", "",
             "### Citation Information",
             "Cite DreamLite (arXiv 2603.28713), GenEval (Ghosh et al., 2023) and DPG-Bench (Hu et al., ELLA, 2024) "
             "for the benchmark designs mirrored here.", "", _DATASHEET.format(generator=GENERATOR)]
    return "\n".join(parts)


def render_edit_card(stats: dict, seed: int) -> str:
    block = stats["edit"]
    n = sum(b["items"] for b in block.values())
    mapping = _table(["op", "ImgEdit type", "GEdit group"], [[op, t, g] for op, (t, g) in EDIT_OPS.items()])
    parts = [_front_matter("ShapesWorld-Edit", n, ["image-to-image"]), "", "# Dataset Card for ShapesWorld-Edit", "",
             "## Dataset Description", "", "### Dataset Summary",
             "Pairs of ShapesWorld scenes (source, target) with an editing instruction, an ImgEdit edit type and a "
             "GEdit-Bench group, plus the edit mask (the pixels the edit may change). The companion's mini-ImgEdit "
             "and mini-GEdit score any edited image against them.", "",
             "### Supported Tasks and Leaderboards",
             "Instruction-guided image editing at 32x32 px (the paper's stage-2 data in miniature: the source is the "
             "condition half of `[target | condition]`).", "",
             "### Languages", "English, template-generated.", "",
             "## Dataset Structure", "", "### Data Instances",
             "One JSON object per item (`EditItem.to_json()`): e.g. instruction `\"replace the blue circle with a "
             "red star\"`, type `replace`, group `subject-replace`, source and target scenes, and a spec naming the "
             "op, the changed object indices in source and target, and the op's parameters.", "",
             "### Data Fields",
             "- `id`, `split`, `instruction`, `edit_type` (ImgEdit's nine), `gedit_group` (GEdit's eleven)",
             "- `source`, `target`: scenes (see ShapesWorld-T2I)",
             "- `spec`: `op` (or `hybrid` with two `ops`), `changed_source`, `changed_target`, op parameters",
             "- `keys`: the compositions the item contains", "",
             "### How ShapesWorld edits map to ImgEdit types and GEdit groups", "", mapping, "",
             "Hybrid edits join two of add / remove / replace / recolor / background and take the first op's group. "
             "GEdit's `ps_human` (portrait retouching) and `text_change` (rewriting text) have no exact counterpart "
             "among shapes: resizing a subject and changing a glyph's form stand in for them.", "",
             "### Data Splits",
             f"Generated with `make_edit_items(split, n, seed={seed})` (equal ImgEdit types); items per split:", "",
             _per_split_table(block, "by_type", EDIT_TYPES), "", _per_split_table(block, "by_group", GEDIT_GROUPS), "",
             _per_split_table(block, "by_op", list(EDIT_OPS) + ["hybrid"]), "",
             _table(["", *block], [["items", *(b["items"] for b in block.values())],
                                  ["unique instructions", *(b["unique_instructions"] for b in block.values())],
                                  ["held-out compositions present", *(b["held_out_keys_present"]
                                                                       for b in block.values())],
                                  ["items with a held-out composition", *(b["items_with_held_out"]
                                                                           for b in block.values())]]), "",
             "Every test source shows at least one held-out colour-shape pair (the same ten as ShapesWorld-T2I); "
             "train and validation never draw one.", "",
             "### Class balance (source objects)", "",
             _per_split_table(block, "shapes", SHAPES), "", _per_split_table(block, "colors", COLORS), "",
             _per_split_table(block, "styles", STYLES), "", _per_split_table(block, "backgrounds", BACKGROUNDS), "",
             "Objects per source scene:", "", _count_table(block, "objects_per_source"), "",
             "### Checksums (sha256)", "",
             _checksum_table(block, f"renders (source, target; {stats['size']} px uint8)"),
             "",
             "## Dataset Creation", "", "### Curation Rationale",
             "Editing needs pairs whose target is exactly known; ShapesWorld gives them, so compliance and "
             "preservation can be measured rather than judged.", "",
             "### Source Data", f"None: generated by `{GENERATOR}`.", "",
             "### Annotations", "Exact by construction.", "",
             "### Personal and Sensitive Information", "None.", "",
             "## Considerations for Using the Data", "", "### Social Impact of Dataset",
             "Negligible: abstract shapes.", "",
             "### Discussion of Biases",
             "Equal ImgEdit types make GEdit groups unequal (several ops share a type); use `group_weights` for "
             "GEdit-balanced sets. Resize and rotate edits apply only where they fit (rotations: triangles).", "",
             "### Other Known Limitations",
             "No people, text, materials or lighting: five of GEdit's groups are stand-ins (see the mapping).", "",
             "## Additional Information", "", "### Dataset Curators", "The dreamlite-companion authors.", "",
             "### Licensing Information", "Apache-2.0.", "",
             "### Citation Information",
             "Cite DreamLite (arXiv 2603.28713), ImgEdit (Ye et al., 2025) and GEdit-Bench (Step1X-Edit, Liu et al., "
             "2025) for the benchmark designs mirrored here.", "", _DATASHEET.format(generator=GENERATOR)]
    return "\n".join(parts)


def _write_atomic(path: Path, text: str) -> None:
    from ..repro.outputs import atomic_write

    with atomic_write(path, "w") as f:
        f.write(text)


def write_data_cards(folder, card_t2i: dict, card_edit: dict, seed: int = 0, size: int = 32) -> dict:
    """Generate the items (``card_t2i`` / ``card_edit``: split -> count), compute their statistics and write
    ``shapesworld_t2i.md`` and ``shapesworld_edit.md`` into ``folder``. Returns the statistics."""
    for counts in (card_t2i, card_edit):
        unknown = set(counts) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; splits: {', '.join(SPLITS)}")
    t2i = {s: make_t2i_items(s, int(n), seed) for s, n in card_t2i.items()}
    edit = {s: make_edit_items(s, int(n), seed) for s, n in card_edit.items()}
    stats = dataset_statistics(t2i, edit, size)
    folder = Path(folder)
    _write_atomic(folder / "shapesworld_t2i.md", render_t2i_card(stats, seed))
    _write_atomic(folder / "shapesworld_edit.md", render_edit_card(stats, seed))
    return stats
