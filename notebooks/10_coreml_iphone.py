# %% [markdown]
# # 10 · Core ML on iPhone

# %% [markdown]
# **What you will learn.** How DreamLite gets onto a phone: the U-Net traced and converted to a Core ML package with
# the authors' input signature, what weight compression (int8, 6-bit and 4-bit palettization, a mixed-bit recipe)
# does to its size and to its outputs, and what the full 0.39B U-Net costs to export. You can do all of it without a
# Mac: coremltools converts and compresses on Linux; only running a package (`MLModel.predict`) needs macOS.
#
# **Paper part.** Deployment: "about 3 s for a 1024x1024 generation or edit on an iPhone 17 Pro, fully on device",
# with the U-Net and VAE as fp16 Core ML models and the text encoder 4-bit via MLX (PAPER_FACTS.md, "Deployment").
# Beside it, Apple's recipe for Stable Diffusion (apple/ml-stable-diffusion) and its 35 dB PSNR correctness gate.
#
# **Cost.** `smoke`: the nano U-Net exported and compressed into every variant (a minute or two on 2 shared cores;
# conversion dominates). `default`: the same plus the VAE and text encoder, fp16-compute parity, mini-GenEval per
# variant (when a trained model exists) and the full-size 0.39B export at 1024x1024 in a child process (about 5
# minutes and 6 GB of memory on an idle 2-core machine: conversion 125 s, about 35 s per compressed variant; cached
# as an artifact once measured). It reuses the trained DreamLite-Nano pipeline
# of notebooks 04-06 when there is one (`dreamlite_core.train.find_trained_pipeline`); otherwise a randomly
# initialised nano U-Net stands in and the notebook says so.

# %% tags=["parameters"]
profile = "smoke"
seed = 0
output_dir = "runs/smoke"

# %%
import pandas as pd

from dreamlite_core import paper
from dreamlite_core.export import (APPLE_MIN_PSNR, UNET_INPUTS, can_predict, count_ops, read_signature, recommend,
                                   require_coremltools, unet_parity)
from dreamlite_core.export.compression import VARIANTS, estimate_size_bytes
from dreamlite_core.export.nano import export_nano, geneval_by_variant, kmeans_gap, load_nano_components, size_rows
from dreamlite_core.export.recipes import recipe_rows
from dreamlite_core.repro import Run, new_figure

run = Run("10_coreml_iphone", profile=profile, seed=seed, output_dir=output_dir)
settings = run.section("export")
packages_dir = run.artifacts_dir / "coreml"

# %% [markdown]
# ## Can this machine convert, and can it predict?
# coremltools converts anywhere; it cannot *run* a package outside macOS. A missing coremltools, or numpy 2.4
# (apple/coremltools#2633), stops here with the fix in the message.

# %%
ct = require_coremltools()
predict_ok, predict_reason = can_predict()
print(f"coremltools {ct.__version__}; prediction here: {predict_ok} ({predict_reason})")

# %% [markdown]
# ## The model we export
# The trained DreamLite-Nano pipeline of notebooks 04-06 when it exists under this profile, else a stand-in.

# %%
try:
    from dreamlite_core.train import find_trained_pipeline

    pipeline_folder = find_trained_pipeline(profile)
except ImportError:  # the training package is optional for this notebook
    pipeline_folder = None
nano = load_nano_components(pipeline_folder, seed=seed)
print(nano.note)
print(f"nano U-Net: {nano.unet_params:,} parameters; source: {nano.source}")

# %% [markdown]
# ## Export: the authors' signature
# One function per component. The U-Net is wrapped in a module with a fixed argument order and traced; its five
# inputs are the authors': `sample` is the in-context `[noisy target | condition]` latent (twice as wide as it is
# high), the text length is flexible (`ct.RangeDim`). Compute is fp16, the target iOS16, the format an ML program.
# Each package is named by a hash of config, weights and shapes: running this cell again converts nothing.

# %%
exported = export_nano(nano, packages_dir, settings)
fp16 = exported["unet"]["fp16"]
signature = read_signature(fp16.path)
print(f"{fp16.path.name}: {'found, not converted again' if fp16.skipped else f'converted in {fp16.seconds:.1f} s'}")
signature_rows = [{"input": name, "shape": str(spec["shape"]),
                   "flexible dims (min..max)": ", ".join(f"{lo}..{hi}" for lo, hi in spec["range"] if lo != hi) or "-"}
                  for name, spec in signature["inputs"].items()]
