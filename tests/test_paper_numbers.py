"""Notebook 00 and dreamlite_core.paper: the headline table equals ../shared/PAPER_FACTS.md number for number."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from dreamlite_core import paper
from dreamlite_core.headline import headline_frame, pareto_front
from dreamlite_core.repro.provenance import REPO_ROOT

FACTS = REPO_ROOT.parent / "shared" / "PAPER_FACTS.md"
COLUMNS = ["method", "params", "geneval", "dpg", "imgedit", "gedit_en_q"]


def facts_headline_table() -> list[dict]:
    """Parse the '## Headline results' Markdown table of PAPER_FACTS.md."""
    text = FACTS.read_text()
    section = text.split("## Headline results", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]  # skip header and rule
    parsed = []
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        values = [None if c == "-" else float(c) for c in cells[2:]]
        parsed.append(dict(zip(COLUMNS, [cells[0], cells[1], *values])))
    return parsed


needs_facts = pytest.mark.skipif(not FACTS.exists(), reason=f"{FACTS} not present (it sits beside the checkout)")


@needs_facts
def test_package_table_equals_paper_facts():
    ours = [{k: r[k] for k in COLUMNS} for r in paper.headline_records()]
    assert ours == facts_headline_table()


@needs_facts
def test_param_labels_match_numeric_params():
    for r in paper.HEADLINE_TABLE:
        assert float(re.sub("B$", "", r.params_label)) == r.params_b


def test_pareto_front_on_a_hand_made_table():
    frame = pd.DataFrame({"method": list("abcd"), "params_b": [1.0, 2.0, 3.0, 0.5],
                          "geneval": [0.5, 0.7, 0.6, None]})
    # c is dominated by b (fewer params, higher score); d has no score.
    assert pareto_front(frame, "geneval")["method"].tolist() == ["a", "b"]


def test_dreamlite_is_on_every_pareto_front():
    frame = headline_frame()
    for metric in paper.HEADLINE_METRICS:
        assert "DreamLite" in pareto_front(frame, metric)["method"].tolist(), metric


@pytest.mark.notebooks
@needs_facts
def test_notebook_00_table_equals_paper_facts(smoke_results):
    results = smoke_results("00_paper_in_numbers")
    facts = facts_headline_table()
    assert [{k: r[k] for k in COLUMNS} for r in results["headline_table"]] == facts
    csv = pd.read_csv(REPO_ROOT / "runs" / "smoke" / "tables" / "00_headline_table.csv")
    csv = csv.astype(object).where(csv.notna(), None)
    assert csv[COLUMNS].to_dict("records") == facts
    assert results["metrics"]["dreamlite_unet_params"] == 389_968_388
    assert all(results["metrics"]["dreamlite_on_pareto_front"].values())
