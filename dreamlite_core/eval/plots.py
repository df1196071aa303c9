"""Pictures of the mini benchmarks' calibration for notebook 02: the detector's confusion matrix, its gates, and
the oracle / chance bars.

Implements: no paper equation; figures of ``notebooks/02_shapesworld.py``. Functions draw onto the caller's axes.
"""

from __future__ import annotations

import numpy as np


def plot_confusion(ax, confusion: dict) -> None:
    """Heatmap of ``detector_confusion(...)``: rows true shape, columns detected shape (or missed), row-normalised."""
    import seaborn as sns

    m = np.array(confusion["matrix"], dtype=float)
    share = m / np.maximum(m.sum(1, keepdims=True), 1)
    labels = confusion["labels"]
    sns.heatmap(share, annot=m.astype(int), fmt="d", cmap="Blues", vmin=0, vmax=1, cbar=False, ax=ax,
                xticklabels=labels, yticklabels=labels[:-1])
    ax.set_xlabel("detected")
    ax.set_ylabel("true shape")


def plot_gates(axes, stats: dict) -> None:
    """Histograms of shape quality and confidence for renders and junk, with the gate ramps and GenEval's
    thresholds."""
    ax_q, ax_c = axes
    bins = np.linspace(0, 1, 41)
    for name, color in (("renders", "C0"), ("junk", "C3")):
        ax_q.hist(stats[name]["quality"], bins=bins, alpha=0.6, color=color, label=name, density=True)
        ax_c.hist(stats[name]["confidence"], bins=bins, alpha=0.6, color=color, label=name, density=True)
    lo, hi = stats["gates"]["quality"]
    ax_q.axvspan(lo, hi, color="0.8", alpha=0.5, label="quality ramp")
    ax_q.set_xlabel("shape quality (best soft IoU with a rendered reference)")
    for t, style in ((0.3, "--"), (0.9, ":")):
        ax_c.axvline(t, color="k", ls=style, label=f"threshold {t}")
    ax_c.set_xlabel("detection confidence")
    for ax in axes:
        ax.set_ylabel("density")
        ax.legend(fontsize=8)


def plot_calibration(ax, table, value: str = "overall", top: float = 1.0, title: str = "") -> None:
    """Bars of one column of ``benchmark_table`` rows (oracle, chance, identity...)."""
    ax.bar(table["model"], table[value], color=[f"C{i}" for i in range(len(table))])
    ax.set_ylim(0, top * 1.05)
    ax.set_title(title or value, fontsize=10)
