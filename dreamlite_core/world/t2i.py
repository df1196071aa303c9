"""Text-to-image items of ShapesWorld: GenEval's six task templates (shapes in place of COCO objects) and dense
DPG-style paragraphs with their question graphs.

Implements: the prompt side of mini-GenEval (djghosh13/geneval: single object, two object, counting 2-4, colors,
position, color attribution; metadata ``{"tag", "include", "exclude", "prompt"}`` as in GenEval's
``evaluation_metadata.jsonl``) and of mini-DPG (ELLA's DPG-Bench: DSG-style questions in a dependency graph;
categories entity, attribute, relation, global, other). See ``/work/shared/PAPER_FACTS.md``. Introduced in
``notebooks/02_shapesworld.py``.

Every item carries the ground-truth ``scene`` that satisfies its prompt (the oracle) and a JSON ``spec`` that the
evaluators check, so items can travel as JSON Lines beside a folder of PNGs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from .constants import (BACKGROUND_NAMES, COLORS, DEFAULT_BACKGROUND, NUMBER_WORDS, PLURALS, RELATIONS, SHAPES,
                        article)
from .layout import place_all, place_pair, region_of, relation_strengths
from .scene import Scene, SceneObject
from .splits import (HELD_OUT_AXES, HELD_OUT_COLOR_SHAPES, HELD_OUT_COUNTS, HELD_OUT_KEYS, HELD_OUT_PAIRS,
                     allowed_colors, axis_key, check_split, color_shape_key, count_key, held_out_colors, pair_key)

#: GenEval's six tasks (its ``tag`` values) plus the DPG paragraphs.
GENEVAL_TASKS: tuple[str, ...] = ("single_object", "two_object", "counting", "colors", "position", "color_attr")
T2I_TASKS: tuple[str, ...] = GENEVAL_TASKS + ("dpg",)

#: GenEval's prompt templates, verbatim, with shapes in place of COCO objects.
TEMPLATES: dict[str, str] = {
    "single_object": "a photo of {a} {object}",
    "two_object": "a photo of {a1} {object1} and {a2} {object2}",
    "counting": "a photo of {number} {objects}",
    "colors": "a photo of {a} {color} {object}",
    "position": "a photo of {a1} {object1} {relation} {a2} {object2}",
    "color_attr": "a photo of {a1} {color1} {object1} and {a2} {color2} {object2}",
}

#: DPG question categories (DPG-Bench's L1 categories).
DPG_CATEGORIES: tuple[str, ...] = ("entity", "attribute", "relation", "global", "other")

_ORDINALS = ("", "second ", "third ", "fourth ")


@dataclass
class T2IItem:
    """One text-to-image item: the prompt, its task, a ground-truth scene and the evaluator's spec."""

    prompt: str
    task: str
    scene: Scene
    spec: dict
    split: str = "train"
    item_id: str = ""
    keys: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {"id": self.item_id, "split": self.split, "task": self.task, "prompt": self.prompt,
                "spec": self.spec, "scene": self.scene.to_dict(), "keys": list(self.keys)}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, d: dict, where: str = "") -> T2IItem:
        missing = {"task", "prompt", "spec", "scene"} - set(d)
        if missing:
            raise ValueError(f"text-to-image item{' at ' + where if where else ''} lacks {sorted(missing)}")
        if d["task"] not in T2I_TASKS:
            raise ValueError(f"unknown task {d['task']!r}{' at ' + where if where else ''}; "
                             f"tasks: {', '.join(T2I_TASKS)}")
        return cls(prompt=d["prompt"], task=d["task"], scene=Scene.from_dict(d["scene"], where), spec=d["spec"],
                   split=d.get("split", "train"), item_id=d.get("id", ""), keys=tuple(d.get("keys", ())))

    @classmethod
    def from_json(cls, text: str, where: str = "") -> T2IItem:
        return cls.from_dict(json.loads(text), where)

    def composition_keys(self) -> frozenset[str]:
        """Compositions in this item's prompt and scene (see ``dreamlite_core.world.splits``)."""
        return frozenset(self.keys)


# --------------------------------------------------------------------------------------------------- helpers
def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


def _color_for(rng, shape: str, split: str) -> str:
    return _pick(rng, allowed_colors(shape, split))


