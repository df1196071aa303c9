"""Splits of ShapesWorld: ``train``, ``validation`` and a held-out ``test`` split of unseen compositions.

Implements: the companion's compositional hold-out (GenEval and DPG-Bench measure composition; a model that saw
every composition in training would be measured on memory). Introduced in ``notebooks/02_shapesworld.py``.

A *composition key* is a string naming one composition that an item's prompt, instruction or ground-truth scenes
contain: ``"color_shape:red star"`` (an object of that colour and shape, anywhere), ``"count:circle:4"`` (a counting
prompt), ``"pair:cross+triangle"`` (a two-object prompt), ``"axis:circle+star:horizontal"`` (a position prompt
relating the two shapes left/right). ``HELD_OUT_KEYS`` lists the test split's compositions. The rule:

- ``train`` and ``validation`` items contain *no* held-out key (not in the text, not in any rendered scene);
- every ``test`` item contains at least one held-out key.

So no test composition is ever seen in training (``tests/test_world_splits.py`` proves it on generated items). The
five single-object prompts ("a photo of a star") cannot be held out without hiding a shape; their test items
draw the object in a held-out colour instead.
"""

from __future__ import annotations

from .constants import COLORS, SHAPES

SPLITS: tuple[str, ...] = ("train", "validation", "test")

#: Ten colour-shape pairs never drawn in train/validation: one per colour, each shape twice.
HELD_OUT_COLOR_SHAPES: tuple[tuple[str, str], ...] = (
    ("red", "star"), ("orange", "square"), ("yellow", "circle"), ("green", "cross"), ("blue", "triangle"),
    ("purple", "circle"), ("pink", "square"), ("brown", "star"), ("black", "triangle"), ("white", "cross"))
#: Counting prompts held out: (shape, number).
HELD_OUT_COUNTS: tuple[tuple[str, int], ...] = (("circle", 4), ("star", 3), ("cross", 2))
#: Two-object prompts held out (unordered shape pairs).
HELD_OUT_PAIRS: tuple[tuple[str, str], ...] = (("cross", "triangle"), ("circle", "star"), ("square", "star"))
#: Position prompts held out: an unordered shape pair and an axis (horizontal = left of / right of).
HELD_OUT_AXES: tuple[tuple[tuple[str, str], str], ...] = (
    (("circle", "star"), "horizontal"), (("cross", "square"), "vertical"), (("circle", "triangle"), "vertical"))


def color_shape_key(color: str, shape: str) -> str:
    return f"color_shape:{color} {shape}"


def count_key(shape: str, n: int) -> str:
    return f"count:{shape}:{n}"


def pair_key(a: str, b: str) -> str:
    return "pair:" + "+".join(sorted((a, b)))


def axis_key(a: str, b: str, relation: str) -> str:
    axis = "horizontal" if relation in ("left of", "right of") else "vertical"
    return "axis:" + "+".join(sorted((a, b))) + ":" + axis


HELD_OUT_KEYS: frozenset[str] = frozenset(
    [color_shape_key(c, s) for c, s in HELD_OUT_COLOR_SHAPES]
    + [count_key(s, n) for s, n in HELD_OUT_COUNTS]
    + [pair_key(a, b) for a, b in HELD_OUT_PAIRS]
    + [axis_key(a, b, "left of" if axis == "horizontal" else "above") for (a, b), axis in HELD_OUT_AXES])

_HELD_CS = frozenset(HELD_OUT_COLOR_SHAPES)


def allowed_colors(shape: str, split: str) -> tuple[str, ...]:
    """Colours a ``shape`` may be drawn in outside the held-out compositions (train/validation)."""
    return tuple(c for c in COLORS if (c, shape) not in _HELD_CS) if split != "test" else tuple(COLORS)


def held_out_colors(shape: str) -> tuple[str, ...]:
    """The held-out colours of ``shape`` (two per shape)."""
    return tuple(c for c, s in HELD_OUT_COLOR_SHAPES if s == shape)


def is_held_out_color_shape(color: str, shape: str) -> bool:
    return (color, shape) in _HELD_CS


def check_split(split: str) -> int:
    """Index of ``split`` in ``SPLITS``; a clear error for anything else."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; ShapesWorld splits: {', '.join(SPLITS)}")
    return SPLITS.index(split)


assert all(s in SHAPES for _, s in HELD_OUT_COLOR_SHAPES)
