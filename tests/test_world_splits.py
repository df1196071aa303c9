"""The held-out test split: its compositions never occur in train or validation (dreamlite_core.world.splits)."""

from __future__ import annotations

import pytest

from dreamlite_core.world import make_edit_items, make_t2i_items
from dreamlite_core.world.splits import HELD_OUT_KEYS, check_split, color_shape_key


@pytest.fixture(scope="module")
def generated():
    return {split: make_t2i_items(split, 700, seed=11) + make_edit_items(split, 270, seed=11)
            for split in ("train", "validation", "test")}


def _all_keys(items):
    keys = set()
    for it in items:
        keys |= it.composition_keys()
        scenes = [it.scene] if hasattr(it, "scene") else [it.source, it.target]
        keys |= {color_shape_key(o.color, o.shape) for sc in scenes for o in sc.objects}
    return keys


def test_test_split_compositions_are_disjoint_from_train(generated):
    train_keys = _all_keys(generated["train"]) | _all_keys(generated["validation"])
    test_held = _all_keys(generated["test"]) & HELD_OUT_KEYS
    assert not train_keys & HELD_OUT_KEYS
    assert not test_held & train_keys
    # Every test item carries at least one held-out composition, and the test split uses all of them.
    assert all(it.composition_keys() & HELD_OUT_KEYS for it in generated["test"])
    assert test_held == HELD_OUT_KEYS


def test_text_of_held_out_compositions_never_appears_in_train_prompts(generated):
    prompts = " | ".join(getattr(it, "prompt", None) or it.instruction for it in generated["train"])
    for key in HELD_OUT_KEYS:
        if key.startswith("color_shape:"):
            assert key.split(":", 1)[1] not in prompts


def test_unknown_split_is_rejected():
    with pytest.raises(ValueError, match="unknown split 'dev'"):
        check_split("dev")
    with pytest.raises(ValueError, match="unknown split"):
        make_t2i_items("dev", 3, seed=0)
