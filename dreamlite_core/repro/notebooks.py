"""The notebook map: each notebook, the paper part it covers, what it produces, and its measured time.

Implements: the companion's table of contents (DESIGN.md, "Notebook map"). Printed by ``dreamlite list``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .provenance import REPO_ROOT

NOTEBOOK_DIR = REPO_ROOT / "notebooks"


@dataclass(frozen=True)
class Notebook:
    id: str  # "00"
    slug: str  # "00_paper_in_numbers"
    title: str
    paper_part: str
    produces: str
    #: wall seconds measured by ``dreamlite reproduce`` on the 2-core reference machine, per profile; default: one
    #: cold ``make reproduce`` in a fresh clone, every artifact built (see the README's notes under the notebook map)
    measured_seconds: dict = field(default_factory=dict)

    @property
    def source(self) -> Path:
        return NOTEBOOK_DIR / f"{self.slug}.py"

    @property
    def ipynb(self) -> Path:
        return NOTEBOOK_DIR / f"{self.slug}.ipynb"

    @property
    def exists(self) -> bool:
        return self.source.exists() and self.ipynb.exists()


NOTEBOOKS: tuple[Notebook, ...] = (
    Notebook("00", "00_paper_in_numbers", "The paper in numbers", "abstract; headline comparison table",
             "environment check; headline table; parameters-vs-score figures with the Pareto front",
             {"smoke": 5.9, "default": 9.1}),
    Notebook("01", "01_sdxl_to_dreamlite", "From SDXL to DreamLite",
             "the U-Net; SnapGen's design path; pruning; on-device latency",
             "exact parameter counts, MACs and memory; design-path waterfall; pruning demo; iPhone latency range",
             {"smoke": 15.0, "default": 51.1}),
    Notebook("02", "02_shapesworld", "ShapesWorld", "(ours) the world and the mini benchmarks",
             "scenes, prompts and edits; evaluator calibration (oracle, chance); detector confusion matrix; data cards",
             {"smoke": 14.6, "default": 54.0}),
    Notebook("03", "03_in_context_concatenation", "In-context spatial concatenation",
             "unification: [target | condition], task prefixes, flow matching",
             "what the U-Net sees per task; the left-half loss; the prefixes; nano VAE and text encoder",
             {"smoke": 14.0, "default": 337.1}),
    Notebook("04", "04_stage1_t2i", "Stage 1: text-to-image pretraining", "task-progressive pretraining, stage 1",
             "stage-1 loss curve, samples, mini-GenEval and mini-DPG beside oracle and chance; SDEdit profile; "
             "shape-word probe",
             {"smoke": 20.0, "default": 589.5}),  # default: data, stage 1 (415 s), evaluation, probes
    Notebook("05", "05_stage2_editing", "Stage 2: editing pretraining", "task-progressive pretraining, stage 2",
             "stage-2 loss curve, edit samples, mini-ImgEdit and mini-GEdit beside oracle and chance",
             {"smoke": 14.1, "default": 230.1}),
    Notebook("06", "06_stage3_joint", "Stage 3: joint training (+ direct-joint ablation)",
             "task-progressive pretraining, stage 3; the stability claim",
             "joint training, direct-joint ablation (and its 1000-step run), attention maps, all four mini "
             "benchmarks, where mini-GenEval's score goes",
             {"smoke": 26.1, "default": 786.7}),  # default: stage 3 (207 s), the 4-seed ablation (276 s), cold
    Notebook("10", "10_coreml_iphone", "Core ML on iPhone", "deployment",
             "Core ML packages, compression variants, PSNR parity, full-size export size and memory",
             {"smoke": 38.1, "default": 345.3}),
)


def notebook_ids() -> list[str]:
    return [nb.id for nb in NOTEBOOKS]


def get_notebook(id_or_slug: str) -> Notebook:
    for nb in NOTEBOOKS:
        if id_or_slug in (nb.id, nb.slug):
            return nb
    raise KeyError(id_or_slug)


def measured_seconds(nb: Notebook, profile: str, root: Path = REPO_ROOT) -> float | None:
    """The latest wall time of ``nb`` under ``profile`` from ``runs/<profile>/timings.json``, else the recorded one."""
    timings = root / "runs" / profile / "timings.json"
    if timings.exists():
        seconds = json.loads(timings.read_text()).get(nb.slug)
        if seconds is not None:
            return seconds
    return nb.measured_seconds.get(profile)
