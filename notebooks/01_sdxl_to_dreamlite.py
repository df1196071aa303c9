# %% [markdown]
# # 01 · From SDXL to DreamLite

# %% [markdown]
# **What you will learn.** Where DreamLite's 0.39B parameters sit, what one U-Net call costs at 1024x1024, how
# SnapGen's mobile design turns SDXL's 2.6B-parameter U-Net into DreamLite's one change at a time, how a smaller
# U-Net inherits its weights from a bigger one (pruning), and what all this predicts for an iPhone.
#
# **Paper part.** The U-Net section of DreamLite (arXiv 2603.28713): "SDXL-derived, following SnapGen's mobile design"
# (SnapGen, arXiv 2412.09619), the exact parameter count, and the deployment claim (about 3 s on iPhone 17 Pro).
#
# **Cost.** `smoke`: about a minute (closed-form MACs, no CPU timing). `default`: a few minutes (every MAC measured
# under `FlopCounterMode`, fp16 activation memory, one timed CPU forward per design step under 0.8B parameters).
# `paper`: the same with every step timed. Nothing is trained and no weights are needed: every model is built on
# PyTorch's meta device (shapes only). It reuses no earlier artifacts.

# %% tags=["parameters"]
profile = "smoke"
seed = 0
output_dir = "runs/smoke"

# %%
import os

import pandas as pd

from dreamlite_core import paper
from dreamlite_core.arch import accounting, design, latency, pruning, weights
from dreamlite_core.repro import Run, new_figure

run = Run("01_sdxl_to_dreamlite", profile=profile, seed=seed, output_dir=output_dir)
settings = run.section("arch")
settings

# %% [markdown]
# ## Two U-Nets, counted exactly
# diffusers ships both: `UNet2DConditionModel` with SDXL base 1.0's config, and `DreamLiteUNetModel` with the
# authors' config (`paper.DREAMLITE_UNET_CONFIG`). On the meta device a 2.6B-parameter model builds in well under a
# second and takes no memory, so every count below is exact, not estimated.

# %%
SDXL, DREAMLITE = "UNet2DConditionModel", "DreamLiteUNetModel"
sdxl = accounting.build_meta(SDXL, paper.SDXL_UNET_CONFIG)
dreamlite = accounting.build_meta(DREAMLITE, paper.DREAMLITE_UNET_CONFIG)
sdxl_params, dreamlite_params = accounting.count_params(sdxl), accounting.count_params(dreamlite)
ratio_pct = 100 * dreamlite_params / sdxl_params
print(f"SDXL U-Net:      {sdxl_params:>13,} parameters, {accounting.count_transformer_blocks(sdxl)} transformer blocks")
print(f"DreamLite U-Net: {dreamlite_params:>13,} parameters, {accounting.count_transformer_blocks(dreamlite)} "
      f"transformer blocks ({ratio_pct:.1f}% of SDXL)")
print("match the published counts:", sdxl_params == paper.SDXL_UNET_PARAMS,
      dreamlite_params == paper.DREAMLITE_UNET_PARAMS)

# %% [markdown]
# ## Where the parameters sit
# By stage (embeddings and I/O, each down level from high to low resolution, the mid block, each up level from low to
# high resolution) and by module type. The paper's fact sheet gives DreamLite's totals (transformer blocks 307.09M,
# res-blocks 62.72M, samplers 12.54M, embeddings and I/O 7.63M; down 124.8M, mid 55.2M, up 202.4M): the
# `published` column sets them beside ours.

# %%
PUBLISHED_BY_TYPE = {"transformer blocks": 307.09, "res_blocks": 62.72, "samplers": 12.54, "embeddings_io": 7.63}
PUBLISHED_BY_STAGE = {"down": 124.8, "mid": 55.2, "up": 202.4}


def millions(d):
    return {k: v / 1e6 for k, v in d.items()}


