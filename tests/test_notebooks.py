"""Notebook hygiene (pairing, parameters cell) and every notebook executed under the smoke profile."""

from __future__ import annotations

import jupytext
import pytest

from dreamlite_core.repro.notebooks import NOTEBOOK_DIR, NOTEBOOKS

WRITTEN = [nb for nb in NOTEBOOKS if nb.source.exists()]
ORPHANS = sorted({p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]_*.py")} - {nb.slug for nb in NOTEBOOKS})


def _cells(nb):
    return [(c.cell_type, c.source.strip(), tuple(c.metadata.get("tags", ()))) for c in nb.cells]


def test_every_notebook_file_is_registered():
    assert not ORPHANS, f"notebooks missing from dreamlite_core/repro/notebooks.py: {ORPHANS}"


@pytest.mark.parametrize("nb", WRITTEN, ids=[nb.slug for nb in WRITTEN])
def test_pair_is_in_sync(nb):
    assert nb.ipynb.exists(), f"{nb.ipynb} missing: run `jupytext --sync {nb.source}`"
    py, ipynb = jupytext.read(nb.source), jupytext.read(nb.ipynb)
    assert _cells(py) == _cells(ipynb), f"{nb.slug}: .py and .ipynb differ; run `jupytext --sync {nb.source}`"
    assert all(not c.get("outputs") for c in ipynb.cells if c.cell_type == "code"), \
        f"{nb.ipynb} is committed with outputs; clear them"


@pytest.mark.parametrize("nb", WRITTEN, ids=[nb.slug for nb in WRITTEN])
def test_one_parameters_cell_with_profile_seed_output_dir(nb):
    cells = jupytext.read(nb.source).cells
    tagged = [c for c in cells if "parameters" in c.metadata.get("tags", ())]
    assert len(tagged) == 1, f"{nb.slug}: expected one cell tagged 'parameters', found {len(tagged)}"
    for name in ("profile", "seed", "output_dir"):
        assert f"{name} =" in tagged[0].source, f"{nb.slug}: parameters cell does not set {name}"
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith(f"# {nb.id} · "), \
        f"{nb.slug}: the first cell must be the title '# {nb.id} · ...'"


@pytest.mark.notebooks
@pytest.mark.parametrize("nb", WRITTEN, ids=[nb.slug for nb in WRITTEN])
def test_notebook_runs_under_smoke_and_writes_results(nb, smoke_results):
    results = smoke_results(nb.slug)
    assert results["notebook"] == nb.slug and results["profile"] == "smoke"
    assert results["metrics"], f"{nb.slug} wrote no metrics"
    prov = results["provenance"]
    assert prov["seed"] == 0 and prov["git_commit"] and prov["packages"]["torch"].startswith("2.13")


@pytest.mark.notebooks
def test_two_runs_give_byte_identical_figures_and_tables(smoke_results):
    from dreamlite_core.repro import read_manifest
    from dreamlite_core.repro.notebooks import get_notebook
    from dreamlite_core.repro.provenance import REPO_ROOT
    from dreamlite_core.repro.runner import run_notebook

    def outputs():
        manifest = read_manifest(REPO_ROOT / "runs" / "smoke" / "manifest.json")
        return {k: v["sha256"] for k, v in manifest.items()
                if v["notebook"] == "00_paper_in_numbers" and ("/figures/" in k or "/tables/" in k)}

    smoke_results("00_paper_in_numbers")
    first = outputs()
    run_notebook(get_notebook("00"), "smoke")
    assert outputs() == first and len(first) == 4  # png, pdf, csv, md
