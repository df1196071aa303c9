"""The SDXL -> DreamLite design path (dreamlite_core.arch.design; notebook 01)."""

from __future__ import annotations

import pytest
import torch

from dreamlite_core import paper
from dreamlite_core.arch.accounting import analytic_macs, build_meta, count_params, unet_inputs
from dreamlite_core.arch.design import CLASS_SWITCH_CHECK, design_path, design_path_rows

STEPS = design_path()


@pytest.mark.parametrize("step", STEPS, ids=[s.key for s in STEPS])
def test_every_design_step_builds_and_runs(step):
    model = build_meta(step.class_name, step.config)
    with torch.no_grad():
        out = model(**unet_inputs(model, 16, 32, text_len=8)).sample
    assert out.shape == (1, 4, 16, 32)


def test_the_path_starts_at_sdxl_and_ends_at_the_authors_dreamlite():
    assert count_params(build_meta(STEPS[0].class_name, STEPS[0].config)) == paper.SDXL_UNET_PARAMS
    assert count_params(build_meta(STEPS[-1].class_name, STEPS[-1].config)) == paper.DREAMLITE_UNET_PARAMS
    assert STEPS[-1].config == paper.DREAMLITE_UNET_CONFIG
    assert [s.dreamlite_only for s in STEPS] == [False] * 3 + [True] * 5


def test_switching_to_dreamlites_class_changes_nothing():
    step2 = STEPS[2]
    a = build_meta(step2.class_name, step2.config)
    b = build_meta("DreamLiteUNetModel", CLASS_SWITCH_CHECK)
    assert count_params(a) == count_params(b)
    assert [tuple(p.shape) for p in a.parameters()] == [tuple(p.shape) for p in b.parameters()]
    assert analytic_macs(step2.class_name, step2.config, 32, 32) == \
        analytic_macs("DreamLiteUNetModel", CLASS_SWITCH_CHECK, 32, 32)


def _modules(step, kind):
    model = build_meta(step.class_name, step.config)
    return {n: m for n, m in model.named_modules() if n.endswith(kind)}


def test_each_step_changes_what_it_says():
    by_key = {s.key: s for s in STEPS}
    # self-attention only at the lowest resolution (down level 2, mid, up level 0)
    levels = {n.split(".")[0] + "." + n.split(".")[1] for n in _modules(by_key["no_self_attn"], ".attn1")}
    assert levels == {"down_blocks.2", "mid_block.attentions", "up_blocks.0"}
    assert any(".down_blocks.1" in "." + n for n in _modules(by_key["channels"], ".attn1"))
    # separable convs from step 4 on
    assert not _modules(by_key["no_self_attn"], ".depthwise") and _modules(by_key["sep_conv"], ".depthwise")
    # multi-query: one K/V head of dim 64
    k = next(iter(_modules(by_key["mqa"], ".attn1.to_k").values()))
    assert k.weight.shape[0] == 64
    # FFN x3: GEGLU proj has 2 x 3 x C rows
    ff = _modules(by_key["ffn3"], "down_blocks.2.attentions.0.transformer_blocks.0.ff.net.0.proj")
    assert next(iter(ff.values())).weight.shape == (2 * 3 * 896, 896)


def test_design_rows_report_changes_against_the_previous_step():
    rows = design_path_rows(measure=False, steps=STEPS[-3:])
    assert rows[0]["params_pct"] is None
    assert rows[1]["params_pct"] == pytest.approx(100 * (rows[1]["params"] / rows[0]["params"] - 1))
    assert rows[1]["snapgen_params_pct"] == paper.SNAPGEN_DESIGN_STEPS["ffn_expansion_3"]["params_pct"]
    assert rows[-1]["params"] == paper.DREAMLITE_UNET_PARAMS
