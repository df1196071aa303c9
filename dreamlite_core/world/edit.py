"""Edit items of ShapesWorld: (source scene, instruction, target scene, edit mask) for ImgEdit's nine edit types
and GEdit-Bench's eleven groups.

Implements: the data side of mini-ImgEdit (PKU-YuanGroup/ImgEdit: add, adjust, extract, replace, remove,
background, style, hybrid, action) and mini-GEdit (stepfun-ai/Step1X-Edit's GEdit-Bench groups), and the editing
pairs of the paper's stage-2 pretraining (the source is the condition half of ``[target | condition]``). See
``/work/shared/PAPER_FACTS.md``. Introduced in ``notebooks/02_shapesworld.py``.

How ShapesWorld edits map onto the two benchmarks (``EDIT_OPS``; also printed in ``data_cards/shapesworld_edit.md``):

| op | instruction (example) | ImgEdit type | GEdit group |
|---|---|---|---|
| add | "add a red star at the top left" | add | subject-add |
| remove | "remove the blue circle" | remove | subject-remove |
| extract | "extract the blue circle" (everything else removed) | extract | subject-remove |
| replace | "replace the blue circle with a red star" | replace | subject-replace |
| reshape | "turn the blue circle into a star" (same colour, place, size: a new glyph) | replace | text_change |
| recolor | "make the blue circle red" | adjust | color_alter |
| refill | "make the blue circle hollow" | adjust | material_alter |
| resize | "make the blue circle larger" (a subject's proportions retouched) | adjust | ps_human |
| tone | "make every shape blue" (a global colour tone) | adjust | tone_transfer |
| background | "change the background to teal" | background | background_change |
| style | "turn the picture into a line drawing" | style | style_change |
| move | "move the blue circle to the right" | action | motion_change |
| rotate | "turn the black triangle upside down" | action | motion_change |
| two ops joined by "and" | "remove the blue circle and make the red star green" | hybrid | the first op's group |

GEdit's ``ps_human`` (portrait retouching) and ``text_change`` (rewriting text in the picture) have no exact
counterpart in a world of shapes: resizing a subject and changing a glyph's form are the stand-ins.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .constants import BACKGROUND_NAMES, COLORS, DEFAULT_BACKGROUND, SHAPES, SIZE_NAMES, article
from .layout import fits, random_position, region_box, region_of
from .render import object_coverage
from .scene import Scene, SceneObject
from .splits import (HELD_OUT_COLOR_SHAPES, HELD_OUT_KEYS, allowed_colors, check_split, color_shape_key,
                     is_held_out_color_shape)
from .t2i import allocate

#: ImgEdit's nine edit types.
EDIT_TYPES: tuple[str, ...] = ("add", "adjust", "extract", "replace", "remove", "background", "style", "hybrid",
                               "action")
#: GEdit-Bench's eleven groups.
GEDIT_GROUPS: tuple[str, ...] = ("background_change", "color_alter", "material_alter", "motion_change", "ps_human",
                                 "style_change", "subject-add", "subject-remove", "subject-replace", "text_change",
                                 "tone_transfer")
#: op -> (ImgEdit type, GEdit group).
EDIT_OPS: dict[str, tuple[str, str]] = {
    "add": ("add", "subject-add"), "remove": ("remove", "subject-remove"), "extract": ("extract", "subject-remove"),
    "replace": ("replace", "subject-replace"), "reshape": ("replace", "text_change"),
    "recolor": ("adjust", "color_alter"), "refill": ("adjust", "material_alter"), "resize": ("adjust", "ps_human"),
    "tone": ("adjust", "tone_transfer"), "background": ("background", "background_change"),
    "style": ("style", "style_change"), "move": ("action", "motion_change"), "rotate": ("action", "motion_change"),
}
#: Which ops make each ImgEdit type (hybrid joins two of ``HYBRID_OPS``).
TYPE_OPS: dict[str, tuple[str, ...]] = {
    "add": ("add",), "remove": ("remove",), "extract": ("extract",), "replace": ("replace", "reshape"),
    "adjust": ("recolor", "refill", "resize", "tone"), "background": ("background",), "style": ("style",),
    "action": ("move", "rotate"), "hybrid": (),
}
HYBRID_OPS: tuple[str, ...] = ("add", "remove", "replace", "recolor", "background")

_MOVE_WORDS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}
_MOVE_STEP = 0.25


@dataclass
class EditItem:
    """One edit: instruction, ImgEdit type, GEdit group, source and target scenes, and the evaluator's spec."""

    instruction: str
    edit_type: str
    gedit_group: str
    source: Scene
    target: Scene
    spec: dict
    split: str = "train"
    item_id: str = ""
    keys: tuple[str, ...] = field(default_factory=tuple)

    def edit_mask(self, size: int = 32) -> np.ndarray:
        """Bool (size, size): the pixels the edit may change (changed objects in source and target, grown by one
        pixel; the background for background edits; every object for style and tone edits)."""
        return edit_mask(self.source, self.target, self.spec, size)

    def to_dict(self) -> dict:
        return {"id": self.item_id, "split": self.split, "instruction": self.instruction,
                "edit_type": self.edit_type, "gedit_group": self.gedit_group, "spec": self.spec,
                "source": self.source.to_dict(), "target": self.target.to_dict(), "keys": list(self.keys)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict, where: str = "") -> EditItem:
        missing = {"instruction", "edit_type", "gedit_group", "spec", "source", "target"} - set(d)
        at = f" at {where}" if where else ""
        if missing:
            raise ValueError(f"edit item{at} lacks {sorted(missing)}")
        if d["edit_type"] not in EDIT_TYPES:
            raise ValueError(f"unknown edit type {d['edit_type']!r}{at}; types: {', '.join(EDIT_TYPES)}")
        if d["gedit_group"] not in GEDIT_GROUPS:
            raise ValueError(f"unknown GEdit group {d['gedit_group']!r}{at}; groups: {', '.join(GEDIT_GROUPS)}")
        return cls(instruction=d["instruction"], edit_type=d["edit_type"], gedit_group=d["gedit_group"],
                   source=Scene.from_dict(d["source"], where), target=Scene.from_dict(d["target"], where),
                   spec=d["spec"], split=d.get("split", "train"), item_id=d.get("id", ""),
                   keys=tuple(d.get("keys", ())))

    @classmethod
    def from_json(cls, text: str, where: str = "") -> EditItem:
        return cls.from_dict(json.loads(text), where)

    def composition_keys(self) -> frozenset[str]:
        return frozenset(self.keys)


