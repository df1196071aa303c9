"""Notebook 02 (ShapesWorld) under the smoke profile: its results JSON says what the notebook claims."""

from __future__ import annotations

import pytest


@pytest.mark.notebooks
def test_shapesworld_notebook_results(smoke_results):
    m = smoke_results("02_shapesworld")["metrics"]
    assert m["split_check"]["held_out_seen_in_train_or_validation"] == 0
    assert m["split_check"]["test_items_without_held_out"] == 0
    assert m["split_check"]["held_out_present_in_test"] == m["split_check"]["held_out_compositions"]
    assert m["detector"]["shape_accuracy"] == 1.0 and m["detector"]["color_accuracy"] == 1.0
    assert m["gates"]["renders"]["pass_0.9"] == 1.0 and m["gates"]["junk"]["pass_0.9"] < 0.2
    assert all(v >= 0.98 for v in m["worst_oracle_fraction"].values())
    cal = m["calibration"]
    assert cal["geneval"]["oracle"]["overall"] >= 0.98 and cal["geneval"]["chance"]["overall"] < 0.5
    assert cal["dpg"]["oracle"]["overall"] >= 98.0 and cal["dpg"]["chance"]["overall"] < 50.0
    assert cal["imgedit"]["oracle"]["overall"] >= 4.9 and cal["imgedit"]["chance"]["overall"] < 2.0
    assert cal["imgedit"]["identity"]["overall"] < 2.0
    assert cal["gedit"]["oracle"]["overall"] >= 9.8 and cal["gedit"]["chance"]["overall"] < 2.0
    assert m["render_speed"]["warm_scenes_per_s"] > 0
    assert set(m["data_cards"]["t2i"]) == {"train", "validation", "test"}