def _sizes(rng, n: int) -> list[str]:
    if n == 1:
        return [_pick(rng, ("small", "medium", "large"))]
    if n == 2:
        return [_pick(rng, ("small", "medium", "medium", "large")) for _ in range(n)]
    return [_pick(rng, ("small", "medium")) for _ in range(n)]


def _scene_keys(scene: Scene) -> set[str]:
    return {color_shape_key(o.color, o.shape) for o in scene.objects}


def _include(shape, count=1, color=None, position=None) -> dict:
    d = {"class": shape, "count": count}
    if color is not None:
        d["color"] = color
    if position is not None:
        d["position"] = list(position)
    return d


def _placed_scene(rng, objs) -> Scene | None:
    placed = place_all(rng, objs)
    return None if placed is None else Scene(tuple(placed), DEFAULT_BACKGROUND)


# --------------------------------------------------------------------------------------------------- GenEval tasks
def _single_object(rng, split):
    shape = _pick(rng, SHAPES)
    color = _pick(rng, held_out_colors(shape)) if split == "test" else _color_for(rng, shape, split)
    scene = _placed_scene(rng, [SceneObject(shape, color, size=_sizes(rng, 1)[0])])
    prompt = TEMPLATES["single_object"].format(a=article(shape), object=shape)
    return prompt, scene, {"include": [_include(shape)]}, set()


def _two_shapes(rng, split, held: tuple, key_fn):
    if split == "test":
        a, b = _pick(rng, held)
        if rng.random() < 0.5:
            a, b = b, a
        return a, b
    while True:
        a, b = rng.choice(len(SHAPES), size=2, replace=False)
        a, b = SHAPES[a], SHAPES[b]
        if key_fn(a, b) not in HELD_OUT_KEYS:
            return a, b


def _two_object(rng, split):
    a, b = _two_shapes(rng, split, HELD_OUT_PAIRS, pair_key)
    sizes = _sizes(rng, 2)
    scene = _placed_scene(rng, [SceneObject(a, _color_for(rng, a, split), size=sizes[0]),
                                SceneObject(b, _color_for(rng, b, split), size=sizes[1])])
    prompt = TEMPLATES["two_object"].format(a1=article(a), object1=a, a2=article(b), object2=b)
    return prompt, scene, {"include": [_include(a), _include(b)]}, {pair_key(a, b)}


def _counting(rng, split):
    if split == "test":
        shape, n = _pick(rng, HELD_OUT_COUNTS)
    else:
        while True:
            shape, n = _pick(rng, SHAPES), int(rng.integers(2, 5))
            if count_key(shape, n) not in HELD_OUT_KEYS:
                break
    objs = [SceneObject(shape, _color_for(rng, shape, split), size=s) for s in _sizes(rng, n)]
    scene = _placed_scene(rng, objs)
    prompt = TEMPLATES["counting"].format(number=NUMBER_WORDS[n], objects=PLURALS[shape])
    spec = {"include": [_include(shape, n)], "exclude": [_include(shape, n + 1)]}
    return prompt, scene, spec, {count_key(shape, n)}


def _colors(rng, split):
    if split == "test":
        color, shape = _pick(rng, HELD_OUT_COLOR_SHAPES)
    else:
        shape = _pick(rng, SHAPES)
        color = _color_for(rng, shape, split)
    scene = _placed_scene(rng, [SceneObject(shape, color, size=_sizes(rng, 1)[0])])
    prompt = TEMPLATES["colors"].format(a=article(color), color=color, object=shape)
    return prompt, scene, {"include": [_include(shape, 1, color)]}, set()


def _position(rng, split):
    relation = _pick(rng, RELATIONS)
    if split == "test":
        (a, b), axis = _pick(rng, HELD_OUT_AXES)
        if rng.random() < 0.5:
            a, b = b, a
        relation = _pick(rng, ("left of", "right of") if axis == "horizontal" else ("above", "below"))
    else:
        while True:
            i, j = rng.choice(len(SHAPES), size=2, replace=False)
            a, b = SHAPES[i], SHAPES[j]
            if axis_key(a, b, relation) not in HELD_OUT_KEYS:
                break
    sizes = _sizes(rng, 2)
    pair = place_pair(rng, SceneObject(a, _color_for(rng, a, split), size=sizes[0]),
                      SceneObject(b, _color_for(rng, b, split), size=sizes[1]), relation)
    scene = None if pair is None else Scene(pair, DEFAULT_BACKGROUND)
    prompt = TEMPLATES["position"].format(a1=article(a), object1=a, relation=relation, a2=article(b), object2=b)
    # GenEval's metadata: the reference object first, the related object carries ["relation", index].
    spec = {"include": [_include(b), _include(a, 1, position=(relation, 0))]}
    return prompt, scene, spec, {axis_key(a, b, relation)}


