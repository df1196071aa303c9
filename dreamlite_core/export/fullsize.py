"""The full-size export: DreamLite's 0.39B U-Net at 1024x1024 (sample 1x4x128x256) to Core ML, every variant.

Implements: the authors' U-Net export (arXiv 2603.28713; PAPER_FACTS.md "Deployment": fp16 Core ML, iOS16, a
flexible text length 10..512 with default 77, encoder_hidden_states (1, L, 2048)) on the authors' config
(``paper.DREAMLITE_UNET_CONFIG``, 389,968,388 parameters) with random weights by seed, or a local checkpoint
folder. Introduced in ``notebooks/10_coreml_iphone.py`` (default profile).

The export runs in a child process (``python -m dreamlite_core.export.fullsize``) so that its peak memory is its
own (``ru_maxrss`` / ``VmHWM`` of that process, not of the notebook) and every byte is returned to the system when
it ends. Before starting, the free memory (``MemAvailable`` in ``/proc/meminfo``) is checked against
``min_free_gib``: too little and it refuses with a message that says what to do.

Expected sizes: bytes ~ parameters x bits / 8 (+ a LUT per tensor for palettization, a scale per channel for int8):
0.39B params -> about 780 MB at fp16, 390 MB at int8, 290 MB at 6 bits, 195 MB at 4 bits.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

from ..repro.env import free_memory_gib
from .compression import VARIANTS, get_variant


class NotEnoughMemory(MemoryError):
    """Too little free memory for the full-size export; the message names the fix."""


def peak_rss_bytes() -> int:
    """This process's peak resident memory: ``VmHWM`` from ``/proc/self/status``, else ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(rss if sys.platform == "darwin" else rss * 1024)  # bytes on macOS, KiB on Linux


def check_free_memory(min_free_gib: float) -> float | None:
    """Raise :class:`NotEnoughMemory` when less than ``min_free_gib`` is free; return the free GiB."""
    free = free_memory_gib()
    if free is not None and free < min_free_gib:
        raise NotEnoughMemory(
            f"the full-size Core ML export needs about {min_free_gib:.1f} GiB of free memory (it peaked at 4.8 GB "
            f"on a 0.37B U-Net) but only {free:.1f} GiB is available. Fix: close other programs (or wait for other "
            f"jobs to finish) and run again, or skip it with full_size = false in the [<profile>.export] section of "
            f"dreamlite_core/repro/profiles.toml (the smoke profile skips it)")
    return free


def build_full_unet(checkpoint: str | os.PathLike | None = None, seed: int = 0):
    """The authors' U-Net: ``DreamLiteUNetModel(**DREAMLITE_UNET_CONFIG)`` seeded, or loaded from a local diffusers
    folder (``checkpoint`` or ``checkpoint/unet``) with ``from_pretrained`` (safetensors, offline)."""
    import torch
    from diffusers import DreamLiteUNetModel

    from .. import paper

    if checkpoint is not None:
        folder = Path(checkpoint)
        if (folder / "unet" / "config.json").exists():
            folder = folder / "unet"
        if not (folder / "config.json").exists():
            raise FileNotFoundError(f"no diffusers U-Net at {checkpoint} (expected config.json there or in unet/); "
                                    f"pass a folder written by DreamLiteUNetModel.save_pretrained")
        return DreamLiteUNetModel.from_pretrained(folder, local_files_only=True, use_safetensors=True).eval()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DreamLiteUNetModel(**paper.DREAMLITE_UNET_CONFIG).eval()


