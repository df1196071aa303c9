"""Shared test fixtures. Tiers: unit tests (default), notebooks under the smoke profile (marker ``notebooks``),
and slow tests (marker ``slow``, run only when ``DREAMLITE_SLOW=1``). Every tier runs offline."""

from __future__ import annotations

import json
import os

import pytest

from dreamlite_core.repro.notebooks import get_notebook
from dreamlite_core.repro.profiles import load_profile
from dreamlite_core.repro.provenance import REPO_ROOT

_EXECUTED: dict[str, dict] = {}


@pytest.fixture(scope="module")
def one_thread():
    """One torch thread for a module (``pytestmark = pytest.mark.usefixtures("one_thread")``): tiny models gain
    nothing from a second thread, and on a shared CPU spinning OpenMP threads can make each step seconds long."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def pytest_collection_modifyitems(config, items):
    if os.environ.get("DREAMLITE_SLOW") == "1":
        return
    skip = pytest.mark.skip(reason="slow test: set DREAMLITE_SLOW=1 to run it")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def smoke_results():
    """``smoke_results("01_sdxl_to_dreamlite")`` executes that notebook once per session under the smoke profile
    (papermill, into ``runs/smoke/``) and returns its results JSON as a dict."""
    from dreamlite_core.repro.runner import run_notebook

    def run(slug: str) -> dict:
        if slug not in _EXECUTED:
            nb = get_notebook(slug)
            run_notebook(nb, "smoke")
            out = REPO_ROOT / load_profile("smoke")["output_dir"] / "results" / f"{nb.slug}.json"
            _EXECUTED[slug] = json.loads(out.read_text())
        return _EXECUTED[slug]

    return run