def edit_mask(source: Scene, target: Scene, spec: dict, size: int = 32) -> np.ndarray:
    """The edit region (see ``EditItem.edit_mask``)."""
    from scipy.ndimage import binary_dilation

    mask = np.zeros((size, size), dtype=bool)
    if spec.get("region") == "background" or spec.get("background_changed"):
        union = np.zeros((size, size), dtype=np.float32)
        for o in source.objects:
            union = np.maximum(union, object_coverage(o, size, source.style))
        mask |= union < 0.999
        if spec.get("region") == "background":
            return mask
    for i in spec.get("changed_source", []):
        mask |= object_coverage(source.objects[i], size, source.style) > 0
    for i in spec.get("changed_target", []):
        mask |= object_coverage(target.objects[i], size, target.style) > 0
    return binary_dilation(mask, iterations=1)


# --------------------------------------------------------------------------------------------------- sources
def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _source_scene(rng, split: str, n: int | None = None, style: str = "flat") -> Scene | None:
    n = int(rng.integers(2, 5)) if n is None else n
    pairs = [(c, s) for s in SHAPES for c in allowed_colors(s, split)]
    chosen = [pairs[k] for k in rng.permutation(len(pairs))[:n]]
    if split == "test":  # every test source shows at least one held-out colour-shape pair
        held = _pick(rng, HELD_OUT_COLOR_SHAPES)
        if held not in chosen:
            chosen[int(rng.integers(n))] = held
    objs = []
    for color, shape in chosen:
        size = _pick(rng, ("small", "medium", "medium")) if n > 2 else _pick(rng, ("small", "medium", "large"))
        fill = "hollow" if size != "small" and rng.random() < 0.15 else "solid"
        rot = 180.0 if shape == "triangle" and rng.random() < 0.2 else 0.0
        objs.append(SceneObject(shape, color, size=size, fill=fill, rotation=rot))
    from .layout import place_all

    placed = place_all(rng, objs)
    if placed is None:
        return None
    background = DEFAULT_BACKGROUND if rng.random() < 0.7 else _pick(rng, BACKGROUND_NAMES)
    return Scene(tuple(placed), background, style)


def _new_pair(rng, split: str, scene: Scene, keep_shape: str | None = None, keep_color: str | None = None):
    """A (colour, shape) that is not yet in ``scene``; in test, held-out pairs are preferred."""
    taken = {(o.color, o.shape) for o in scene.objects}
    cands = [(c, s) for s in SHAPES for c in allowed_colors(s, split) if (c, s) not in taken
             and (keep_shape is None or s == keep_shape) and (keep_color is None or c == keep_color)]
    if split == "test":
        held = [p for p in cands if is_held_out_color_shape(*p)]
        if held and rng.random() < 0.5:
            cands = held
    return _pick(rng, cands) if cands else None