pd.DataFrame(signature_rows)

# %%
print("outputs:", signature["outputs"])
for name in ("vae_decoder", "vae_encoder", "text_encoder"):
    r = exported[name]
    print(f"{name}: " + (f"{r.path.name}, {r.size_bytes / 1e6:.2f} MB, inputs {r.inputs}" if r else
                         "not exported under this profile"))

# %% [markdown]
# ## Compression variants and their size
# `coremltools.optimize.coreml` compresses the fp16 package: int8 linear quantization (a scale per output channel),
# k-means palettization with a 6-bit or 4-bit look-up table per tensor, and a mixed recipe (6-bit for the linear
# layers of attention and feed-forward, 8-bit for convolutions). Tensors of 2048 elements or fewer stay fp16, as in
# coremltools' default. The estimate column is parameters x bits / 8 plus look-up tables and scales.

# %%
sizes = pd.DataFrame(size_rows(exported, nano.unet))
run.table(sizes, "10_nano_package_sizes")
sizes

# %% [markdown]
# ## Parity: Apple's PSNR on Linux
# Apple's converter compares Core ML outputs with PyTorch's and refuses anything under 35 dB:
# PSNR = 20 log10((max|reference| + 1e-5) / (RMS error + 1e-10)). Here each variant's weights are compressed and
# decompressed back into a PyTorch copy of the U-Net (with the same look-up tables the package holds when
# `kmeans = "ours"`), and its output is compared with the fp32 model on seeded inputs at several timesteps (the
# worst one counts). Under `default` the copy also runs in fp16 on the CPU, closer to what Core ML computes.

# %%
parity = pd.DataFrame(unet_parity(nano.unet, exported["signature"], variants=settings["variants"],
                                  timesteps=tuple(settings["parity_timesteps"]), seed=seed,
                                  fp16_compute=bool(settings["fp16_compute"]), kmeans=settings["kmeans"]))
run.table(parity, "10_parity_psnr")
size_by_variant = dict(zip(sizes["variant"], sizes["bytes"]))
recommended = recommend(parity.to_dict("records"), size_by_variant)
print(f"smallest variant that passes the {APPLE_MIN_PSNR:.0f} dB gate: {recommended}")
parity

# %%
fig, ax = new_figure(size="wide")
shown = parity[parity["variant"] != "fp32"]
column = "psnr_fp16_compute_db" if shown["psnr_fp16_compute_db"].notna().all() else "psnr_weights_db"
ax.bar(shown["variant"], shown[column], color=["C2" if ok else "C3" for ok in shown["passes_apple_gate"]])
ax.axhline(APPLE_MIN_PSNR, color="0.3", ls="--", label=f"Apple's gate ({APPLE_MIN_PSNR:.0f} dB)")
for x, (v, mb) in enumerate(zip(shown["variant"], shown["variant"].map(size_by_variant) / 1e6)):
    ax.annotate(f"{mb:.2f} MB", (x, 2), ha="center", color="white", fontsize=8)
ax.set_ylabel(f"PSNR vs fp32 (dB, {column.replace('psnr_', '').replace('_db', '')})")
ax.set_title("Nano U-Net: output PSNR of each compressed variant (green = passes)")
ax.legend(loc="upper right")
run.figure(fig, "10_parity_psnr")

# %% [markdown]
# The fewer bits, the larger the error: every halving of the look-up table roughly doubles the weight error. Where
# the bar crosses the dashed line is the smallest package a Core ML converter would accept.
#
# ### How close is our k-means to coremltools'?
# The packages above use our deterministic 1-D k-means (so the PyTorch copy holds exactly the package's tables);
# coremltools' own `mode="kmeans"` solves 1-D k-means exactly for large tensors. The ratio of squared errors on the
# largest tensors says what that costs (1.0 = as good).

# %%
gap = pd.DataFrame(kmeans_gap(nano.unet, nbits=6))
run.table(gap, "10_kmeans_vs_coremltools")
gap

