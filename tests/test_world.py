"""ShapesWorld: renderer, scene grammar, prompt and edit generators (dreamlite_core.world)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dreamlite_core.world import (BACKGROUNDS, COLORS, EDIT_TYPES, GEDIT_GROUPS, GENEVAL_TASKS, SHAPES, SPLITS,
                                  T2I_TASKS, EditItem, Scene, SceneError, SceneObject, T2IItem, make_edit_items,
                                  make_t2i_items, render_scene, render_scenes, unchanged_pairs)
from dreamlite_core.world.layout import relation_strength


def test_vocabulary_is_genevals_ten_colours_and_five_shapes():
    assert set(COLORS) == {"red", "orange", "yellow", "green", "blue", "purple", "pink", "brown", "black", "white"}
    assert SHAPES == ("circle", "square", "triangle", "star", "cross")
    assert not set(BACKGROUNDS.values()) & set(COLORS.values())


def test_render_is_uint8_deterministic_and_anti_aliased():
    scene = Scene((SceneObject("star", "red", 0.3, 0.3), SceneObject("circle", "blue", 0.7, 0.7, "large")))
    a, b = render_scene(scene, 32), render_scene(scene, 32)
    assert a.dtype == np.uint8 and a.shape == (32, 32, 3)
    np.testing.assert_array_equal(a, b)
    # Anti-aliasing: edge pixels lie strictly between the background and the object colour.
    red = a[..., 0].astype(int)
    assert ((red > 128) & (red < 220)).sum() > 5
    # The empty canvas is exactly the background colour; rendering works at other sizes.
    np.testing.assert_array_equal(render_scene(Scene(()), 16), np.full((16, 16, 3), 128, np.uint8))
    assert render_scene(scene, 64).shape == (64, 64, 3)


def test_render_scenes_matches_render_scene():
    items = make_t2i_items("train", 14, seed=3)
    batch = render_scenes([it.scene for it in items], 32)
    for k, it in enumerate(items):
        np.testing.assert_array_equal(batch[k], render_scene(it.scene, 32))


def test_object_colour_is_exact_in_its_interior():
    img = render_scene(Scene((SceneObject("square", "green", 0.5, 0.5, "large"),)), 32)
    np.testing.assert_array_equal(img[16, 16], COLORS["green"])
    np.testing.assert_array_equal(img[1, 1], BACKGROUNDS["gray"])


def test_hollow_object_shows_background_inside():
    img = render_scene(Scene((SceneObject("circle", "blue", 0.5, 0.5, "large", "hollow"),)), 32)
    np.testing.assert_array_equal(img[16, 16], BACKGROUNDS["gray"])
    assert (img[16, 16:] == COLORS["blue"]).all(axis=-1).any()


def test_triangle_rotated_180_points_down():
    up = render_scene(Scene((SceneObject("triangle", "black", 0.5, 0.5, "large"),)), 32)
    down = render_scene(Scene((SceneObject("triangle", "black", 0.5, 0.5, "large", rotation=180),)), 32)
    dark_up, dark_down = (up[..., 0] < 60), (down[..., 0] < 60)
    rows = np.arange(32)[:, None]
    assert (rows * dark_up).sum() / dark_up.sum() > 16 > (rows * dark_down).sum() / dark_down.sum()


@pytest.mark.parametrize("bad", [{"shape": "hexagon", "color": "red"}, {"shape": "star", "color": "teal"},
                                 {"shape": "star", "color": "red", "size": "huge"}])
def test_unknown_vocabulary_is_a_clear_error(bad):
    with pytest.raises(SceneError, match="unknown"):
        SceneObject.from_dict(bad, where="items.jsonl line 3")
    with pytest.raises(SceneError, match="line 3"):
        SceneObject.from_dict(bad, where="items.jsonl line 3")


def test_t2i_items_follow_geneval_templates_and_weights():
    items = make_t2i_items("train", 70, seed=0)
    assert [sum(it.task == t for it in items) for t in T2I_TASKS] == [10] * 7
    by_task = {t: [it for it in items if it.task == t] for t in T2I_TASKS}
    for it in by_task["counting"]:
        n = it.spec["include"][0]["count"]
        assert len(it.scene.objects) == n and 2 <= n <= 4
        assert it.spec["exclude"][0]["count"] == n + 1
    for it in by_task["position"]:
        a, b = it.scene.objects
        rel = it.spec["include"][1]["position"][0]
        assert it.prompt == f"a photo of a {a.shape} {rel} a {b.shape}".replace("a a", "an a")
        assert relation_strength(a, b, rel) > 0.5
    for it in by_task["colors"]:
        (o,) = it.scene.objects
        assert it.prompt.endswith(f"{o.color} {o.shape}") and it.spec["include"][0]["color"] == o.color
    for it in by_task["dpg"]:
        assert 3 <= len(it.scene.objects) <= 8
        cats = {q["category"] for q in it.spec["questions"]}
        assert {"entity", "attribute", "global", "other"} <= cats
        for q in it.spec["questions"]:
            assert all(p < q["id"] for p in q["parents"])
    only = make_t2i_items("validation", 9, seed=0, task_weights={"counting": 2, "colors": 1})
    assert sorted(it.task for it in only) == ["colors"] * 3 + ["counting"] * 6
    assert set(GENEVAL_TASKS) < set(T2I_TASKS)


def test_generators_are_deterministic_by_seed():
    a = [it.to_json() for it in make_t2i_items("train", 30, seed=7)]
    b = [it.to_json() for it in make_t2i_items("train", 30, seed=7)]
    c = [it.to_json() for it in make_t2i_items("train", 30, seed=8)]
    assert a == b and a != c
    e1 = [it.to_json() for it in make_edit_items("test", 20, seed=7)]
    assert e1 == [it.to_json() for it in make_edit_items("test", 20, seed=7)]


def test_items_round_trip_through_json():
    for it in make_t2i_items("test", 14, seed=1):
        back = T2IItem.from_json(it.to_json())
        assert back == it and json.loads(back.to_json()) == json.loads(it.to_json())
    for it in make_edit_items("test", 18, seed=1):
        assert EditItem.from_json(it.to_json()) == it


def test_edit_items_cover_imgedit_types_and_every_gedit_group():
    items = make_edit_items("train", 270, seed=0)
    assert [sum(it.edit_type == t for it in items) for t in EDIT_TYPES] == [30] * 9
    assert {it.gedit_group for it in items} == set(GEDIT_GROUPS)


def test_edit_mask_contains_every_changed_pixel_and_only_edited_objects_change():
    for split in SPLITS:
        for it in make_edit_items(split, 90, seed=2):
            src, tgt = render_scene(it.source), render_scene(it.target)
            changed = (src != tgt).any(axis=-1)
            mask = it.edit_mask(32)
            assert not (changed & ~mask).any(), it.instruction
            assert changed.any(), it.instruction  # no item is a no-op
            for s, t in unchanged_pairs(it):
                assert it.source.objects[s] == it.target.objects[t]


def test_scenes_fit_the_canvas_without_overlap():
    from dreamlite_core.world.layout import fits

    for it in make_t2i_items("train", 140, seed=5):
        objs = it.scene.objects
        for i, o in enumerate(objs):
            assert fits(o, objs[:i] + objs[i + 1:], gap=0.05, margin=0.0), it.prompt


def test_gedit_balanced_edit_items():
    items = make_edit_items("validation", 44, seed=0, group_weights={g: 1 for g in GEDIT_GROUPS})
    assert [sum(it.gedit_group == g for it in items) for g in GEDIT_GROUPS] == [4] * 11
    assert all(it.edit_type != "hybrid" for it in items)
    with pytest.raises(ValueError, match="not both"):
        make_edit_items("train", 3, seed=0, type_weights={"add": 1}, group_weights={"subject-add": 1})