def _ref(o: SceneObject) -> str:
    return f"the {o.color} {o.shape}"


# --------------------------------------------------------------------------------------------------- ops
# Each op: (rng, split, scene) -> (target scene, instruction, op spec) or None when it does not apply.
# The op spec lists changed object indices in source ("changed_source") and target ("changed_target").

def _op_add(rng, split, scene):
    pair = _new_pair(rng, split, scene)
    if pair is None or len(scene.objects) >= 5:
        return None
    color, shape = pair
    obj = SceneObject(shape, color, size=_pick(rng, ("small", "medium")))
    region = _pick(rng, ("top left", "top right", "bottom left", "bottom right", "top center", "bottom center",
                         "middle left", "middle right", "center"))
    placed = random_position(rng, obj, scene.objects, region=region_box(region), tries=100)
    if placed is None:
        return None
    region = region_of(placed.x, placed.y)
    where = "in the center" if region == "center" else f"at the {region}"
    target = scene.replace(objects=scene.objects + (placed,))
    return target, f"add {article(color)} {color} {shape} {where}", {
        "op": "add", "object": placed.to_dict(), "region": region,
        "changed_source": [], "changed_target": [len(scene.objects)]}


def _op_remove(rng, split, scene):
    if len(scene.objects) < 2:
        return None
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    target = scene.replace(objects=scene.objects[:i] + scene.objects[i + 1:])
    return target, f"remove {_ref(o)}", {"op": "remove", "object_index": i, "changed_source": [i],
                                         "changed_target": []}


def _op_extract(rng, split, scene):
    if len(scene.objects) < 2:
        return None
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    target = scene.replace(objects=(o,))
    others = [k for k in range(len(scene.objects)) if k != i]
    return target, f"extract {_ref(o)} and remove everything else", {
        "op": "extract", "object_index": i, "changed_source": others, "changed_target": []}


def _replace_at(scene, i, new):
    objs = list(scene.objects)
    objs[i] = new
    return scene.replace(objects=tuple(objs))


def _op_replace(rng, split, scene):
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    pair = _new_pair(rng, split, scene)
    if pair is None or pair[1] == o.shape or pair[0] == o.color:
        return None
    new = o.replace(color=pair[0], shape=pair[1], rotation=0.0)
    return _replace_at(scene, i, new), f"replace {_ref(o)} with {article(pair[0])} {pair[0]} {pair[1]}", {
        "op": "replace", "object_index": i, "new": {"color": pair[0], "shape": pair[1]},
        "changed_source": [i], "changed_target": [i]}


def _op_reshape(rng, split, scene):
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    pair = _new_pair(rng, split, scene, keep_color=o.color)
    if pair is None:
        return None
    new = o.replace(shape=pair[1], rotation=0.0)
    return _replace_at(scene, i, new), f"turn {_ref(o)} into {article(pair[1])} {pair[1]}", {
        "op": "reshape", "object_index": i, "new": {"color": o.color, "shape": pair[1]},
        "changed_source": [i], "changed_target": [i]}


def _op_recolor(rng, split, scene):
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    pair = _new_pair(rng, split, scene, keep_shape=o.shape)
    if pair is None:
        return None
    new = o.replace(color=pair[0])
    return _replace_at(scene, i, new), f"make {_ref(o)} {pair[0]}", {
        "op": "recolor", "object_index": i, "new": {"color": pair[0], "shape": o.shape},
        "changed_source": [i], "changed_target": [i]}


def _op_refill(rng, split, scene):
    cands = [k for k, o in enumerate(scene.objects) if o.size != "small"]
    if not cands or scene.style != "flat":
        return None
    i = _pick(rng, cands)
    o = scene.objects[i]
    fill = "solid" if o.fill == "hollow" else "hollow"
    text = f"make {_ref(o)} hollow" if fill == "hollow" else f"fill in {_ref(o)}"
    return _replace_at(scene, i, o.replace(fill=fill)), text, {
        "op": "refill", "object_index": i, "new": {"fill": fill}, "changed_source": [i], "changed_target": [i]}


def _op_resize(rng, split, scene):
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    k = SIZE_NAMES.index(o.size)
    steps = [d for d in (-1, 1) if 0 <= k + d < len(SIZE_NAMES)]
    d = _pick(rng, steps)
    new = o.replace(size=SIZE_NAMES[k + d])
    others = [x for j, x in enumerate(scene.objects) if j != i]
    if not fits(new, others):
        return None
    word = "larger" if d > 0 else "smaller"
    return _replace_at(scene, i, new), f"make {_ref(o)} {word}", {
        "op": "resize", "object_index": i, "new": {"size": new.size}, "direction": word,
        "changed_source": [i], "changed_target": [i]}