# %% [markdown]
# ## Does compression change what the model draws? (mini-GenEval)
# The same held-out prompts, seeds and sampler for every variant (`geneval_items`, `geneval_steps` in the profile),
# beside the oracle (ground-truth renders) and chance (shuffled pairings). It needs a trained model: a random U-Net
# draws noise whatever its weights.

# %%
geneval_rows, geneval_skip_reason = [], None
if not settings["geneval"]:
    geneval_skip_reason = f"disabled under the {profile} profile (geneval = false)"
elif not nano.trained:
    geneval_skip_reason = "no trained DreamLite-Nano pipeline under this profile (notebooks 04-06 train one)"
else:
    geneval_rows = geneval_by_variant(nano.pipeline, settings["variants"], n_items=settings["geneval_items"],
                                      num_inference_steps=settings["geneval_steps"], seed=seed,
                                      kmeans=settings["kmeans"])
    run.table(pd.DataFrame(geneval_rows), "10_geneval_by_variant")
print(f"mini-GenEval per variant skipped: {geneval_skip_reason}" if geneval_skip_reason else "")
pd.DataFrame(geneval_rows)

# %% [markdown]
# ## Full size: the 0.39B U-Net at 1024x1024
# The authors' config (`paper.DREAMLITE_UNET_CONFIG`, random weights by seed) exported with `sample` 1x4x128x256 and
# a text length of 10..512 tokens (default 77), then compressed into every variant. It runs in a child process, so
# its peak memory is its own; it checks free memory first and refuses with the fix if there is too little. The
# estimate needs no export (the model is built on the meta device).

# %%
import torch
from diffusers import DreamLiteUNetModel

with torch.device("meta"):
    full_meta = DreamLiteUNetModel(**paper.DREAMLITE_UNET_CONFIG)
full_params = sum(p.numel() for p in full_meta.parameters())
full_rows = [{"variant": v, "estimate_MB": estimate_size_bytes(full_meta, v) / 1e6} for v in settings["variants"]]
full_report, full_skip_reason = None, None
if settings["full_size"]:
    from dreamlite_core.export.fullsize import NotEnoughMemory, full_size_artifact

    try:
        full_report = full_size_artifact(run, settings)
    except (NotEnoughMemory, TimeoutError) as err:  # the message names the fix; the estimates below still hold
        full_skip_reason = str(err)
        print(f"full-size export not measured: {err}")
else:
    full_skip_reason = f"skipped under the {profile} profile (full_size = false)"
    print(f"full-size export {full_skip_reason}; estimates only")
if full_report:
    for row in full_rows:
        measured = full_report["variants"].get(row["variant"])
        row["measured_MB"] = measured["size_bytes"] / 1e6 if measured else None
        row["seconds"] = measured["seconds"] if measured else None  # fp16: the conversion, below
    full_rows[0]["seconds"] = full_report["convert_s"] if full_rows[0]["variant"] == "fp16" else full_rows[0]["seconds"]
    print(f"measured {full_report['measured_utc']}: {full_report['params']:,} parameters, wall "
          f"{full_report['wall_s']:.0f} s (convert {full_report['convert_s']:.0f} s), peak memory "
          f"{full_report['peak_rss_bytes'] / 2**30:.2f} GiB (child process)")
full_sizes = pd.DataFrame(full_rows)
run.table(full_sizes, "10_fullsize_package_sizes")
full_sizes

# %%
if full_report:
    ops = pd.DataFrame(sorted(full_report["op_counts"].items(), key=lambda kv: -kv[1]), columns=["op", "count"])
    run.table(ops, "10_fullsize_op_counts")
else:
    ops = pd.DataFrame(count_ops(fp16.path).most_common(), columns=["op", "count"])
    print("ops by type in the nano fp16 package (the full-size package is read back under default):")
ops.head(15)

# %% [markdown]
# ## What would it cost on the phone? (latency model)
# No iPhone here, so a roofline from notebook 01 (`dreamlite_core.arch.latency`): MACs against peak fp16 throughput
# and bytes against memory bandwidth, as a (low, high) range for 4 U-Net calls plus the TAESDXL decoder. On iOS16 a
# palettized package is decompressed to fp16 when it loads, so compression shrinks the download and the app, not the
# per-step cost; the last column shows the bandwidth-bound best case if weights were read compressed (iOS18 style).

