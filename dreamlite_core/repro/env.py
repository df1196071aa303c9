"""Environment check (``dreamlite env``): pinned packages, CPU/GPU, free memory, Core ML conversion.

Implements: the companion's set-up contract (no paper section). Introduced in ``notebooks/00_paper_in_numbers.py``.
"""

from __future__ import annotations

import os
import platform
import re
import tomllib
from importlib import metadata

from .provenance import REPO_ROOT


def pinned_requirements() -> dict[str, str]:
    """``{package: pinned version}`` from ``pyproject.toml`` (the installed distribution's metadata elsewhere)."""
    pyproject = REPO_ROOT / "pyproject.toml"
    if pyproject.exists():
        with open(pyproject, "rb") as f:
            requirements = tomllib.load(f)["project"]["dependencies"]
    else:  # installed without the source tree
        requirements = metadata.requires("dreamlite-companion") or []
    pins = {}
    for req in requirements:
        match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^;\s]+)", req)
        if match:
            pins[match.group(1).lower()] = match.group(2)
    return pins


def free_memory_gib() -> float | None:
    """``MemAvailable`` from ``/proc/meminfo`` in GiB; ``None`` where that file does not exist (macOS)."""
    try:
        with open("/proc/meminfo") as f:
            info = dict(line.split(":", 1) for line in f)
        return int(info["MemAvailable"].split()[0]) / 2**20
    except (OSError, KeyError, ValueError):
        return None


def coreml_probe() -> tuple[bool, str]:
    """Convert a one-layer torch model with coremltools; ``(ok, message)`` with the fix when it fails."""
    try:
        import coremltools as ct
        import numpy as np
        import torch
    except ImportError as err:
        return False, f"coremltools cannot be imported ({err}); fix: pip install coremltools==9.0"
    if tuple(int(x) for x in np.__version__.split(".")[:2]) >= (2, 4):
        return False, f"numpy {np.__version__} breaks ct.convert (apple/coremltools#2633); fix: pip install 'numpy<2.4'"
    try:
        model = torch.nn.Linear(4, 2).eval()
        traced = torch.jit.trace(model, torch.zeros(1, 4))
        ct.convert(traced, inputs=[ct.TensorType(name="x", shape=(1, 4))], convert_to="mlprogram",
                   minimum_deployment_target=ct.target.iOS16, skip_model_load=True)
    except Exception as err:  # noqa: BLE001 - report any converter failure with its message
        return False, f"ct.convert failed: {type(err).__name__}: {err}"
    return True, f"coremltools {ct.__version__} converts (prediction needs macOS; this is {platform.system()})"


def environment_report(check_coreml: bool = True) -> dict:
    """Everything ``dreamlite env`` prints, as data; ``ok`` is False when a pinned package is missing or off."""
    import torch

    packages = []
    for name, pinned in pinned_requirements().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        ok = installed is not None and installed.split("+")[0] == pinned
        packages.append({"package": name, "pinned": pinned, "installed": installed, "ok": ok})
    cuda = torch.cuda.is_available()
    report = {
        "packages": packages,
        "python": platform.python_version(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "torch_cuda_build": torch.version.cuda,
        "free_memory_gib": free_memory_gib(),
    }
    if check_coreml:
        report["coreml_ok"], report["coreml_message"] = coreml_probe()
    report["ok"] = all(p["ok"] for p in packages)
    return report


def print_report(report: dict) -> None:
    for p in report["packages"]:
        status = "OK  " if p["ok"] else "FAIL"
        print(f"{status} {p['package']:<24} pinned {p['pinned']:<10} installed {p['installed']}")
    print(f"python {report['python']}, {report['cpu_count']} CPUs ({report['torch_threads']} torch threads), "
          f"GPU: {report['gpu'] or 'none'}, torch CUDA build: {report['torch_cuda_build'] or 'none (CPU wheel)'}")
    if report["free_memory_gib"] is not None:
        print(f"free memory: {report['free_memory_gib']:.1f} GiB")
    if "coreml_ok" in report:
        print(f"{'OK  ' if report['coreml_ok'] else 'FAIL'} Core ML: {report['coreml_message']}")