def _op_tone(rng, split, scene):
    shapes = [o.shape for o in scene.objects]
    if len(set(shapes)) != len(shapes):
        return None
    colors = [c for c in COLORS if all(c in allowed_colors(s, split) for s in shapes)
              and any(o.color != c for o in scene.objects)]
    if not colors:
        return None
    c = _pick(rng, colors)
    target = scene.replace(objects=tuple(o.replace(color=c) for o in scene.objects))
    idx = list(range(len(scene.objects)))
    return target, f"make every shape {c}", {"op": "tone", "new": {"color": c}, "changed_source": idx,
                                             "changed_target": idx}


def _op_background(rng, split, scene):
    bg = _pick(rng, tuple(b for b in BACKGROUND_NAMES if b != scene.background))
    return scene.replace(background=bg), f"change the background to {bg}", {
        "op": "background", "new": {"background": bg}, "region": "background",
        "changed_source": [], "changed_target": []}


def _op_style(rng, split, scene):
    idx = list(range(len(scene.objects)))
    if scene.style == "flat":
        return scene.replace(style="outline"), "turn the picture into a line drawing", {
            "op": "style", "new": {"style": "outline"}, "changed_source": idx, "changed_target": idx}
    return scene.replace(style="flat"), "fill in the line drawing with solid colour", {
        "op": "style", "new": {"style": "flat"}, "changed_source": idx, "changed_target": idx}


def _op_move(rng, split, scene):
    i = int(rng.integers(len(scene.objects)))
    o = scene.objects[i]
    word = _pick(rng, tuple(_MOVE_WORDS))
    dx, dy = _MOVE_WORDS[word]
    others = [x for j, x in enumerate(scene.objects) if j != i]
    for step in (_MOVE_STEP, 0.2, 0.3):
        new = o.replace(x=round(o.x + dx * step, 4), y=round(o.y + dy * step, 4))
        if fits(new, others):
            return _replace_at(scene, i, new), f"move {_ref(o)} {word}", {
                "op": "move", "object_index": i, "direction": word, "distance": step,
                "changed_source": [i], "changed_target": [i]}
    return None


def _op_rotate(rng, split, scene):
    cands = [k for k, o in enumerate(scene.objects) if o.shape == "triangle"]
    if not cands:
        return None
    i = _pick(rng, cands)
    o = scene.objects[i]
    new = o.replace(rotation=(o.rotation + 180.0) % 360.0)
    return _replace_at(scene, i, new), f"turn {_ref(o)} upside down", {
        "op": "rotate", "object_index": i, "new": {"rotation": new.rotation},
        "changed_source": [i], "changed_target": [i]}


_OPS = {"add": _op_add, "remove": _op_remove, "extract": _op_extract, "replace": _op_replace,
        "reshape": _op_reshape, "recolor": _op_recolor, "refill": _op_refill, "resize": _op_resize,
        "tone": _op_tone, "background": _op_background, "style": _op_style, "move": _op_move,
        "rotate": _op_rotate}


def _hybrid(rng, split, scene):
    """Two ops on different objects, applied in order: "remove the X and make the Y green"."""
    first, second = (HYBRID_OPS[k] for k in rng.choice(len(HYBRID_OPS), size=2, replace=False))
    r1 = _OPS[first](rng, split, scene)
    if r1 is None:
        return None
    mid, text1, spec1 = r1
    r2 = _OPS[second](rng, split, mid)
    if r2 is None:
        return None
    target, text2, spec2 = r2
    # The objects touched by op 1 must not be touched by op 2 (and indices must be mapped back to the source).
    touched1 = set(spec1["changed_target"])
    if touched1 & set(spec2["changed_source"]):
        return None
    # Map op-2 source indices (indices in ``mid``) back to ``scene``.
    mid_to_src = _index_map(spec1, len(scene.objects), len(mid.objects))
    changed_source = sorted(set(spec1["changed_source"]) | {mid_to_src[i] for i in spec2["changed_source"]
                                                            if mid_to_src[i] is not None})
    # Map op-1 target indices (in ``mid``) forward to ``target``.
    mid_to_tgt = _index_map(spec2, len(mid.objects), len(target.objects), forward=True)
    changed_target = sorted({mid_to_tgt[i] for i in spec1["changed_target"] if mid_to_tgt[i] is not None}
                            | set(spec2["changed_target"]))
    spec = {"op": "hybrid", "ops": [spec1, spec2], "changed_source": changed_source,
            "changed_target": changed_target}
    if spec1.get("region") == "background" or spec2.get("region") == "background":
        spec["background_changed"] = True
    return target, f"{text1} and {text2}", spec


