"""Run the notebooks in order with papermill under one profile: ``dreamlite reproduce``.

Implements: the companion's one-command reproduction (no paper section). Introduced in the README.

Executed copies go to ``runs/<profile>/notebooks/`` (never back over the sources). A notebook that fails stops the
run with a non-zero exit naming the notebook and the failing cell; its partly executed copy stays under ``runs/``
and the outputs of the other notebooks are left as they were.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from .notebooks import NOTEBOOKS, Notebook, get_notebook, notebook_ids
from .profiles import load_profile
from .provenance import REPO_ROOT


class NotebookFailed(RuntimeError):
    """A notebook raised: names the notebook, the failing cell and where the partial copy is."""

    def __init__(self, notebook: str, cell: int | None, error: str, executed_copy: Path):
        self.notebook, self.cell, self.error, self.executed_copy = notebook, cell, error, executed_copy
        where = f"cell {cell}" if cell is not None else "an unknown cell"
        super().__init__(f"notebook {notebook} failed in {where}: {error}\n"
                         f"partly executed copy kept at {executed_copy}")


def select_notebooks(only: list[str] | None = None) -> list[Notebook]:
    """The notebooks to run, in order. Unknown ids raise ``KeyError`` naming the valid ones."""
    if not only:
        return [nb for nb in NOTEBOOKS if nb.exists]
    chosen = []
    for key in only:
        try:
            nb = get_notebook(key)
        except KeyError:
            raise KeyError(f"unknown notebook {key!r}; valid notebooks: {', '.join(notebook_ids())}") from None
        if not nb.exists:
            raise KeyError(f"notebook {nb.slug} is listed but not written yet ({nb.source} missing)")
        chosen.append(nb)
    return sorted(chosen, key=lambda nb: nb.id)


def run_notebook(nb: Notebook, profile: str, root: Path = REPO_ROOT, log_output: bool = False) -> float:
    """Execute one notebook under ``profile``; return its wall seconds. Raises ``NotebookFailed``."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    config = load_profile(profile)
    out = root / "runs" / profile / "notebooks" / f"{nb.slug}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    params = {"profile": profile, "seed": config["seed"], "output_dir": config["output_dir"]}
    start = time.perf_counter()
    try:
        pm.execute_notebook(str(nb.ipynb), str(out), parameters=params, cwd=str(root), kernel_name="python3",
                            language="python",
                            progress_bar=False, log_output=log_output)
    except PapermillExecutionError as err:
        raise NotebookFailed(nb.slug, _source_cell_number(out, err.exec_count), f"{err.ename}: {err.evalue}",
                             out) from None
    seconds = time.perf_counter() - start
    _record_timing(root / "runs" / profile / "timings.json", nb.slug, seconds)
    return seconds


def _source_cell_number(executed: Path, exec_count: int | None) -> int | None:
    """1-based number of the failing cell in the SOURCE notebook (papermill's injected cell not counted)."""
    import nbformat

    try:
        cells = [c for c in nbformat.read(executed, as_version=4).cells
                 if not {"injected-parameters", "papermill-error-cell-tag"} & set(c.metadata.get("tags", []))]
    except (OSError, ValueError):
        return None
    for number, cell in enumerate(cells, 1):
        if cell.cell_type == "code" and exec_count is not None and cell.get("execution_count") == exec_count:
            return number
    return None


def _record_timing(path: Path, slug: str, seconds: float) -> None:
    timings = json.loads(path.read_text()) if path.exists() else {}
    timings[slug] = round(seconds, 1)
    path.write_text(json.dumps(dict(sorted(timings.items())), indent=1) + "\n")


def reproduce(profile: str = "default", only: list[str] | None = None, root: Path = REPO_ROOT) -> dict[str, float]:
    """Run the chosen notebooks (all by default) in order; return wall seconds per notebook."""
    load_profile(profile)  # fail fast on an unknown profile
    notebooks = select_notebooks(only)
    seconds = {}
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {nb.slug} ({profile}) ...", flush=True)
        seconds[nb.slug] = run_notebook(nb, profile, root)
        print(f"[{i}/{len(notebooks)}] {nb.slug} done in {seconds[nb.slug]:.1f} s", flush=True)
    if profile == "default" and root == REPO_ROOT:
        from .readme import update_readme

        if update_readme():
            print("README.md: notebook map and results table refreshed from results/*.json", flush=True)
    return seconds


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: python -m dreamlite_core reproduce")
