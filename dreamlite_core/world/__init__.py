"""ShapesWorld: the procedurally rendered world that DreamLite-Nano lives in, with exact ground truth.

Implements: the companion's stand-in for the paper's training data and for the scenes behind GenEval, DPG-Bench,
ImgEdit and GEdit-Bench (``/work/shared/PAPER_FACTS.md``). Introduced in ``notebooks/02_shapesworld.py``.
``world`` imports nothing else of ``dreamlite_core``: it is the ground truth, it knows nothing of models.
"""

from .constants import (BACKGROUNDS, COLOR_NAMES, COLORS, DEFAULT_BACKGROUND, FILLS, NANO_SIZE, PLURALS, RELATIONS,
                        SHAPES, SIZES, STYLES, SUPERSAMPLE)
from .edit import EDIT_OPS, EDIT_TYPES, GEDIT_GROUPS, EditItem, make_edit_items, unchanged_pairs
from .render import object_coverage, render_scene, render_scenes, visible_coverage
from .scene import Scene, SceneError, SceneObject
from .splits import HELD_OUT_KEYS, SPLITS
from .t2i import DPG_CATEGORIES, GENEVAL_TASKS, T2I_TASKS, TEMPLATES, T2IItem, make_t2i_items

__all__ = ["BACKGROUNDS", "COLORS", "COLOR_NAMES", "DEFAULT_BACKGROUND", "DPG_CATEGORIES", "EDIT_OPS", "EDIT_TYPES",
           "EditItem", "FILLS", "GENEVAL_TASKS", "GEDIT_GROUPS", "HELD_OUT_KEYS", "NANO_SIZE", "PLURALS", "RELATIONS",
           "SHAPES", "SIZES", "SPLITS", "STYLES", "SUPERSAMPLE", "Scene", "SceneError", "SceneObject", "T2IItem",
           "T2I_TASKS", "TEMPLATES", "make_edit_items", "make_t2i_items", "object_coverage", "render_scene",
           "render_scenes", "unchanged_pairs", "visible_coverage"]
