"""The scene grammar of ShapesWorld: a scene is a background, a global style and a list of objects, each with a
shape, a colour, a size, a fill, a position and a rotation.

Implements: the ground-truth scene graph behind the companion's mini GenEval / DPG / ImgEdit / GEdit (the
benchmarks are summarised in ``/work/shared/PAPER_FACTS.md``). Introduced in ``notebooks/02_shapesworld.py``.

Coordinates are fractions of the canvas: ``x`` grows to the right, ``y`` grows downwards (image convention), the
centre of the canvas is (0.5, 0.5). A scene is independent of the resolution it is rendered at.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field

from .constants import (BACKGROUNDS, COLORS, DEFAULT_BACKGROUND, FILLS, SHAPES, SIZES, STYLES)


class SceneError(ValueError):
    """A scene or scene object that names an unknown shape, colour, size, fill, background or style."""


def _check(value, allowed, what: str, where: str = "") -> None:
    if value not in allowed:
        at = f" in {where}" if where else ""
        raise SceneError(f"unknown {what} {value!r}{at}; ShapesWorld knows: {', '.join(map(str, allowed))}")


@dataclass(frozen=True)
class SceneObject:
    """One object of a scene. ``size`` names an entry of ``SIZES`` (half-extent as a fraction of the canvas)."""

    shape: str
    color: str
    x: float = 0.5
    y: float = 0.5
    size: str = "medium"
    fill: str = "solid"
    rotation: float = 0.0

    def __post_init__(self):
        _check(self.shape, SHAPES, "shape")
        _check(self.color, COLORS, "colour")
        _check(self.size, SIZES, "size")
        _check(self.fill, FILLS, "fill")

    @property
    def radius(self) -> float:
        """Half-extent of the object's box as a fraction of the canvas side."""
        return SIZES[self.size]

    @property
    def name(self) -> str:
        """How prompts refer to it: ``"red circle"``."""
        return f"{self.color} {self.shape}"

    def replace(self, **changes) -> SceneObject:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict, where: str = "") -> SceneObject:
        unknown = set(d) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise SceneError(f"unknown scene-object field(s) {sorted(unknown)}{' in ' + where if where else ''}")
        try:
            return cls(**d)
        except SceneError as err:
            raise SceneError(f"{err}{' (' + where + ')' if where else ''}") from None
        except TypeError as err:
            raise SceneError(f"bad scene object {d!r}{' in ' + where if where else ''}: {err}") from None


@dataclass(frozen=True)
class Scene:
    """A ShapesWorld scene: objects painted in order (later on top) on a plain background."""

    objects: tuple[SceneObject, ...] = field(default_factory=tuple)
    background: str = DEFAULT_BACKGROUND
    style: str = "flat"

    def __post_init__(self):
        object.__setattr__(self, "objects", tuple(self.objects))
        _check(self.background, BACKGROUNDS, "background")
        _check(self.style, STYLES, "style")

    def replace(self, **changes) -> Scene:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return {"background": self.background, "style": self.style,
                "objects": [o.to_dict() for o in self.objects]}

    @classmethod
    def from_dict(cls, d: dict, where: str = "") -> Scene:
        if not isinstance(d, dict) or "objects" not in d:
            raise SceneError(f"a scene must be a dict with 'objects'{' in ' + where if where else ''}; got {d!r}")
        objects = tuple(SceneObject.from_dict(o, where) for o in d["objects"])
        try:
            return cls(objects=objects, background=d.get("background", DEFAULT_BACKGROUND),
                       style=d.get("style", "flat"))
        except SceneError as err:
            raise SceneError(f"{err}{' (' + where + ')' if where else ''}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Scene:
        return cls.from_dict(json.loads(text))

    def find(self, color: str, shape: str) -> int:
        """Index of the object called ``"{color} {shape}"`` (scenes used for edits and DPG keep names unique)."""
        for i, o in enumerate(self.objects):
            if o.color == color and o.shape == shape:
                return i
        raise KeyError(f"no {color} {shape} in scene")


def effective_fill(obj: SceneObject, scene_style: str) -> str:
    """The fill an object is drawn with: the ``outline`` style draws every object hollow."""
    return "hollow" if scene_style == "outline" else obj.fill
