"""Real weights: load a local diffusers U-Net folder and check its counts against the meta-device accounting.

Implements: the bridge from the paper's released checkpoints (``carlofkl/DreamLite-base`` / ``-mobile``, revision
``diffusers``; DreamLite arXiv 2603.28713) to the companion's weight-free accounting. Nothing is downloaded: point
``load_local_unet`` at a folder you already have (a pipeline folder with ``unet/`` or the ``unet/`` folder itself).
Introduced in ``notebooks/01_sdxl_to_dreamlite.py`` ("Try it: real weights").
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import paper
from .accounting import build_meta, count_params

__all__ = ["UNET_CLASSES", "find_unet_folder", "load_local_unet", "unet_report"]

UNET_CLASSES = ("DreamLiteUNetModel", "UNet2DConditionModel")


def find_unet_folder(path: str | Path) -> tuple[Path, str]:
    """The folder holding the U-Net's ``config.json`` and its class name, or ``ValueError`` naming ``path``.

    Accepts a U-Net folder (``config.json`` with ``_class_name`` DreamLiteUNetModel or UNet2DConditionModel) or a
    pipeline folder with a ``unet/`` subfolder.
    """
    root = Path(path).expanduser()
    if not root.exists():
        raise ValueError(f"U-Net path '{root}' does not exist; pass a local diffusers folder (nothing is downloaded)")
    if not root.is_dir():
        raise ValueError(f"U-Net path '{root}' is a file; pass the diffusers folder that holds config.json")
    for folder in (root, root / "unet"):
        config = folder / "config.json"
        if config.is_file():
            try:
                class_name = json.loads(config.read_text()).get("_class_name")
            except json.JSONDecodeError as exc:
                raise ValueError(f"'{config}' is not valid JSON: {exc}") from exc
            if class_name in UNET_CLASSES:
                return folder, class_name
    raise ValueError(f"no U-Net in '{root}': expected '{root / 'config.json'}' or '{root / 'unet' / 'config.json'}' "
                     f"with _class_name one of {UNET_CLASSES} (a pipeline folder such as DreamLite-mobile's "
                     "'diffusers' revision has it in unet/)")


def load_local_unet(path: str | Path, torch_dtype=None):
    """Load the U-Net of a local diffusers folder with ``from_pretrained`` (safetensors only, offline).

    Returns the model; raises ``ValueError`` naming the path when the folder holds no U-Net or no safetensors
    weights. Check it with :func:`unet_report`.
    """
    import diffusers

    folder, class_name = find_unet_folder(path)
    if not any(folder.glob("*.safetensors")):
        raise ValueError(f"no *.safetensors weights in '{folder}' (this companion never unpickles .bin files)")
    cls = getattr(diffusers, class_name)
    kwargs = {"local_files_only": True, "use_safetensors": True}
    if torch_dtype is not None:
        kwargs["torch_dtype"] = torch_dtype
    return cls.from_pretrained(folder, **kwargs)


def unet_report(model) -> dict:
    """Counts of a loaded U-Net beside the meta-device count of its own config and the paper's exact counts."""
    params = count_params(model)
    meta_params = count_params(build_meta(type(model), dict(model.config)))
    known = {"DreamLite": paper.DREAMLITE_UNET_PARAMS, "SDXL": paper.SDXL_UNET_PARAMS}
    return {"class": type(model).__name__, "params": params, "meta_params": meta_params,
            "matches_meta": params == meta_params,
            "matches_paper": next((name for name, n in known.items() if n == params), None)}
