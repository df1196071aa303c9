"""Shared plumbing of ``dreamlite generate`` and ``dreamlite edit``: find the model, load it, save the image.

Implements: the companion's command line for DreamLite-Nano (issue 5; the paper's deployment is one model that
generates and edits). Introduced in the README and ``notebooks/03_in_context_concatenation.py``.
Keeps heavy imports inside functions: ``dreamlite --help`` must stay fast.
"""

from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


class CLIError(Exception):
    """A user-facing error with its exit code."""

    def __init__(self, message: str, code: int = EXIT_BAD_INPUT):
        super().__init__(message)
        self.code = code


def add_common_arguments(parser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="random seed of the initial noise (default 0)")
    parser.add_argument("--out", required=True, help="output image path (.png); written atomically")
    parser.add_argument("--model", default=None,
                        help="a DreamLiteNanoPipeline folder (save_pretrained); default: the latest default run's "
                             "trained model")
    parser.add_argument("--steps", type=int, default=28, help="sampling steps (default 28, the paper's base model)")
    parser.add_argument("--guidance-scale", type=float, default=None, help="text classifier-free guidance")
    parser.add_argument("--scale", type=int, default=1, help="also upscale the saved image by this integer factor "
                        "(nearest neighbour; the model works at 32x32)")


def resolve_model(model: str | None) -> Path:
    """``--model`` or the trained default pipeline (``dreamlite_core.train.find_trained_pipeline("default")``)."""
    if model is not None:
        return Path(model)
    try:
        from ..train import find_trained_pipeline
    except ImportError:
        find_trained_pipeline = None
    folder = find_trained_pipeline("default") if find_trained_pipeline is not None else None
    if folder is None:
        raise CLIError("no trained DreamLite-Nano model exists yet: run `make reproduce` (or `dreamlite reproduce "
                       "--profile default`) to train one, or pass --model DIR", EXIT_BAD_INPUT)
    return Path(folder)


def load_pipeline(model: str | None):
    from .pipeline import DreamLiteNanoPipeline, ModelFolderError

    folder = resolve_model(model)
    try:
        pipe = DreamLiteNanoPipeline.from_pretrained(folder)
    except ModelFolderError as err:
        raise CLIError(str(err), EXIT_BAD_INPUT) from err
    pipe.set_progress_bar_config(disable=True)
    return pipe


def check_out_path(out: str) -> Path:
    path = Path(out)
    if path.suffix.lower() != ".png":
        raise CLIError(f"--out '{out}' must end in .png", EXIT_BAD_INPUT)
    if path.exists() and path.is_dir():
        raise CLIError(f"--out '{out}' is a folder; give a file name such as {path / 'image.png'}", EXIT_BAD_INPUT)
    return path


def save_output(image, out: Path, scale: int) -> None:
    from PIL import Image

    from .pipeline import save_image_atomic

    if scale < 1:
        raise CLIError(f"--scale must be at least 1; got {scale}")
    if scale > 1:
        image = Image.fromarray(image).resize((image.shape[1] * scale, image.shape[0] * scale), Image.NEAREST)
    save_image_atomic(image, out)


def run_safely(fn) -> int:
    """Run ``fn()``; print a CLIError or ValueError as ``error: ...`` and return its exit code."""
    try:
        return fn()
    except CLIError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.code
    except (ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