by_type = pd.DataFrame({"SDXL (M)": millions(accounting.params_by_type(sdxl)),
                        "DreamLite (M)": millions(accounting.params_by_type(dreamlite))})
by_type.loc["transformer blocks"] = by_type.loc[["self_attention", "cross_attention", "feed_forward",
                                                 "transformer_other"]].sum()
by_type["DreamLite published (M)"] = pd.Series(PUBLISHED_BY_TYPE)
by_type = by_type.rename_axis("module type").reset_index()
run.table(by_type, "01_params_by_type")
by_type

# %%
by_stage = pd.DataFrame({"SDXL (M)": millions(accounting.params_by_stage(sdxl)),
                         "DreamLite (M)": millions(accounting.params_by_stage(dreamlite))})
for part in ("down", "up"):
    by_stage.loc[part] = by_stage.loc[[k for k in by_stage.index if k.startswith(part + ".")]].sum()
by_stage["DreamLite published (M)"] = pd.Series(PUBLISHED_BY_STAGE)
by_stage = by_stage.rename_axis("stage").reset_index()
run.table(by_stage, "01_params_by_stage")
by_stage

# %%
fig, ax = new_figure(1, 1, size="wide")
types = ["self_attention", "cross_attention", "feed_forward", "transformer_other", "res_blocks", "samplers",
         "embeddings_io"]
shown = by_type.set_index("module type").loc[types, ["SDXL (M)", "DreamLite (M)"]].T
shown.plot(kind="barh", stacked=True, ax=ax, colormap="tab10")
ax.set_xlabel("parameters (millions)")
ax.set_title("Parameters by module type")
ax.legend(fontsize=7, ncols=4, loc="upper right")
run.figure(fig, "01_params_by_type")

# %% [markdown]
# Feed-forward layers hold the largest share in both models; DreamLite keeps the same kinds of module but far fewer
# of them (the printed transformer-block counts above), at narrower widths.
#
# ## What one call costs
# A 1024x1024 image is a 128x128 latent (TAESDXL downsamples x8). For editing, and in DreamLite's mobile export for
# generation too, the U-Net sees `[noisy target | condition]` side by side: a 128x256 input. MACs count every
# multiply-accumulate of convolutions, linear layers and attention products (norms and element-wise ops excluded).
# `measure_macs` runs the real diffusers modules on meta tensors under `torch.utils.flop_counter.FlopCounterMode`;
# `analytic_macs` counts the same in closed form, and the tests check that the two agree to the MAC. (One trap we
# met: on real CPU tensors, PyTorch's fused CPU attention kernel is invisible to the counter, so the measurement
# always runs on meta.)

# %%
costs = {}
for name, cls, cfg in (("SDXL", SDXL, paper.SDXL_UNET_CONFIG), ("DreamLite", DREAMLITE, paper.DREAMLITE_UNET_CONFIG)):
    for hw in ((128, 128), (128, 256)):
        costs[(name, hw)] = accounting.unet_cost(name, cls, cfg, *hw, text_len=settings["text_len"],
                                                 measure=settings["measure_macs"],
                                                 with_activations=settings["activations"])
cost_table = pd.DataFrame([c.row() for c in costs.values()])
run.table(cost_table, "01_cost_per_call")
cost_table

# %%
macs = {f"{name.lower()}_{hw[0]}x{hw[1]}": c.macs for (name, hw), c in costs.items()}
for key, value in macs.items():
    print(f"{key:>20}: {value / 1e9:8.1f} GMACs per U-Net call")
in_context_factor = macs["dreamlite_128x256"] / macs["dreamlite_128x128"]
print(f"in-context input costs {in_context_factor:.2f}x the plain call (twice the tokens; attention grows faster)")

# %%
if settings["measure_macs"]:
    macs_by_type = pd.DataFrame({f"{n} {h[0]}x{h[1]} (GMACs)": {k: v / 1e9 for k, v in c.macs_by_type.items()}
                                 for (n, h), c in costs.items()}).rename_axis("module type").reset_index()
    run.table(macs_by_type, "01_macs_by_type")
    display(macs_by_type)
