"""Notebook 01 under the smoke profile: its results JSON carries the exact counts, MACs, design path and latency."""

from __future__ import annotations

import pytest

from dreamlite_core import paper
from dreamlite_core.arch.accounting import analytic_macs

pytestmark = pytest.mark.notebooks


@pytest.fixture(scope="module")
def metrics(smoke_results):
    return smoke_results("01_sdxl_to_dreamlite")["metrics"]


def test_exact_counts_are_published(metrics):
    assert metrics["sdxl_unet_params"] == paper.SDXL_UNET_PARAMS == 2_567_463_684
    assert metrics["dreamlite_unet_params"] == paper.DREAMLITE_UNET_PARAMS == 389_968_388
    assert round(metrics["dreamlite_pct_of_sdxl"], 1) == 15.2
    assert (metrics["sdxl_transformer_blocks"], metrics["dreamlite_transformer_blocks"]) == (70, 36)


def test_macs_per_call_match_the_closed_form(metrics):
    macs = metrics["macs"]
    assert macs["dreamlite_128x128"] == analytic_macs("DreamLiteUNetModel", paper.DREAMLITE_UNET_CONFIG, 128, 128,
                                                      metrics["text_len"])
    assert macs["sdxl_128x256"] == analytic_macs("UNet2DConditionModel", paper.SDXL_UNET_CONFIG, 128, 256,
                                                 metrics["text_len"])
    assert macs["dreamlite_128x256"] > 2 * macs["dreamlite_128x128"]


def test_design_path_runs_from_sdxl_to_dreamlite(metrics):
    path = metrics["design_path"]
    assert len(path) == 8
    assert path[0]["params"] == paper.SDXL_UNET_PARAMS and path[-1]["params"] == paper.DREAMLITE_UNET_PARAMS
    assert all(r["params"] > 0 and r["macs"] > 0 for r in path)
    assert path[4]["snapgen_flops_pct"] == paper.SNAPGEN_DESIGN_STEPS["separable_conv"]["flops_pct"]


def test_latency_range_sits_beside_the_papers_numbers(metrics):
    lat = metrics["latency"]
    assert 0 < lat["low_s"] < lat["high_s"]
    assert lat["paper_s"] == paper.DEVICE_CLAIMS["iphone17pro_seconds"]
    assert lat["snapgen_s"] == paper.DEVICE_CLAIMS["snapgen_iphone16promax_seconds"]
    assert lat["paper_in_range"] == (lat["low_s"] <= lat["paper_s"] <= lat["high_s"])
