"""The headline comparison: parameters against each benchmark, with the Pareto front.

Implements: the DreamLite README comparison table (see ``paper.HEADLINE_TABLE``) as a table and figures.
Introduced in ``notebooks/00_paper_in_numbers.py``.
"""

from __future__ import annotations

import pandas as pd

from . import paper


def headline_frame() -> pd.DataFrame:
    """The headline table as a DataFrame, rows in the paper's order."""
    return pd.DataFrame(paper.headline_records())


def pareto_front(frame: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Methods not dominated on (fewer parameters, higher ``metric``), sorted by parameters.

    A method is on the front when no other method has at most its parameters and a strictly higher score, or
    strictly fewer parameters and at least its score. Methods without a score for ``metric`` are ignored.
    """
    rows = frame.dropna(subset=[metric])
    front = []
    for _, row in rows.iterrows():
        dominated = ((rows["params_b"] <= row["params_b"]) & (rows[metric] > row[metric])) | \
                    ((rows["params_b"] < row["params_b"]) & (rows[metric] >= row[metric]))
        if not dominated.any():
            front.append(row)
    return pd.DataFrame(front).sort_values("params_b").reset_index(drop=True)


def plot_params_vs_scores(frame: pd.DataFrame, highlight: str = "DreamLite"):
    """A 2x2 figure: parameters (log scale) against GenEval, DPG, ImgEdit and GEdit-EN-Q, Pareto front drawn."""
    from .repro.outputs import new_figure

    fig, axes = new_figure(2, 2, size="grid")
    for ax, (metric, (label, scale)) in zip(axes.flat, paper.HEADLINE_METRICS.items()):
        rows = frame.dropna(subset=[metric])
        front = pareto_front(frame, metric)
        ax.step(front["params_b"], front[metric], where="post", color="0.6", lw=1.2, ls="--", label="Pareto front")
        others = rows[rows["method"] != highlight]
        ax.scatter(others["params_b"], others[metric], color="C0", s=36, zorder=3)
        mine = rows[rows["method"] == highlight]
        ax.scatter(mine["params_b"], mine[metric], color="C3", s=110, marker="*", zorder=4, label=highlight)
        for _, row in rows.iterrows():
            ax.annotate(row["method"], (row["params_b"], row[metric]), textcoords="offset points", xytext=(4, 3),
                        fontsize=7, color="C3" if row["method"] == highlight else "0.25")
        ax.set_xscale("log")
        ax.set_xlabel("parameters (billions, log scale)")
        ax.set_ylabel(f"{label} ({scale})")
        ax.set_title(label)
        ax.legend(loc="best", fontsize=7)
    fig.suptitle("Headline table: size against score (numbers as published, not measured here)")
    fig.tight_layout()
    return fig