else:
    print("MACs by module type: measured only under the default and paper profiles (measure_macs = false here)")

# %% [markdown]
# Memory at fp16: the weights are 2 bytes per parameter. Activations (under `default`) add up every leaf module's
# output and every attention score matrix of one call: what a runtime that fuses nothing would write; the largest
# single tensor is a lower bound on the working set.

# %% [markdown]
# ## The design path, one change at a time
# SnapGen's path from SDXL (PAPER_FACTS, "SnapGen's published design path"), written as eight real configs.
# Steps 0-2 are expressible in diffusers' `UNet2DConditionModel`; from step 3 on only `DreamLiteUNetModel` can say
# them (diffusers' stock U-Net cannot drop self-attention while keeping cross-attention). The switch of class itself
# changes nothing: step 2's config in DreamLite's class has exactly step 2's parameters (checked in the tests).

# %%
for i, step in enumerate(design.design_path()):
    print(f"{i}. {step.label:<26} [{step.class_name}] {step.change}")

# %%
rows = design.design_path_rows(text_len=settings["text_len"], measure=settings["measure_macs"])
path_table = pd.DataFrame(rows)[["step", "label", "class", "params", "params_pct", "snapgen_params_pct", "macs",
                                 "macs_pct", "snapgen_flops_pct", "snapgen_latency_pct", "macs_in_context",
                                 "transformer_blocks"]]
path_table["params"] = path_table["params"] / 1e6
path_table["macs"] = path_table["macs"] / 1e9
path_table["macs_in_context"] = path_table["macs_in_context"] / 1e9
path_table = path_table.rename(columns={"params": "params (M)", "macs": "GMACs 128x128",
                                        "macs_in_context": "GMACs 128x256", "params_pct": "params % (ours)",
                                        "macs_pct": "MACs % (ours)", "snapgen_params_pct": "params % (SnapGen)",
                                        "snapgen_flops_pct": "FLOPs % (SnapGen)",
                                        "snapgen_latency_pct": "latency % (SnapGen)"})
run.table(path_table, "01_design_path")
path_table

# %%
fig, axes = new_figure(1, 2, size="wide")
design.plot_design_waterfall(rows, axes)
fig.suptitle("SDXL -> DreamLite, one change per bar (green shrinks, orange grows; number = value after the step)")
fig.tight_layout()
run.figure(fig, "01_design_waterfall")

# %% [markdown]
# Our per-step changes are measured on our configs; SnapGen's are reported for SnapGen's own models, whose widths
# and depths differ from ours at the step where each change happens. Where the two columns agree in sign and rough
# size the step does the same job here; where they differ, the baseline differs. The last step *adds* parameters:
# DreamLite's cross-attention at the highest resolution and its 2304-wide text projection cost more than SDXL-style
# conditioning.
#
# ### Time on this CPU
# Measured seconds of one fp32 forward (batch 1) at a small latent, one step at a time (`time_forward` in the
# profile; `benchmarks/bench_design_path.py` runs all steps). At a small latent, reading the weights can cost as much
# as the arithmetic, so compare the seconds with both the parameters and the MACs; on a shared machine they are noisy.
# CPU timings rank the steps; they do not predict a phone.

# %%
cpu_rows = []
if settings["time_forward"]:
    for step, row in zip(design.design_path(), rows):
        if row["params"] <= settings["time_max_params"]:
            cpu_rows.append(design.time_forward(step, (settings["time_latent"],) * 2,
                                                repeats=settings["time_repeats"], threads=settings["time_threads"]))
        else:
            cpu_rows.append({"step": step.key, "latent": None, "seconds": None, "build_seconds": None, "gmacs": None})
    cpu_table = pd.DataFrame(cpu_rows)
    run.table(cpu_table, "01_design_cpu_time")
    display(cpu_table)
