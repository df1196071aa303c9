# %% [markdown]
# # 00 · The paper in numbers

# %% [markdown]
# **What you will learn.** What DreamLite claims, in its own numbers: a 0.39B U-Net that generates *and* edits,
# compared with models 1.5x to 30x its size on GenEval, DPG-Bench, ImgEdit and GEdit-EN-Q. We also check that this
# machine can run the rest of the companion.
#
# **Paper part.** Abstract and the headline comparison table of the DreamLite README (arXiv 2603.28713).
#
# **Cost.** Seconds under every profile; nothing is trained. It reuses no earlier artifacts.
#
# Every number in this notebook is *published*, not measured here: it comes from `dreamlite_core.paper`, where each
# fact carries its source. Later notebooks measure; this one sets the targets.

# %% tags=["parameters"]
profile = "smoke"
seed = 0
output_dir = "runs/smoke"

# %%
from dreamlite_core import paper
from dreamlite_core.headline import headline_frame, pareto_front, plot_params_vs_scores
from dreamlite_core.repro import Run
from dreamlite_core.repro.env import environment_report, print_report

run = Run("00_paper_in_numbers", profile=profile, seed=seed, output_dir=output_dir)
settings = run.section("paper_numbers")

# %% [markdown]
# ## The environment
# Every pinned package, the processor, free memory, and (outside `smoke`) whether coremltools can convert a model
# here; notebook 10 needs that.

# %%
env = environment_report(check_coreml=settings["check_coreml"])
print_report(env)

# %% [markdown]
# ## The headline table
# The comparison as the authors publish it. "-" means the method does not do that task (or was not reported).

# %%
frame = headline_frame()
run.table(frame.drop(columns=["params_b"]), "00_headline_table")
frame

# %% [markdown]
# ## Size against score
# Each panel puts parameters (log scale) against one benchmark. The dashed line is the Pareto front: the methods
# that no other method beats with at most as many parameters.

# %%
fig = plot_params_vs_scores(frame)
run.figure(fig, "00_params_vs_scores")

# %%
fronts = {metric: pareto_front(frame, metric)["method"].tolist() for metric in paper.HEADLINE_METRICS}
for metric, methods in fronts.items():
    print(f"{paper.HEADLINE_METRICS[metric][0]:>11}: Pareto front = {', '.join(methods)}")

# %% [markdown]
# ## A discrepancy we state rather than hide

# %%
for d in paper.DISCREPANCIES:
    print(f"{d['what']}: DreamLite's table {d['dreamlite_table']}, {d['own_source_name']} {d['own_source']}. "
          f"{d['note']}")

# %% [markdown]
# ## What we saw
# - DreamLite sits on the Pareto front of every benchmark where it appears (printed above, computed from the
#   table): no listed model with fewer parameters scores higher.
# - The table does not say whether the base (28 steps) or the mobile (4 steps) checkpoint produced it, and no
#   sub-scores (GenEval tasks, ImgEdit types) are public.
#
# ## Where this differs from the paper
# Nothing is measured here: these are the authors' numbers, judged by GenEval's detector, DPG's VQA model and
# ImgEdit's and GEdit's VLM judges. The companion's mini benchmarks (notebook 02) are programmatic counterparts on
# ShapesWorld; their scores are never put in the same column as these.
#
# ## Try it
# 1. Drop the editing-only models and redraw the fronts: which methods leave the GenEval front?
# 2. Replace SnapGen++'s 0.66 with its own page's 0.70: is DreamLite still on the GenEval front?

# %%
metrics = {
    "dreamlite_unet_params": paper.DREAMLITE_UNET_PARAMS,
    "sdxl_unet_params": paper.SDXL_UNET_PARAMS,
    "headline_rows": len(frame),
    "dreamlite_on_pareto_front": {m: "DreamLite" in methods for m, methods in fronts.items()},
    "environment_ok": env["ok"],
    "coreml_ok": env.get("coreml_ok"),
}
run.write_results(metrics, headline_table=paper.headline_records())
