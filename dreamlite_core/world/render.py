"""The ShapesWorld renderer: anti-aliased scenes at any resolution, deterministic, fast.

Implements: the image side of the companion's ground truth (the "oracle" that every mini benchmark is calibrated
on). Introduced in ``notebooks/02_shapesworld.py``.

Each object is rasterised at ``SUPERSAMPLE`` (4) x the output resolution and box-filtered to a coverage (alpha)
sprite; the pixel colour is painted with "over" compositing,

    C = C_below * (1 - alpha) + C_object * alpha,                      (alpha = covered fraction of the pixel)

Sprites are cached by (shape, size in sub-pixels, rotation, fill, sub-pixel phase), so rendering a scene costs a
few small array operations per object: ``benchmarks/world_render_speed.py`` measures scenes per second.
Object centres are snapped to the sub-pixel grid (1/4 px at the default supersampling).
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .constants import (BACKGROUNDS, COLORS, HOLLOW_MIN_STROKE_PX, HOLLOW_STROKE, SUPERSAMPLE)
from .scene import Scene, SceneObject, effective_fill

#: The five shapes as point-in-shape tests on unit coordinates (u right, v down, the shape's box is about
#: [-1, 1]^2 at rotation 0).
_STAR_OUTER, _STAR_INNER = 1.0, 0.42
_CROSS_ARM = 0.36
_SQUARE_HALF = 0.9
_TRIANGLE = np.array([(0.0, -1.0), (1.0, 0.85), (-1.0, 0.85)])


def _star_polygon() -> np.ndarray:
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, _STAR_OUTER, _STAR_INNER)
    pts = np.stack([radii * np.cos(angles), radii * np.sin(angles)], axis=1)
    pts[:, 1] += (1.0 - pts[:, 1].max()) / 2 - (1.0 + pts[:, 1].min()) / 2  # centre the box vertically
    return pts


_STAR = _star_polygon()


def _in_polygon(u: np.ndarray, v: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd rule, vectorised over points."""
    inside = np.zeros(u.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[(i + 1) % n]
        crosses = (y1 > v) != (y2 > v)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (x2 - x1) * (v - y1) / (y2 - y1) + x1
        inside ^= crosses & (u < x_at)
    return inside


def shape_inside(shape: str, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Boolean mask: which unit-coordinate points lie inside ``shape`` (at rotation 0)."""
    if shape == "circle":
        return u * u + v * v <= 1.0
    if shape == "square":
        return np.maximum(np.abs(u), np.abs(v)) <= _SQUARE_HALF
    if shape == "triangle":
        return _in_polygon(u, v, _TRIANGLE)
    if shape == "star":
        return _in_polygon(u, v, _STAR)
    if shape == "cross":
        au, av = np.abs(u), np.abs(v)
        return ((au <= _CROSS_ARM) & (av <= 1.0)) | ((av <= _CROSS_ARM) & (au <= 1.0))
    raise ValueError(f"unknown shape {shape!r}")


def _half_box(radius_ss: int, rotation: float) -> int:
    axis_aligned = abs(math.remainder(rotation, 90.0)) < 1e-9
    return int(math.ceil(radius_ss * (1.0 if axis_aligned else 1.42))) + 2


@lru_cache(maxsize=4096)
def _supersampled_mask(shape: str, radius_ss: int, rotation: float, fill: str, stroke_ss: float) -> np.ndarray:
    """The object's mask on the sub-pixel grid, centred on a sub-pixel corner: shape (2B, 2B)."""
    b = _half_box(radius_ss, rotation)
    k = np.arange(-b, b) + 0.5
    v, u = np.meshgrid(k / radius_ss, k / radius_ss, indexing="ij")
    if rotation:
        th = math.radians(rotation)  # counter-clockwise as seen on screen (v points down)
        c, s = math.cos(th), math.sin(th)
        u, v = u * c - v * s, u * s + v * c
    mask = shape_inside(shape, u, v)
    if fill == "hollow":
        from scipy.ndimage import distance_transform_edt

        mask = mask & ~(distance_transform_edt(mask) > stroke_ss)
    return mask


@lru_cache(maxsize=65536)
def _alpha_sprite(shape: str, radius_ss: int, rotation: float, fill: str, stroke_ss: float, ss: int,
                  phase_y: int, phase_x: int) -> np.ndarray:
    """Coverage sprite at output resolution for a mask whose top-left sub-pixel has the given phase mod ss."""
    mask = _supersampled_mask(shape, radius_ss, rotation, fill, stroke_ss)
    h, w = mask.shape
    hh, ww = -(-(h + phase_y) // ss) * ss, -(-(w + phase_x) // ss) * ss
    padded = np.zeros((hh, ww), dtype=np.float32)
    padded[phase_y:phase_y + h, phase_x:phase_x + w] = mask
    alpha = padded.reshape(hh // ss, ss, ww // ss, ss).mean(axis=(1, 3))
    alpha.setflags(write=False)
    return alpha


def object_alpha_sprite(obj: SceneObject, size: int, style: str = "flat", supersample: int = SUPERSAMPLE):
    """``(alpha, top, left)``: the object's coverage sprite and where its top-left pixel lands (may be < 0)."""
    ss = supersample
    canvas_ss = size * ss
    radius_ss = max(1, int(round(obj.radius * canvas_ss)))
    fill = effective_fill(obj, style)
    stroke_ss = max(HOLLOW_STROKE * radius_ss, HOLLOW_MIN_STROKE_PX * ss) if fill == "hollow" else 0.0
    stroke_ss = round(stroke_ss, 1)
    rotation = float(obj.rotation % 360.0)
    b = _half_box(radius_ss, rotation)
    cx, cy = int(round(obj.x * canvas_ss)), int(round(obj.y * canvas_ss))
    x0, y0 = cx - b, cy - b  # top-left sub-pixel of the mask
    px, py = x0 % ss, y0 % ss
    alpha = _alpha_sprite(obj.shape, radius_ss, rotation, fill, stroke_ss, ss, py, px)
    return alpha, (y0 - py) // ss, (x0 - px) // ss


def _paint(canvas: np.ndarray, alpha: np.ndarray, top: int, left: int, rgb: np.ndarray) -> None:
    size_h, size_w = canvas.shape[:2]
    h, w = alpha.shape
    t0, l0 = max(top, 0), max(left, 0)
    t1, l1 = min(top + h, size_h), min(left + w, size_w)
    if t1 <= t0 or l1 <= l0:
        return
    a = alpha[t0 - top:t1 - top, l0 - left:l1 - left, None]
    region = canvas[t0:t1, l0:l1]
    region += a * (rgb - region)  # "over": C = C_below (1 - alpha) + C_object alpha


_RGB = {name: np.array(rgb, dtype=np.float32) for name, rgb in {**COLORS, **BACKGROUNDS}.items()}


def render_scene_float(scene: Scene, size: int = 32, supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Render to float32 (size, size, 3) in [0, 255] without rounding."""
    canvas = np.empty((size, size, 3), dtype=np.float32)
    canvas[:] = _RGB[scene.background]
    for obj in scene.objects:
        alpha, top, left = object_alpha_sprite(obj, size, scene.style, supersample)
        _paint(canvas, alpha, top, left, _RGB[obj.color])
    return canvas


def render_scene(scene: Scene, size: int = 32, supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Render ``scene`` as uint8 RGB of shape (size, size, 3): anti-aliased and deterministic.

    >>> from dreamlite_core.world import Scene, SceneObject
    >>> render_scene(Scene((SceneObject("star", "red"),)), 32).shape
    (32, 32, 3)
    """
    if not isinstance(size, (int, np.integer)) or size < 4:
        raise ValueError(f"size must be an integer >= 4 pixels, got {size!r}")
    return np.rint(render_scene_float(scene, int(size), supersample)).astype(np.uint8)


def render_scenes(scenes, size: int = 32, supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Render many scenes into one uint8 array (N, size, size, 3)."""
    scenes = list(scenes)
    out = np.empty((len(scenes), size, size, 3), dtype=np.uint8)
    for i, scene in enumerate(scenes):
        out[i] = np.rint(render_scene_float(scene, size, supersample))
    return out


def object_coverage(obj: SceneObject, size: int = 32, style: str = "flat",
                    supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Float32 (size, size) coverage of one object on an otherwise empty canvas (0 = not covered, 1 = fully)."""
    cov = np.zeros((size, size, 1), dtype=np.float32)
    alpha, top, left = object_alpha_sprite(obj, size, style, supersample)
    _paint(cov, alpha, top, left, np.ones(1, dtype=np.float32))
    return cov[..., 0]


def visible_coverage(scene: Scene, size: int = 32, supersample: int = SUPERSAMPLE) -> np.ndarray:
    """Float32 (n_objects, size, size): each object's coverage after the objects above it are painted."""
    covs = np.stack([object_coverage(o, size, scene.style, supersample) for o in scene.objects]) \
        if scene.objects else np.zeros((0, size, size), dtype=np.float32)
    visible = covs.copy()
    for i in range(len(covs) - 1):
        visible[i] *= np.prod(1.0 - covs[i + 1:], axis=0)
    return visible