# %%
from dataclasses import replace

from dreamlite_core.arch.latency import dreamlite_network_costs, iphone_latency, latency_breakdown

unet_cost, decoder_cost = dreamlite_network_costs()
latency = pd.DataFrame(latency_breakdown(unet_cost, decoder_cost, steps=4))
run.table(latency, "10_iphone_latency")
fp16_estimate = estimate_size_bytes(full_meta, "fp16")
latency_by_variant = []
for v in settings["variants"]:
    scaled = replace(unet_cost,
                     weight_bytes=int(unet_cost.weight_bytes * estimate_size_bytes(full_meta, v) / fp16_estimate))
    low, high = iphone_latency(scaled, decoder_cost, steps=4)
    latency_by_variant.append({"variant": v, "low_s": low, "high_s": high})
latency_by_variant = pd.DataFrame(latency_by_variant)
total = iphone_latency(unet_cost, decoder_cost, steps=4)
print(f"model: {total.low:.2f}-{total.high:.2f} s per 1024x1024 generation (4 steps, text encoder excluded); "
      f"the paper: about {paper.DEVICE_CLAIMS['iphone17pro_seconds']:.0f} s")
latency_by_variant

# %% [markdown]
# ## Two recipes side by side
# The DreamLite authors ship plain fp16 and rely on a small U-Net; Apple's recipe for larger Stable Diffusion models
# rewrites attention for the Neural Engine, chunks big U-Nets and palettizes.

# %%
recipes = pd.DataFrame(recipe_rows())
run.table(recipes, "10_recipes")
recipes

# %% [markdown]
# ## Using the package from Swift (not compiled here)
# Add the `.mlpackage` to an Xcode project (Xcode compiles it to `.mlmodelc`), then call it once per sampler step.
# The input names are the ones printed above; the text states come from the text encoder (or are precomputed).
#
# ```swift
# import CoreML
#
# let config = MLModelConfiguration()
# config.computeUnits = .all                       // the authors' choice; Apple uses .cpuAndNeuralEngine for split-einsum
# let unet = try MLModel(contentsOf: Bundle.main.url(forResource: "unet", withExtension: "mlmodelc")!,
#                        configuration: config)
#
# // latents: [target | condition], 1 x C x h x 2w; text: 1 x L x D with its mask (L within the package's range)
# let timestep = try MLMultiArray(shape: [1], dataType: .float32)
# timestep[0] = NSNumber(value: Float(t))
# let timeIds = try MLMultiArray(shape: [1, 2], dataType: .float32)
# timeIds[0] = NSNumber(value: Float(width)); timeIds[1] = NSNumber(value: Float(height))
# let inputs = try MLDictionaryFeatureProvider(dictionary: [
#     "sample": MLFeatureValue(multiArray: latents),
#     "timestep": MLFeatureValue(multiArray: timestep),
#     "encoder_hidden_states": MLFeatureValue(multiArray: textStates),
#     "encoder_attention_mask": MLFeatureValue(multiArray: textMask),
#     "time_ids": MLFeatureValue(multiArray: timeIds),
# ])
# let velocity = try unet.prediction(from: inputs).featureValue(for: "noise_pred")!.multiArrayValue!
# // Euler step on the left (target) half: latents_target += (sigma_next - sigma) * velocity_target
# // after the last step: unpack the target (a p x p pixel shuffle when the U-Net reads packed latents), then decode
# ```

# %% [markdown]
# ## What we saw

# %%
fp16_mb = size_by_variant["fp16"] / 1e6
smallest = min(size_by_variant, key=size_by_variant.get)
print(f"- Nano U-Net ({nano.unet_params:,} parameters, {'trained' if nano.trained else 'random stand-in'}): fp16 "
      f"package {fp16_mb:.2f} MB; the smallest variant ({smallest}) is {size_by_variant[smallest] / 1e6:.2f} MB "
      f"({size_by_variant[smallest] / size_by_variant['fp16']:.0%} of fp16).")