def _index_map(spec: dict, n_before: int, n_after: int, forward: bool = False) -> list:
    """Index correspondence across one op. Backward (default): for each index after the op, the index before
    (``None`` for an added object). Forward: for each index before, the index after (``None`` if removed)."""
    op = spec["op"]
    if op == "add":
        after_to_before = list(range(n_before)) + [None]
    elif op == "remove":
        i = spec["object_index"]
        after_to_before = [k if k < i else k + 1 for k in range(n_after)]
    elif op == "extract":
        after_to_before = [spec["object_index"]]
    else:
        after_to_before = list(range(n_after))
    if not forward:
        return after_to_before
    before_to_after: list = [None] * n_before
    for a, b in enumerate(after_to_before):
        if b is not None:
            before_to_after[b] = a
    return before_to_after


def unchanged_pairs(item: EditItem) -> list[tuple[int, int]]:
    """(source index, target index) of every object the edit must leave as it was."""
    spec = item.spec
    ops = spec["ops"] if spec["op"] == "hybrid" else [spec]
    n = len(item.source.objects)
    cur = list(range(n))  # cur[k] = source index of object k in the current scene
    for s in ops:
        back = _index_map(s, len(cur), _count_after(s, len(cur)))
        cur = [cur[b] if b is not None else None for b in back]
    changed_src = set(spec["changed_source"])
    changed_tgt = set(spec["changed_target"])
    return [(src, t) for t, src in enumerate(cur) if src is not None and src not in changed_src
            and t not in changed_tgt]


def _count_after(spec, n_before):
    return {"add": n_before + 1, "remove": n_before - 1, "extract": 1}.get(spec["op"], n_before)


GROUP_OPS: dict[str, tuple[str, ...]] = {g: tuple(op for op, (_, grp) in EDIT_OPS.items() if grp == g)
                                         for g in GEDIT_GROUPS}


def make_edit_items(split: str, n: int, seed: int, type_weights: dict | None = None,
                    group_weights: dict | None = None) -> list[EditItem]:
    """``n`` edit items of ``split``, deterministic in ``seed``.

    ``type_weights`` maps ImgEdit types (``EDIT_TYPES``) to weights (default: equal). Alternatively
    ``group_weights`` maps GEdit groups (``GEDIT_GROUPS``) to weights, for GEdit-balanced sets (no hybrids then:
    each item's group is its op's group). Counts per type (or group) are exact; the order is shuffled.
    """
    split_index = check_split(split)
    if group_weights is not None and type_weights is not None:
        raise ValueError("pass type_weights or group_weights, not both")
    if group_weights is not None:
        labels = allocate(int(n), group_weights, GEDIT_GROUPS)
    else:
        labels = allocate(int(n), type_weights if type_weights is not None else {t: 1.0 for t in EDIT_TYPES},
                          EDIT_TYPES)
    rng = np.random.default_rng([int(seed), split_index, 2 if group_weights is None else 3])
    labels = [labels[i] for i in rng.permutation(len(labels))]
    items = []
    for i, label in enumerate(labels):
        for _ in range(500):
            if group_weights is not None:
                op = _pick(rng, GROUP_OPS[label])
                etype = EDIT_OPS[op][0]
            else:
                etype = label
                op = "hybrid" if etype == "hybrid" else _pick(rng, TYPE_OPS[etype])
            style = "outline" if op == "style" and rng.random() < 0.5 else "flat"
            source = _source_scene(rng, split, style=style)
            if source is None:
                continue
            if op == "hybrid":
                result = _hybrid(rng, split, source)
                group_op = None if result is None else result[2]["ops"][0]["op"]
            else:
                result = _OPS[op](rng, split, source)
                group_op = op
            if result is None:
                continue
            target, text, spec = result
            keys = frozenset(color_shape_key(o.color, o.shape) for sc in (source, target) for o in sc.objects)
            if bool(keys & HELD_OUT_KEYS) != (split == "test"):
                continue
            break
        else:  # pragma: no cover
            raise RuntimeError(f"could not build a {label} edit for split {split!r}")
        group = EDIT_OPS[group_op][1]
        spec = {"edit_type": etype, "gedit_group": group, "instruction": text, **spec}
        items.append(EditItem(instruction=text, edit_type=etype, gedit_group=group, source=source, target=target,
                              spec=spec, split=split, item_id=f"{split}-edit-{seed}-{i:06d}",
                              keys=tuple(sorted(keys))))
    return items