def _color_attr(rng, split):
    i, j = rng.choice(len(SHAPES), size=2, replace=False)
    a, b = SHAPES[i], SHAPES[j]
    if split == "test":
        ca, a = _pick(rng, HELD_OUT_COLOR_SHAPES)
        b = _pick(rng, tuple(s for s in SHAPES if s != a))
        cb = _pick(rng, tuple(c for c in COLORS if c != ca))
        if rng.random() < 0.5:
            a, b, ca, cb = b, a, cb, ca
    else:
        ca = _color_for(rng, a, split)
        cb = _pick(rng, tuple(c for c in allowed_colors(b, split) if c != ca))
    sizes = _sizes(rng, 2)
    scene = _placed_scene(rng, [SceneObject(a, ca, size=sizes[0]), SceneObject(b, cb, size=sizes[1])])
    prompt = TEMPLATES["color_attr"].format(a1=article(ca), color1=ca, object1=a, a2=article(cb), color2=cb,
                                            object2=b)
    return prompt, scene, {"include": [_include(a, 1, ca), _include(b, 1, cb)]}, set()


# --------------------------------------------------------------------------------------------------- DPG
def _dpg(rng, split):
    """A dense paragraph from a scene graph of 3-8 objects, with its DSG-style question graph."""
    n = int(rng.integers(3, 9))
    grid = 2 if n <= 4 else 3
    cells = rng.permutation(grid * grid)[:n]
    pairs = [(c, s) for s in SHAPES for c in allowed_colors(s, split)]
    chosen_idx = rng.permutation(len(pairs))[:n]
    chosen = [pairs[k] for k in chosen_idx]
    if split == "test" and not any((c, s) in HELD_OUT_COLOR_SHAPES for c, s in chosen):
        held = _pick(rng, HELD_OUT_COLOR_SHAPES)
        if held not in chosen:
            chosen[int(rng.integers(n))] = held
    objs = []
    cell_w = 1.0 / grid
    for (color, shape), cell in zip(chosen, cells):
        size = _pick(rng, ("small", "medium", "medium", "large")) if grid == 2 else "small"
        fill = "hollow" if size != "small" and rng.random() < 0.3 else "solid"
        probe = SceneObject(shape, color, size=size, fill=fill)
        r = probe.radius
        cx, cy = (cell % grid + 0.5) * cell_w, (cell // grid + 0.5) * cell_w
        slack = max(0.0, cell_w / 2 - r - 0.04)
        objs.append(probe.replace(x=round(float(cx + rng.uniform(-slack, slack)), 4),
                                  y=round(float(cy + rng.uniform(-slack, slack)), 4)))
    background = _pick(rng, BACKGROUND_NAMES)
    scene = Scene(tuple(objs), background)

    questions: list[dict] = []

    def ask(category, text, check, parents=()):
        qid = len(questions)
        questions.append({"id": qid, "category": category, "question": text, "check": check,
                          "parents": list(parents)})
        return qid

    sentences = [f"On a plain {background} background there are {NUMBER_WORDS[n]} shapes."]
    ask("global", f"Is the background {background}?", {"kind": "background", "value": background})
    ask("other", f"Are there exactly {NUMBER_WORDS[n]} shapes?", {"kind": "object_count", "value": n})
    entity_q = []
    seen: dict[str, int] = {}
    for i, o in enumerate(objs):
        k = seen.get(o.shape, 0)
        seen[o.shape] = k + 1
        e = ask("entity", f"Is there a {_ORDINALS[min(k, 3)]}{o.shape}?", {"kind": "entity", "object": i})
        entity_q.append(e)
        ask("attribute", f"Is the {o.shape} {o.color}?", {"kind": "color", "object": i, "value": o.color}, [e])
        ask("attribute", f"Is the {o.color} {o.shape} {o.size}?", {"kind": "size", "object": i, "value": o.size},
            [e])
        fill_word = " hollow" if o.fill == "hollow" else ""
        if o.fill == "hollow":
            ask("attribute", f"Is the {o.color} {o.shape} hollow?", {"kind": "fill", "object": i,
                                                                       "value": "hollow"}, [e])
        where = region_of(o.x, o.y)
        where = "in the center" if where == "center" else f"at the {where}"
        sentences.append(f"{article(o.size).capitalize()} {o.size}{fill_word} {o.color} {o.shape} sits {where}.")
    # Relations between neighbours that hold clearly under GenEval's position rule.
    order = rng.permutation(n)
    for a, b in zip(order[:-1], order[1:]):
        a, b = int(a), int(b)
        strengths = relation_strengths(objs[a], objs[b])
        rels = [r for r in RELATIONS if strengths[r] >= 0.75]
        if not rels:
            continue
        rel = _pick(rng, rels)
        oa, ob = objs[a], objs[b]
        sentences.append(f"The {oa.color} {oa.shape} is {rel} the {ob.color} {ob.shape}.")
        ask("relation", f"Is the {oa.color} {oa.shape} {rel} the {ob.color} {ob.shape}?",
            {"kind": "relation", "object": a, "other": b, "value": rel}, [entity_q[a], entity_q[b]])
    prompt = " ".join(sentences)
    spec = {"objects": [{"shape": o.shape, "color": o.color, "size": o.size, "fill": o.fill} for o in objs],
            "background": background, "questions": questions}
    return prompt, scene, spec, set()


_BUILDERS = {"single_object": _single_object, "two_object": _two_object, "counting": _counting,
             "colors": _colors, "position": _position, "color_attr": _color_attr, "dpg": _dpg}


def allocate(n: int, weights: dict[str, float], names: tuple[str, ...]) -> list[str]:
    """Exactly ``n`` labels in proportion to ``weights`` (largest remainder), in a fixed order."""
    unknown = set(weights) - set(names)
    if unknown:
        raise ValueError(f"unknown name(s) {sorted(unknown)} in weights; valid: {', '.join(names)}")
    w = np.array([max(0.0, float(weights.get(k, 0.0))) for k in names])
    if w.sum() <= 0:
        raise ValueError("weights must have a positive entry")
    exact = n * w / w.sum()
    counts = np.floor(exact).astype(int)
    for k in np.argsort(-(exact - counts), kind="stable")[: n - counts.sum()]:
        counts[k] += 1
    return [name for name, c in zip(names, counts) for _ in range(c)]


def make_t2i_items(split: str, n: int, seed: int, task_weights: dict | None = None) -> list[T2IItem]:
    """``n`` text-to-image items of ``split``, deterministic in ``seed``.

    ``task_weights`` maps task names (``T2I_TASKS``) to weights; the default gives each of the seven tasks an equal
    share. Counts per task are exact (largest remainder), and the order is shuffled with the seed.
    """
    split_index = check_split(split)
    weights = task_weights if task_weights is not None else {t: 1.0 for t in T2I_TASKS}
    tasks = allocate(int(n), weights, T2I_TASKS)
    rng = np.random.default_rng([int(seed), split_index, 1])
    tasks = [tasks[i] for i in rng.permutation(len(tasks))]
    items = []
    for i, task in enumerate(tasks):
        for _ in range(100):
            prompt, scene, spec, keys = _BUILDERS[task](rng, split)
            if scene is None:
                continue
            keys = frozenset(keys | _scene_keys(scene))
            held = bool(keys & HELD_OUT_KEYS)
            if held == (split == "test"):
                break
        else:  # pragma: no cover - the builders satisfy the split rule by construction
            raise RuntimeError(f"could not build a {task} item for split {split!r}")
        spec = {"tag": task, "prompt": prompt, **spec}
        items.append(T2IItem(prompt=prompt, task=task, scene=scene, spec=spec, split=split,
                             item_id=f"{split}-t2i-{seed}-{i:06d}", keys=tuple(sorted(keys))))
    return items