else:
    print("CPU timing skipped under this profile (time_forward = false); see benchmarks/bench_design_path.py")

# %% [markdown]
# ## Pruning: a smaller U-Net that inherits its weights
# Structured pruning (BK-SDM, SSD-1B, KOALA, LAPTOP-Diff) builds a smaller U-Net of the same family and copies each
# of its tensors from a slice of the bigger one. `prune_unet(parent, child_config, rule)` does this for both diffusers
# classes; `pruning_map` lists where every child tensor comes from. The rules handle the tensors that are not a plain
# leading slice: GEGLU's `proj` stacks `[hidden; gate]`, multi-query attention has one K/V head, separable res-blocks
# are twice as wide inside, and an up level's res-block reads `[main | skip]` concatenated. DreamLite-Nano (notebook
# 03 onwards) is built with it. Here, weight-free, the authors' U-Net at half width:

# %%
child = accounting.build_meta(DREAMLITE, design.PRUNING_DEMO_CHILD)
mapping = pruning.pruning_map(dreamlite, child, rule=settings["pruning_demo_rule"])
child_params = accounting.count_params(child)
whole = sum(1 for _, _, note in mapping if note == "all" or set(note.split("; ")) == {"all"})
print(f"child: {child_params:,} parameters ({100 * child_params / dreamlite_params:.1f}% of DreamLite), "
      f"{len(mapping)} tensors, {whole} copied whole, {len(mapping) - whole} sliced")
sample = pd.DataFrame(mapping, columns=["child tensor", "parent tensor", "kept indices"])
sample = sample[sample["child tensor"].str.contains(
    r"down_blocks\.2\.(?:attentions\.0\.transformer_blocks\.1\.|resnets\.1\.conv1)")]
run.table(sample, "01_pruning_map_sample")
sample

# %% [markdown]
# ## What this predicts for an iPhone
# A roofline per network call: compute time at an assumed fraction of peak, memory time for the fp16 weights and
# activations at an assumed fraction of peak bandwidth; the optimistic end overlaps them on the fastest unit, the
# pessimistic end adds them on the slowest (`dreamlite_core.arch.latency`, every device number with its source or
# the word "assumption"). One generation = 4 U-Net calls on the 128x256 in-context input + the TAESDXL decoder; the
# 4-bit Qwen3-VL text encoder is reported separately.

# %%
device = latency.A19_PRO
unet_call, decoder_call = latency.dreamlite_network_costs((128, 256), text_len=settings["text_len"])
low, high = latency.iphone_latency(unet_call, decoder_call, steps=4, device=device)
per_unit = {unit: latency.iphone_latency(unet_call, decoder_call, 4, device, compute_unit=unit)
            for unit, _ in device.compute_tflops}
text_low, text_high = latency.text_encoder_latency(paper.QWEN3_VL_2B_PARAMS, tokens=settings["text_len"], bits=4)
breakdown = pd.DataFrame(latency.latency_breakdown(unet_call, decoder_call, 4, device))
claims = pd.DataFrame([
    {"what": "DreamLite, paper (iPhone 17 Pro, 1024 px, 4 steps)", "source": "published",
     "low_s": paper.DEVICE_CLAIMS["iphone17pro_seconds"], "high_s": paper.DEVICE_CLAIMS["iphone17pro_seconds"]},
    {"what": "SnapGen, paper (iPhone 16 Pro Max, 1024 px)", "source": "published",
     "low_s": paper.DEVICE_CLAIMS["snapgen_iphone16promax_seconds"],
     "high_s": paper.DEVICE_CLAIMS["snapgen_iphone16promax_seconds"]},
    {"what": f"SDXL, Apple ml-stable-diffusion ({paper.APPLE_SDXL_IPHONE['device']}, "
             f"{paper.APPLE_SDXL_IPHONE['resolution']} px)", "source": "published",
     "low_s": paper.APPLE_SDXL_IPHONE["seconds"], "high_s": paper.APPLE_SDXL_IPHONE["seconds"]},
    {"what": f"DreamLite, 4 U-Net calls + decoder ({device.name}, any unit)", "source": "this model",
     "low_s": low, "high_s": high},
    *[{"what": f"DreamLite, 4 U-Net calls + decoder ({unit} only)", "source": "this model", "low_s": r.low,
       "high_s": r.high} for unit, r in per_unit.items()],
    {"what": "text encoder prefill (Qwen3-VL-2B, 4-bit, not included above)", "source": "this model",
     "low_s": text_low, "high_s": text_high},
])
run.table(breakdown, "01_iphone_latency_breakdown")
run.table(claims, "01_iphone_latency_vs_claims")
print(f"predicted: {low:.2f}-{high:.2f} s per 1024x1024 generation (without the text encoder)")
display(breakdown)
claims

