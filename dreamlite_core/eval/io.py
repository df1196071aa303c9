"""The file format that ``dreamlite eval`` reads: a folder of PNGs plus a JSON Lines file of what was asked.

Implements: the evaluators' input contract, so that they score images from anywhere (the nano model, the
ground-truth renders, any other generator). Introduced in ``notebooks/02_shapesworld.py``.

Layout::

    DIR/
      items.jsonl          one JSON object per line, one line per image
      000000.png           8-bit RGB (RGBA, L and P are converted to RGB), square, one size for the folder
      000000_source.png    edits only, optional: the source image the edit was applied to

Each line holds the item as ``T2IItem.to_dict()`` / ``EditItem.to_dict()`` write it, plus

- ``"image"``: the PNG's file name, relative to ``DIR`` (required);
- ``"source_image"``: for edits, the source PNG's file name (optional: when absent the source is rendered from
  the line's ``"source"`` scene at the folder's image size).

For mini-GenEval a line may instead be GenEval's own metadata (``{"image", "tag", "include", "exclude",
"prompt"}``) with shapes for classes. ``write_eval_folder`` writes this layout; ``read_eval_folder`` checks it:
a missing, unreadable or wrong-size image, a line that is not JSON, a PNG no line names, or metadata that names
an unknown shape or colour is an ``EvalInputError`` naming the file and the line. Nothing is skipped.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from ..repro.outputs import temp_dir
from ..world.edit import EditItem
from ..world.render import render_scene
from ..world.scene import SceneError
from ..world.t2i import T2IItem
from .common import EvalInputError, validate_t2i_spec

ITEMS_FILE = "items.jsonl"
EDIT_BENCHMARKS = ("imgedit", "gedit")


def write_eval_folder(folder, items, images, source_images=None, overwrite: bool = False) -> Path:
    """Write ``images`` (uint8 (N, S, S, 3) or a list) and their ``items`` in the layout above. The folder is
    written beside its final place and renamed into it, so an interrupted write leaves nothing behind."""
    from PIL import Image

    folder = Path(folder)
    items = list(items)
    images = list(images)
    if len(images) != len(items):
        raise EvalInputError(f"got {len(images)} images for {len(items)} items")
    if source_images is not None and len(list(source_images)) != len(items):
        raise EvalInputError(f"got {len(list(source_images))} source images for {len(items)} items")
    if folder.exists() and any(folder.iterdir()):
        if not overwrite:
            raise EvalInputError(f"{folder} exists and is not empty; pass overwrite=True to replace it")
    tmp = temp_dir(folder.parent, f".{folder.name}-")
    try:
        lines = []
        for i, (it, im) in enumerate(zip(items, images)):
            name = f"{i:06d}.png"
            Image.fromarray(np.asarray(im, dtype=np.uint8), "RGB").save(tmp / name)
            d = {"image": name, **(it.to_dict() if hasattr(it, "to_dict") else dict(it))}
            if source_images is not None:
                src_name = f"{i:06d}_source.png"
                Image.fromarray(np.asarray(source_images[i], dtype=np.uint8), "RGB").save(tmp / src_name)
                d["source_image"] = src_name
            lines.append(json.dumps(d, sort_keys=True))
        (tmp / ITEMS_FILE).write_text("\n".join(lines) + "\n")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def _load_png(path: Path, where: str, size: int | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    if not path.is_file():
        raise EvalInputError(f"{where} names {path.name}, which does not exist in {path.parent}")
    try:
        with Image.open(path) as im:
            im.load()
            if im.mode not in ("RGB", "RGBA", "L", "P"):
                raise EvalInputError(f"{path} ({where}) has mode {im.mode}; expected 8-bit RGB")
            arr = np.asarray(im.convert("RGB"), dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        if isinstance(err, EvalInputError):
            raise
        raise EvalInputError(f"{path} ({where}) cannot be read as an image: {err}") from None
    h, w = arr.shape[:2]
    if h != w:
        raise EvalInputError(f"{path} ({where}) is {w}x{h}; ShapesWorld images are square")
    if size is not None and h != size:
        raise EvalInputError(f"{path} ({where}) is {w}x{h}; expected {size}x{size} like the rest of the folder "
                             "(re-render at one size, or pass --size to state the size you expect)")
    return arr


def read_eval_folder(folder, benchmark: str, size: int | None = None) -> dict:
    """Read and check a folder for ``benchmark`` (geneval, dpg, imgedit, gedit). Returns ``{"items", "images",
    "source_images" (edits), "names"}``; raises ``EvalInputError`` naming the file and line on bad input."""
    folder = Path(folder)
    if not folder.is_dir():
        raise EvalInputError(f"{folder} is not a folder; expected a folder of PNGs with {ITEMS_FILE}")
    items_path = folder / ITEMS_FILE
    if not items_path.is_file():
        raise EvalInputError(f"{folder} has no {ITEMS_FILE}: write one JSON object per line, each naming its PNG "
                             "in 'image' (see dreamlite_core/eval/io.py)")
    is_edit = benchmark in EDIT_BENCHMARKS
    items, images, sources, names, used = [], [], [], [], set()
    raw_lines = items_path.read_text().splitlines()
    for lineno, line in enumerate(raw_lines, start=1):
        where = f"{ITEMS_FILE} line {lineno}"
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as err:
            raise EvalInputError(f"{folder / ITEMS_FILE} line {lineno} is not valid JSON: {err.msg}") from None
        if not isinstance(d, dict) or "image" not in d:
            raise EvalInputError(f"{folder / ITEMS_FILE} line {lineno} has no 'image' (the PNG's file name)")
        try:
            if is_edit:
                item = EditItem.from_dict(d, where)
            elif "scene" in d:
                item = T2IItem.from_dict(d, where)
                validate_t2i_spec(item.spec, where)
            else:
                spec = d.get("spec", d)
                validate_t2i_spec(spec, where)
                item = {"spec": spec, "task": spec["tag"], "prompt": spec.get("prompt", "")}
        except (SceneError, ValueError, KeyError, TypeError) as err:
            if isinstance(err, EvalInputError):
                raise
            raise EvalInputError(f"{folder / ITEMS_FILE} line {lineno}: {err}") from None
        img = _load_png(folder / d["image"], where, size)
        size = size or img.shape[0]
        used.add(d["image"])
        if is_edit:
            if "source_image" in d:
                src = _load_png(folder / d["source_image"], where, size)
                used.add(d["source_image"])
            else:
                src = render_scene(item.source, size)
            sources.append(src)
        items.append(item)
        images.append(img)
        names.append(f"{d['image']} ({where})")
    if not items:
        raise EvalInputError(f"{items_path} holds no items")
    stray = sorted(p.name for p in folder.glob("*.png") if p.name not in used)
    if stray:
        raise EvalInputError(f"{folder} holds {len(stray)} PNG(s) that {ITEMS_FILE} does not name (e.g. "
                             f"{stray[0]}); add a line for each or move them out")
    out = {"items": items, "images": np.stack(images), "names": names}
    if is_edit:
        out["source_images"] = np.stack(sources)
    return out