worst = parity[parity["variant"] != "fp32"].sort_values(column).iloc[0]
print(f"- PSNR vs fp32 ({column}): lowest for {worst['variant']} at {worst[column]:.1f} dB; the smallest variant "
      f"that passes Apple's {APPLE_MIN_PSNR:.0f} dB gate is {recommended}.")
if full_report:
    print(f"- Full size ({full_report['params']:,} parameters): fp16 "
          f"{full_report['variants']['fp16']['size_bytes'] / 1e6:.0f} MB, exported with every variant in "
          f"{full_report['wall_s']:.0f} s at a peak of {full_report['peak_rss_bytes'] / 2**30:.2f} GiB.")
else:
    print(f"- Full size ({full_params:,} parameters): estimated fp16 {full_rows[0]['estimate_MB']:.0f} MB; "
          f"not measured here: {full_skip_reason}")
print(f"- Latency model: {total.low:.2f}-{total.high:.2f} s per generation against the paper's "
      f"~{paper.DEVICE_CLAIMS['iphone17pro_seconds']:.0f} s.")

# %% [markdown]
# ## Where this differs from the paper
# - Nothing ran on an iPhone or a Mac here: `MLModel.predict` needs macOS, so parity is measured on PyTorch copies
#   of the compressed weights (fp32 or CPU fp16 compute), not on the Core ML runtime. `tests/test_export.py` runs
#   the real Core ML check on macOS.
# - The full-size U-Net has random weights: sizes, op counts, time and memory are the real model's; PSNR of a trained
#   model's compression would differ (trained weights have other statistics).
# - The nano text encoder is MiniLM, not Qwen3-VL-2B (which the authors run 4-bit via MLX, outside Core ML).
# - Attention is diffusers' computation with `expand` in place of `repeat_interleave` (same outputs), so that the
#   flexible text length converts; the authors' exact trace is not public.
# - Our packages' palettization tables come from our k-means (`kmeans = "ours"`), not coremltools' exact 1-D solver;
#   the k-means table above gives the gap.
#
# ## Try it
# 1. Set `kmeans = "coremltools"` in `[smoke.export]` and compare the parity table: how much of the 4-bit error is
#    the k-means, and how much the 16 levels?
# 2. Add a 3-bit variant to `dreamlite_core.export.compression.VARIANTS` and find where it falls against the gate.
# 3. On a Mac, run `pytest tests/test_export.py -k predict` to put the real Core ML runtime through Apple's gate.

# %%
metrics = {
    "nano_unet_params": nano.unet_params,
    "nano_trained": nano.trained,
    "unet_inputs": list(signature["inputs"]),
    "unet_outputs": signature["outputs"],
    "text_length_range": [r for r in signature["inputs"]["encoder_hidden_states"]["range"] if r[0] != r[1]],
    "nano_sizes_bytes": size_by_variant,
    "psnr_db": {r["variant"]: r[column] if r["variant"] != "fp32" else r["psnr_weights_db"]
                for r in parity.to_dict("records")},
    "psnr_column": column,
    "passes_apple_gate": dict(zip(parity["variant"], parity["passes_apple_gate"])),
    "recommended_variant": recommended,
    "kmeans_sse_ratio_mean": float(gap["sse_ratio"].mean()) if len(gap) else None,
    "geneval_by_variant": {r["variant"]: r["overall"] for r in geneval_rows} or None,
    "geneval_skipped_reason": geneval_skip_reason,
    "full_size_params": full_params,
    "full_size_estimate_mb": {r["variant"]: r["estimate_MB"] for r in full_rows},
    "full_size_measured": bool(full_report),
    "full_size_skipped_reason": full_skip_reason,
    "full_size_sizes_bytes": {k: v["size_bytes"] for k, v in full_report["variants"].items()} if full_report else None,
    "full_size_wall_s": full_report["wall_s"] if full_report else None,
    "full_size_peak_rss_bytes": full_report["peak_rss_bytes"] if full_report else None,
    "full_size_op_counts": full_report["op_counts"] if full_report else None,
    "latency_low_s": total.low,
    "latency_high_s": total.high,
    "predict_available": predict_ok,
}
run.write_results(metrics, unet_input_order=list(UNET_INPUTS), variants=list(VARIANTS))