# %%
fig, ax = new_figure(1, 1, size="wide")
ranges = claims[claims["source"] == "this model"].reset_index(drop=True)
ax.barh(ranges["what"], ranges["high_s"] - ranges["low_s"], left=ranges["low_s"], color="C0", alpha=0.7,
        height=0.5, label="this model: low-high")
published = claims[claims["source"] == "published"].reset_index(drop=True)
for i, row in published.iterrows():
    ax.axvline(row["low_s"], color=f"C{i + 1}", ls="--", label=f"{row['what']}: {row['low_s']} s")
ax.set_xscale("log")
ax.set_xlabel("seconds (log scale)")
ax.tick_params(axis="y", labelsize=7)
ax.set_title(f"Roofline ranges on {device.name} beside the published times")
ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.4, -0.18), ncols=2)
run.figure(fig, "01_iphone_latency")

# %% [markdown]
# The range is wide because the utilisations are assumptions and because the in-context input's activations
# (gigabytes per call at fp16, printed in the cost table under `default`) make memory traffic matter as much as
# arithmetic. Whether the paper's time falls inside it is printed below; a range this wide checks plausibility, not
# the claim.
#
# ## Real weights (optional)
# Nothing here downloads weights. If you have the authors' checkpoint on disk (e.g. a local copy of
# `carlofkl/DreamLite-mobile`, revision `diffusers`), set `DREAMLITE_UNET_PATH` to the pipeline folder (or its
# `unet/` folder) before running this notebook; it is then loaded with `from_pretrained` (safetensors only) and its
# count checked against the meta-device count of its own config and against the paper.

# %%
unet_path = os.environ.get("DREAMLITE_UNET_PATH")
real_weights = None
if unet_path:
    real_weights = weights.unet_report(weights.load_local_unet(unet_path))
    print(real_weights)
else:
    print("DREAMLITE_UNET_PATH is not set: running without weights (everything above is weight-free)")

# %% [markdown]
# ## What we saw

# %%
paper_in_range = low <= paper.DEVICE_CLAIMS["iphone17pro_seconds"] <= high
print(f"- Exact counts: SDXL {sdxl_params:,}, DreamLite {dreamlite_params:,} ({ratio_pct:.1f}% of SDXL); both equal "
      f"the published numbers: "
      f"{sdxl_params == paper.SDXL_UNET_PARAMS and dreamlite_params == paper.DREAMLITE_UNET_PARAMS}.")
print(f"- One call at 1024x1024: SDXL {macs['sdxl_128x128'] / 1e9:,.0f} GMACs, "
      f"DreamLite {macs['dreamlite_128x128'] / 1e9:,.0f} GMACs "
      f"({macs['dreamlite_128x128'] / macs['sdxl_128x128']:.1%}); "
      f"the in-context input costs {in_context_factor:.2f}x.")
biggest = min(rows[1:], key=lambda r: r["params_pct"])
print(f"- The biggest single cut in parameters is '{biggest['label']}' ({biggest['params_pct']:.1f}%); "
      f"the authors' last step changes parameters by {rows[-1]['params_pct']:+.1f}%.")
