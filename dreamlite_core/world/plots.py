"""Pictures of ShapesWorld for notebook 02: the vocabulary, text-to-image examples, edit examples.

Implements: no paper equation; the figures of ``notebooks/02_shapesworld.py``. Each function draws onto axes the
caller made (the notebook uses ``dreamlite_core.repro.new_figure`` so the house style applies; ``world`` imports
nothing else of ``dreamlite_core``).
"""

from __future__ import annotations

import textwrap

import numpy as np

from .constants import BACKGROUNDS, COLORS, SHAPES
from .render import render_scene
from .scene import Scene, SceneObject


def _show(ax, image, title: str | None = None, width: int = 28, fontsize: float = 7) -> None:
    ax.imshow(image, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    if title:
        ax.set_title("\n".join(textwrap.wrap(title, width)), fontsize=fontsize)


def show_vocabulary(axes, size: int = 32) -> None:
    """Every shape (rows) in every colour (columns) at ``size`` px on the default background; ``axes`` has
    shape (len(SHAPES), len(COLORS))."""
    axes = np.asarray(axes)
    for i, shape in enumerate(SHAPES):
        for j, color in enumerate(COLORS):
            img = render_scene(Scene((SceneObject(shape, color, size="large"),)), size)
            _show(axes[i, j], img, color if i == 0 else None, fontsize=8)
            if j == 0:
                axes[i, j].set_ylabel(shape, fontsize=8)


def show_backgrounds(axes, size: int = 32) -> None:
    """The backgrounds with a small scene on each; one axis per background."""
    objs = (SceneObject("circle", "red", 0.3, 0.35, "small"), SceneObject("star", "white", 0.7, 0.65, "small"))
    for ax, name in zip(np.ravel(axes), BACKGROUNDS):
        _show(ax, render_scene(Scene(objs, name), size), name, fontsize=8)


def show_t2i_items(axes, items, size: int = 32, wrap: int = 28) -> None:
    """One item per axis: the ground-truth render with its task and prompt (DPG paragraphs cut to 90 chars)."""
    for ax, it in zip(np.ravel(axes), items):
        prompt = it.prompt if len(it.prompt) <= 90 else it.prompt[:87] + "..."
        _show(ax, render_scene(it.scene, size), f"[{it.task}] {prompt}", wrap, fontsize=6.5)
    for ax in np.ravel(axes)[len(items):]:
        ax.axis("off")


def show_edit_items(axes, items, size: int = 32, wrap: int = 30) -> None:
    """One edit per row: source | target | edit mask; ``axes`` has shape (len(items), 3)."""
    axes = np.asarray(axes).reshape(-1, 3)
    for row, it in zip(axes, items):
        _show(row[0], render_scene(it.source, size), f"source [{it.edit_type} / {it.gedit_group}]", 40, 6.5)
        _show(row[1], render_scene(it.target, size), it.instruction, wrap, 6.5)
        _show(row[2], it.edit_mask(size), "edit mask", fontsize=6.5)
        row[2].images[0].set_cmap("gray")
