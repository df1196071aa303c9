"""mini-GenEval: GenEval's rules on ShapesWorld images.

Implements: GenEval (djghosh13/geneval; ``/work/shared/PAPER_FACTS.md``): detections above a confidence of 0.3
(0.9 for counting), at most 16 per class, the most confident first; an ``include`` clause needs ``count``
objects of its class, its colour on the top-``count`` detections and, for position, the relation to every
object of the referenced clause by GenEval's box rule (margin 0.1 x summed widths / heights, direction
component > 0.5); an ``exclude`` clause fails when ``count`` or more objects of its class are detected. The
score is the mean over the six task accuracies,

    GenEval = (1/6) sum_task  (1/N_task) sum_i  correct_i.

Introduced in ``notebooks/02_shapesworld.py``; the oracle and chance rows come from
``dreamlite_core.eval.calibration``.
"""

from __future__ import annotations

import numpy as np

from ..world.t2i import GENEVAL_TASKS
from .common import EvalInputError, as_image_list, relative_position, spec_of, validate_t2i_spec
from .detect import ImageAnalysis, analyse_image

THRESHOLD = 0.3
COUNTING_THRESHOLD = 0.9
MAX_OBJECTS = 16
POSITION_THRESHOLD = 0.1


#: What decided an item, for the outcome breakdown (ours, not GenEval's): the first failing clause's kind, or
#: "correct". "no object" means no detection above the item's threshold at all (0.3; 0.9 for counting): the image
#: holds nothing the judge reads as one of the five shapes (a blob, an empty canvas).
OUTCOMES = ("correct", "no object", "shape or count", "colour", "position", "extra object")


def evaluate_geneval(analysis: ImageAnalysis, spec: dict) -> tuple[bool, str]:
    """GenEval's ``evaluate``: (correct, reason) for one image and its metadata."""
    correct, reasons, _ = _evaluate(analysis, spec)
    return correct, "; ".join(reasons)


def geneval_outcome(analysis: ImageAnalysis, spec: dict) -> str:
    """Which of :data:`OUTCOMES` decided this item: "correct", else the kind of its first failing clause, with
    "no object" when nothing at all is detected above the threshold."""
    return _evaluate(analysis, spec)[2]


def _evaluate(analysis: ImageAnalysis, spec: dict) -> tuple[bool, list[str], str]:
    threshold = COUNTING_THRESHOLD if spec["tag"] == "counting" else THRESHOLD
    objects: dict[str, list] = {}
    for d in analysis.detections:  # already sorted by confidence, highest first
        if d.confidence > threshold and len(objects.get(d.shape, [])) < MAX_OBJECTS:
            objects.setdefault(d.shape, []).append(d)
    correct, reasons, kinds, matched_groups = True, [], [], []
    for req in spec.get("include", []):
        cls, count = req["class"], req.get("count", 1)
        found = objects.get(cls, [])[:count]
        matched = True
        if len(found) < count:
            correct = matched = False
            reasons.append(f"expected {cls}>={count}, found {len(found)}")
            kinds.append("shape or count")
        else:
            if "color" in req:
                colors = [d.color for d in found]
                if colors.count(req["color"]) < count:
                    correct = matched = False
                    reasons.append(f"expected {req['color']} {cls}>={count}, found {', '.join(colors)}")
                    kinds.append("colour")
            if "position" in req and matched:
                rel, target = req["position"]
                if matched_groups[target] is None:
                    correct = matched = False
                    reasons.append(f"no target for {cls} to be {rel}")
                    kinds.append("position")
                else:
                    for d in found:
                        for t in matched_groups[target]:
                            true_rels = relative_position(d.box, t.box, POSITION_THRESHOLD)
                            if rel not in true_rels:
                                correct = matched = False
                                reasons.append(f"expected {cls} {rel} target, found "
                                               f"{' and '.join(sorted(true_rels)) or 'no relation'}")
                                kinds.append("position")
                                break
                        if not matched:
                            break
        matched_groups.append(found if matched else None)
    for req in spec.get("exclude", []):
        cls = req["class"]
        if len(objects.get(cls, [])) >= req["count"]:
            correct = False
            reasons.append(f"expected {cls}<{req['count']}, found {len(objects[cls])}")
            kinds.append("extra object")
    if correct:
        return True, reasons, "correct"
    return False, reasons, "no object" if not objects else kinds[0]


def geneval_score(images, items, names=None) -> dict:
    """Score images against GenEval-style items (``T2IItem`` of the six GenEval tasks, or their specs).

    Returns ``{"benchmark": "geneval", "overall": mean of task accuracies, "by_task": {task: accuracy},
    "n_by_task": {task: n}, "outcomes_by_task": {task: {outcome: share of the task's items}} (:data:`OUTCOMES`),
    "correct": [bool per item], "reasons": [str per item], "outcomes": [outcome per item]}``.
    """
    specs = [spec_of(it) for it in items]
    for i, s in enumerate(specs):
        where = names[i] if names is not None else f"item {i}"
        validate_t2i_spec(s, where)
        if s["tag"] not in GENEVAL_TASKS:
            raise EvalInputError(f"{where} is a {s['tag']!r} item; geneval_score takes the six GenEval tasks "
                                 f"({', '.join(GENEVAL_TASKS)}); score DPG items with dpg_score")
    images = as_image_list(images, len(specs), names=names)
    correct, reasons, outcomes = [], [], []
    for im, spec in zip(images, specs):
        ok, why, outcome = _evaluate(analyse_image(im), spec)
        correct.append(bool(ok))
        reasons.append("; ".join(why))
        outcomes.append(outcome)
    by_task, n_by_task, outcomes_by_task = {}, {}, {}
    for task in GENEVAL_TASKS:
        mine = [i for i, s in enumerate(specs) if s["tag"] == task]
        if mine:
            by_task[task] = float(np.mean([correct[i] for i in mine]))
            n_by_task[task] = len(mine)
            outcomes_by_task[task] = {o: sum(outcomes[i] == o for i in mine) / len(mine) for o in OUTCOMES}
    overall = float(np.mean(list(by_task.values()))) if by_task else float("nan")
    return {"benchmark": "geneval", "overall": overall, "by_task": by_task, "n_by_task": n_by_task,
            "outcomes_by_task": outcomes_by_task, "correct": correct, "reasons": reasons, "outcomes": outcomes}