def _child(out_dir: Path, variants: list[str], seed: int, checkpoint: str | None, kmeans: str, fast: bool,
           latent_size: int) -> dict:
    """The export itself (runs in the child process)."""
    import gc

    import torch

    from .coreml import UNetSignature, compress_package, count_ops, export_unet

    torch.set_grad_enabled(False)
    report: dict = {"variants": {}, "seed": seed, "checkpoint": checkpoint, "kmeans": kmeans,
                    "load_average_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None}
    start = time.perf_counter()
    unet = build_full_unet(checkpoint, seed)
    report["build_s"] = time.perf_counter() - start
    report["params"] = sum(p.numel() for p in unet.parameters())
    print(f"built {report['params']:,} parameters in {report['build_s']:.1f} s; "
          f"peak {peak_rss_bytes() / 2**30:.2f} GiB",
          flush=True)
    signature = UNetSignature.for_unet(unet, latent_size=latent_size)  # 10..512 tokens, default 77
    report["sample_shape"] = list(signature.sample_shape)
    t = time.perf_counter()
    fp16 = export_unet(unet, out_dir, signature)
    report["convert_s"] = time.perf_counter() - t
    report["skipped_existing"] = fp16.skipped
    del unet
    gc.collect()
    report["peak_rss_after_convert_bytes"] = peak_rss_bytes()
    for name in variants:
        t = time.perf_counter()
        result = compress_package(fp16, name, kmeans=kmeans, fast=fast)
        report["variants"][name] = {"size_bytes": result.size_bytes, "seconds": time.perf_counter() - t,
                                    "path": str(result.path)}
        print(f"{name}: {result.size_bytes / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s; "
              f"peak {peak_rss_bytes() / 2**30:.2f} GiB", flush=True)
        gc.collect()
    report["op_counts"] = dict(count_ops(fp16.path).most_common())
    report["wall_s"] = time.perf_counter() - start
    report["peak_rss_bytes"] = peak_rss_bytes()
    report["load_average_end"] = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    report["cpu_count"] = os.cpu_count()
    return report


def run_full_size_export(out_dir: str | os.PathLike, variants=tuple(VARIANTS), seed: int = 0,
                         checkpoint: str | os.PathLike | None = None, kmeans: str = "coremltools",
                         fast: bool = False, latent_size: int = 128, min_free_gib: float = 6.0,
                         timeout_s: float = 600.0, keep_packages: bool = False, nice: int = 5,
                         log_path: str | os.PathLike | None = None) -> dict:
    """Export the 0.39B U-Net and every variant in a child process; return its report.

    Report keys: ``params``, ``sample_shape``, ``build_s``, ``convert_s``, ``wall_s`` (child's own clock),
    ``peak_rss_bytes`` (child's peak resident memory), ``variants`` {name: size_bytes, seconds}, ``op_counts``
    (ops by type read back from the saved fp16 package), ``free_gib_before``. The packages are deleted afterwards
    unless ``keep_packages`` (they are about 2 GB together). Raises :class:`NotEnoughMemory` before starting when
    memory is short, ``TimeoutError`` after ``timeout_s``, ``RuntimeError`` with the log's tail if the child fails.
    """
    for name in variants:
        get_variant(name)
    free = check_free_memory(min_free_gib)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report_path = out_dir / "fullsize_report.json"
    log_path = Path(log_path) if log_path else out_dir / "fullsize_export.log"
    cmd = [sys.executable, "-m", "dreamlite_core.export.fullsize", "--out", str(out_dir / "packages"),
           "--report", str(report_path), "--seed", str(seed), "--kmeans", kmeans, "--latent-size", str(latent_size),
           "--variants", *variants]
    if checkpoint is not None:
        cmd += ["--checkpoint", str(checkpoint)]
    if fast:
        cmd.append("--fast")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "TQDM_DISABLE": "1"}
    start = time.perf_counter()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env,
                                preexec_fn=(lambda: os.nice(nice)) if nice and hasattr(os, "nice") else None)
        try:
            code = proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise TimeoutError(f"the full-size export ran past {timeout_s:.0f} s and was stopped; log: {log_path}. "
                               f"Fix: run it on a less loaded machine, or export fewer variants "
                               f"(full_size_variants in profiles.toml)") from None
    if code != 0 or not report_path.exists():
        tail = "".join(Path(log_path).read_text().splitlines(keepends=True)[-15:])
        raise RuntimeError(f"the full-size export failed (exit code {code}); log {log_path}, last lines:\n{tail}")
    report = json.loads(report_path.read_text())
    report["outer_wall_s"] = time.perf_counter() - start
    report["free_gib_before"] = free
    if not keep_packages:
        shutil.rmtree(out_dir / "packages", ignore_errors=True)
        for v in report["variants"].values():
            v["path"] = None
    report_path.write_text(json.dumps(report, indent=2))
    return report


def full_size_artifact(run, settings: dict, checkpoint: str | os.PathLike | None = None) -> dict:
    """The full-size export as a cached artifact of ``run`` (``runs/<profile>/artifacts/coreml-fullsize-<hash>/``):
    exported once per (U-Net config, seed or checkpoint, variants, k-means backend, coremltools version); a later
    call returns the stored report (its ``measured_utc`` says when it ran). Packages are not kept."""
    import coremltools as ct

    from .. import paper

    config = {"unet_config": paper.DREAMLITE_UNET_CONFIG, "seed": run.seed,
              "checkpoint": str(checkpoint) if checkpoint else None,
              "variants": list(settings["full_size_variants"]), "kmeans": settings["kmeans"],
              "fast": bool(settings["fast_compress"]), "coremltools": ct.__version__, "latent_size": 128}

    def build(folder: Path) -> None:
        report = run_full_size_export(folder, variants=config["variants"], seed=run.seed, checkpoint=checkpoint,
                                      kmeans=config["kmeans"], fast=config["fast"],
                                      min_free_gib=float(settings["full_size_min_free_gib"]),
                                      timeout_s=float(settings["full_size_timeout_s"]), log_path=log_path)
        report["measured_utc"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        (folder / "fullsize_report.json").write_text(json.dumps(report, indent=2))

    log_path = run.work_dir / "logs" / "coreml-fullsize.log"  # outside the artifact: kept when the build fails
    log_path.parent.mkdir(parents=True, exist_ok=True)
    folder = run.artifact("coreml-fullsize", config, build)
    return json.loads((folder / "fullsize_report.json").read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Export DreamLite's 0.39B U-Net to Core ML (child process).")
    parser.add_argument("--out", required=True)
    parser.add_argument("--report", required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--checkpoint", default=None)
    parser.add_argument("--kmeans", default="coremltools")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--latent-size", type=int, default=128)
    parser.add_argument("--variants", nargs="+", default=list(VARIANTS))
    args = parser.parse_args(argv)
    import logging

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s: %(message)s", stream=sys.stdout)
    logging.getLogger("dreamlite_core").setLevel(logging.INFO)
    report = _child(Path(args.out), args.variants, args.seed, args.checkpoint, args.kmeans, args.fast,
                    args.latent_size)
    Path(args.report).write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k != "op_counts"}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
