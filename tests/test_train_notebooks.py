"""Notebooks 04-06 under the smoke profile: their results JSON holds the numbers the README and report read."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.notebooks


def _calibrated(entry: dict, scale: float) -> None:
    assert set(entry) >= {"model", "oracle", "chance"}
    assert 0.0 <= entry["model"] <= scale and 0.0 <= entry["chance"] <= scale
    assert entry["oracle"] >= 0.9 * scale  # ground-truth renders score (nearly) full marks
    assert entry["chance"] <= entry["oracle"]  # equal when smoke has one item per type (nothing to shuffle)


def test_stage1_notebook_reports_geneval_and_dpg_beside_oracle_and_chance(smoke_results):
    m = smoke_results("04_stage1_t2i")["metrics"]
    assert m["stage1_steps"] == 6 and m["samples_per_s"] > 0 and m["unet_params"] > 0
    _calibrated(m["geneval"], 1.0)
    _calibrated(m["dpg"], 100.0)
    assert set(m["geneval_by_task"]) == {"single_object", "two_object", "counting", "colors", "position",
                                         "color_attr"}
    assert len(m["recipe_live"]) == 3
    assert len(m["sdedit_profile"]) == 4 and all(0.0 <= v <= 1.0 for v in m["sdedit_profile"].values())
    assert "1.00" in m["sdedit_profile"]  # strength 1 starts from pure noise: ordinary generation
    assert set(m["shape_word_pixel_change"]) == {"square", "triangle", "star", "cross"}
    assert [r["sigma"] for r in m["prompt_sensitivity"]] == [0.9, 0.7, 0.5, 0.3]
    assert all(r["shape word (renders)"] > 0 and r["colour word (renders)"] > 0 for r in m["prompt_sensitivity"])


def test_stage2_notebook_reports_edit_benchmarks_and_forgetting(smoke_results):
    m = smoke_results("05_stage2_editing")["metrics"]
    assert m["stage2_steps"] == 4
    _calibrated(m["imgedit"], 5.0)
    _calibrated(m["gedit"], 10.0)
    assert "identity" in m["imgedit"] and 1.0 <= m["imgedit"]["identity"] <= 5.0
    assert set(m["t2i_validation_geneval"]) == {"after stage 1", "after stage 2"}


def test_stage3_notebook_reports_all_benchmarks_bars_ablation_and_attention(smoke_results):
    m = smoke_results("06_stage3_joint")["metrics"]
    assert m["stage_steps"] == {"stage 1": 6, "stage 2": 4, "stage 3": 4}
    for bench, scale in (("geneval", 1.0), ("dpg", 100.0), ("imgedit", 5.0), ("gedit", 10.0)):
        _calibrated(m["benchmarks"][bench], scale)
    assert set(m["bars"]) == {"geneval >= 0.45", "colors >= 0.80", "imgedit >= 3.0"}
    rows = m["ablation"]["rows"]
    assert sorted((r["recipe"], r["seed"]) for r in rows) == [("joint", 0), ("joint", 1), ("staged", 0), ("staged", 1)]
    attention = m["attention_to_condition"]
    assert attention and all(0.0 <= v["edit"] <= 1.0 and 0.0 <= v["generate"] <= 1.0 for v in attention.values())
    assert {tuple(v["resolution"]) for v in attention.values()} == {(2, 4)}  # "lowest": the paper's layout