print(f"- iPhone model: {low:.2f}-{high:.2f} s per generation; the paper's "
      f"{paper.DEVICE_CLAIMS['iphone17pro_seconds']} s is {'inside' if paper_in_range else 'outside'} this range.")

# %% [markdown]
# ## Where this differs from the paper
# - The configs are the authors' (`modules/dreamlite.json`) and SDXL's, but the design path's intermediate steps are
#   ours: SnapGen reports effects on its own models, so its percentages and ours share a direction, not a baseline.
# - MACs depend on the text length; we use 77 tokens (the authors' export default). An edit prompt with Qwen3-VL's
#   image tokens is longer and costs more cross-attention.
# - The iPhone numbers are a roofline from assumed throughputs and utilisations, not a measurement; no phone was used.
#   CPU timings here are fp32 on a shared 2-core machine.
# - The pruning demo is weight-free (random or no weights): it shows which tensor comes from where, not what quality a
#   pruned DreamLite keeps. The tests train a pruned tiny U-Net to show the inherited weights are usable.
#
# ## Try it
# 1. Change `text_len` in the `[<profile>.arch]` section of `dreamlite_core/repro/profiles.toml` to 512 (the export's
#    maximum) and see which module type's MACs grow.
# 2. Set `utilisation=(0.4, 0.8)` in a `DeviceAssumptions` and recompute the range: how tight must the assumptions be
#    to confirm or refute 3 s?
# 3. Prune with `rule="norm"` on a real (random-initialised) DreamLite-sized model and compare `pruning_map` rows with
#    the `first` rule's.

# %%
metrics = {
    "sdxl_unet_params": sdxl_params,
    "dreamlite_unet_params": dreamlite_params,
    "dreamlite_pct_of_sdxl": ratio_pct,
    "sdxl_transformer_blocks": accounting.count_transformer_blocks(sdxl),
    "dreamlite_transformer_blocks": accounting.count_transformer_blocks(dreamlite),
    "dreamlite_params_by_type": accounting.params_by_type(dreamlite),
    "dreamlite_params_by_stage": accounting.params_by_stage(dreamlite),
    "sdxl_params_by_type": accounting.params_by_type(sdxl),
    "sdxl_params_by_stage": accounting.params_by_stage(sdxl),
    "macs": macs,
    "macs_method": "FlopCounterMode on meta" if settings["measure_macs"] else "closed form (tests: equal to measured)",
    "text_len": settings["text_len"],
    "weights_mb_fp16": {"sdxl": 2 * sdxl_params / 2**20, "dreamlite": 2 * dreamlite_params / 2**20},
    "activations_fp16": {f"{n.lower()}_{h[0]}x{h[1]}": c.activations for (n, h), c in costs.items() if c.activations},
    "design_path": [{k: r[k] for k in ("step", "label", "class", "params", "macs", "macs_in_context", "params_pct",
                                       "macs_pct", "snapgen_params_pct", "snapgen_flops_pct", "snapgen_latency_pct")}
                    for r in rows],
    "design_cpu_seconds": cpu_rows,
    "pruning_demo": {"child_params": child_params, "tensors": len(mapping), "copied_whole": whole},
    "latency": {"low_s": low, "high_s": high, "paper_s": paper.DEVICE_CLAIMS["iphone17pro_seconds"],
                "paper_in_range": paper_in_range, "snapgen_s": paper.DEVICE_CLAIMS["snapgen_iphone16promax_seconds"],
                "apple_sdxl_s": paper.APPLE_SDXL_IPHONE["seconds"],
                "per_unit": {u: {"low_s": r.low, "high_s": r.high} for u, r in per_unit.items()},
                "text_encoder_s": {"low_s": text_low, "high_s": text_high},
                "unet_gmacs_per_call": unet_call.macs / 1e9, "decoder_gmacs": decoder_call.macs / 1e9},
    "real_weights": real_weights,
}
run.write_results(metrics, device_assumptions=device.as_dict())
