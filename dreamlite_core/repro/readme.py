"""Keep the README's generated blocks (notebook map, results table) equal to what the code measured.

Implements: the README's promise that every number in it is produced by code that runs and links to the notebook
that makes it. ``dreamlite reproduce --profile default`` refreshes the blocks; a test checks they are current.
The blocks sit between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .notebooks import NOTEBOOKS
from .provenance import REPO_ROOT

README = REPO_ROOT / "README.md"

#: The README results table: (what, notebook slug, dotted path into that notebook's results JSON metrics,
#: the paper's number for the same quantity or None, format). Rows whose value is missing are shown as "not run".
RESULT_ROWS: tuple[tuple[str, str, str, str | None, str], ...] = (
    ("SDXL U-Net parameters (diffusers, meta device)", "00_paper_in_numbers", "sdxl_unet_params",
     "2,567,463,684", "{:,}"),
    ("DreamLite U-Net parameters (diffusers, meta device)", "00_paper_in_numbers", "dreamlite_unet_params",
     "389,968,388", "{:,}"),
)


def _fmt_seconds(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def notebook_map() -> str:
    lines = ["| # | notebook | paper part | regenerates | smoke | default |", "|---|---|---|---|---|---|"]
    for nb in NOTEBOOKS:
        link = f"[{nb.title}](notebooks/{nb.slug}.ipynb)" if nb.exists else f"{nb.title} (not written yet)"
        part, produces = (text.replace("|", "\\|") for text in (nb.paper_part, nb.produces))
        lines.append(f"| {nb.id} | {link} | {part} | {produces} | "
                     f"{_fmt_seconds(nb.measured_seconds.get('smoke'))} | "
                     f"{_fmt_seconds(nb.measured_seconds.get('default'))} |")
    return "\n".join(lines)


def _lookup(metrics: dict, dotted: str):
    value = metrics
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def results_table(results_dir: Path = REPO_ROOT / "results") -> str:
    lines = ["| quantity | measured here (default profile) | paper | made by |", "|---|---|---|---|"]
    for label, slug, path, paper_value, fmt in RESULT_ROWS:
        file = results_dir / f"{slug}.json"
        value = _lookup(json.loads(file.read_text())["metrics"], path) if file.exists() else None
        shown = "not run" if value is None else fmt.format(value)
        lines.append(f"| {label} | [{shown}](results/{slug}.json) | {paper_value or '-'} | "
                     f"[{slug}](notebooks/{slug}.ipynb) |")
    return "\n".join(lines)


BLOCKS = {"notebook-map": notebook_map, "results": results_table}


def render(text: str) -> str:
    """``text`` with every generated block replaced by its current content."""
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        if not pattern.search(text):
            raise ValueError(f"README has no '<!-- {name}:start -->' ... '<!-- {name}:end -->' block")
        text = pattern.sub(lambda m: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def update_readme(path: Path = README) -> bool:
    """Rewrite the generated blocks in place; return whether anything changed."""
    old = path.read_text()
    new = render(old)
    if new != old:
        path.write_text(new)
    return new != old
