"""DreamLite's task-progressive pretraining at nano scale: stage 1 (text-to-image), stage 2 (editing), stage 3 (joint),
the direct-joint ablation, and the held-out evaluation with the four mini benchmarks.

Implements: the paper's training recipe, step 1 (PAPER_FACTS.md "Training recipe": "(1) text-to-image, (2) editing,
(3) joint text-to-image + editing. The authors say direct joint training was unstable for a model this small"):

- stage 1: the generation prefix ``"[Generate]: "``, condition half all zeros (``edit_fraction = 0``);
- stage 2: the ``"[Edit]: A diptych ..."`` prefix, condition half = the source latent (``edit_fraction = 1``),
  continuing from stage 1's EMA weights;
- stage 3: both in every batch (``edit_fraction = stage3_edit_fraction``), continuing from stage 2;
- the ablation: stage 3's mix from scratch for as many steps as stages 1-3 together (equal compute), per seed.

Each stage is a cached artifact (``run.artifact``): its folder holds a ``DreamLiteNanoPipeline`` written with
``save_pretrained`` (``pipeline/``) and the stage's loss and validation logs; training itself runs in
``runs/<profile>/train/<stage>-<hash>/`` with checkpoints, so a killed run resumes where it stopped. A stage's
cache key (``stage_config``) holds only what changes its weights, including its parent stage's folder name: changing
stage 1 retrains everything after it, changing stage 3 retrains stage 3 alone.

Introduced in ``notebooks/04_stage1_t2i.py`` (stage 1), ``05_stage2_editing.py`` (stage 2) and
``06_stage3_joint.py`` (stage 3 and the ablation).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from ..repro.provenance import compute_context
from .data import DEFAULT_T2I_TASK_WEIGHTS, EditData, T2IData, edit_dataset, t2i_dataset
from .loop import LoopConfig, TrainResult, check_known_keys, ema_weights, train_loop
from .objective import InContextObjective, ObjectiveConfig, validation_loss

STAGES = ("stage1", "stage2", "stage3")
PIPELINE_DIR = "pipeline"
STAGE_VERSION = 3  # 3: fused AdamW and a foreach EMA in the loop (same maths, other rounding)
#: Where self-attention sits in the nano U-Net (3 levels on the 8x16 in-context input: 8x16, 4x8, 2x4).
#: "lowest" is the paper's design (self-attention at the lowest resolution only); the others add it higher up.
ATTENTION_LAYOUTS = {
    "lowest": (("DreamLiteCrossAttnNoSelfAttnDownBlock2D", "DreamLiteCrossAttnNoSelfAttnDownBlock2D",
                "DreamLiteCrossAttnDownBlock2D"),
               ("DreamLiteCrossAttnUpBlock2D", "DreamLiteCrossAttnNoSelfAttnUpBlock2D", "DreamLiteUpBlock2D")),
    "lowest2": (("DreamLiteCrossAttnNoSelfAttnDownBlock2D", "DreamLiteCrossAttnDownBlock2D",
                 "DreamLiteCrossAttnDownBlock2D"),
                ("DreamLiteCrossAttnUpBlock2D", "DreamLiteCrossAttnUpBlock2D", "DreamLiteUpBlock2D")),
    "all": (("DreamLiteCrossAttnDownBlock2D",) * 3, ("DreamLiteCrossAttnUpBlock2D",) * 3),
}
#: The paper's placement built directly from the child config under the seed, without the pruning path: the recipe
#: table's "direct-built" control, and the way to try widths wider than the SDXL-shaped parent (which pruning cannot).
ATTENTION_LAYOUTS["lowest_direct"] = ATTENTION_LAYOUTS["lowest"]


# ---------------------------------------------------------------------------------------------- settings
@dataclass
class TrainSettings:
    """The ``[<profile>.train]`` section as a dataclass (nano default values; see profiles.toml for each profile)."""

    # data (ShapesWorld train split, rendered once and cached)
    n_t2i: int = 60000
    n_edit: int = 30000
    task_weights: dict = field(default_factory=lambda: dict(DEFAULT_T2I_TASK_WEIGHTS))
    n_validation: int = 256
    # model
    block_out_channels: list = field(default_factory=lambda: [32, 64, 128])
    attention_head_dim: list = field(default_factory=lambda: [1, 2, 4])
    transformer_layers_per_block: list = field(default_factory=lambda: [1, 1, 1])
    cross_attention_dim: int = 128
    attention_layout: str = "lowest"
    full_convolutions: bool = False   # True: full 3x3 res-block convolutions, not the paper's separable ones (ours)
    latent_packing: int = 1           # the U-Net reads p x p patches of the VAE latent as channels (FLUX's packing)
    # optimisation (shared by the stages)
    batch_size: int = 128
    learning_rate: float = 2e-3
    warmup_steps: int = 100
    min_lr_ratio: float = 0.05
    weight_decay: float = 0.01
    ema_decay: float = 0.999
    sigma_scheme: str = "logit_normal"
    logit_mean: float = 0.0           # logit-normal centre: > 0 trains more at high noise (SD3's shifted density)
    p_drop_text: float = 0.1
    object_weight: float = 0.0        # > 0: object cells weigh 1 + this in the training loss (ours, not the paper's)
    stage1_steps: int = 2000
    stage2_steps: int = 800
    stage3_steps: int = 1200
    stage3_edit_fraction: float = 0.5
    checkpoint_every: int = 500
    eval_every: int = 500
    mixed_precision: str = "no"
    torch_threads: int = 0            # 0: torch's default
    data_workers: int = 1             # processes that render ShapesWorld (16 on the GPU machine)
    # ablation (direct joint vs stages 1-3 at equal compute, per seed)
    ablation_steps: int = 1000        # total steps per recipe (stages split it like stage1:stage2:stage3)
    ablation_seeds: list = field(default_factory=lambda: [0, 1])
    ablation_workers: int = 1         # CPU only: processes that train the seeds side by side, 1 thread each
    # evaluation (held-out test split)
    eval_per_task: int = 40           # GenEval items per task (and DPG items)
    eval_edits_per_type: int = 20     # ImgEdit items per type
    ablation_eval_per_task: int = 24
    ablation_eval_edits_per_type: int = 10
    num_inference_steps: int = 28
    guidance_scale: float = 2.5
    eval_batch_size: int = 256
    grid_prompts: int = 8

    @classmethod
    def from_profile(cls, section: dict) -> TrainSettings:
        check_known_keys(cls, section, "[<profile>.train] (profiles.toml)")
        return cls(**section)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def stage_steps(self, stage: str, total: int | None = None) -> int:
        """Steps of ``stage``; with ``total``, the stage's share of ``total`` (for the equal-compute ablation)."""
        steps = {"stage1": self.stage1_steps, "stage2": self.stage2_steps, "stage3": self.stage3_steps}
        if total is None:
            return steps[stage]
        full = sum(steps.values())
        s1 = round(total * steps["stage1"] / full)
        s2 = round(total * steps["stage2"] / full)
        return {"stage1": s1, "stage2": s2, "stage3": total - s1 - s2}[stage]

    def edit_fraction(self, stage: str) -> float:
        return {"stage1": 0.0, "stage2": 1.0, "stage3": self.stage3_edit_fraction, "joint": self.stage3_edit_fraction}[
            stage]


def settings_for(run) -> TrainSettings:
    """The run's ``[<profile>.train]`` settings."""
    return TrainSettings.from_profile(run.section("train"))


# ---------------------------------------------------------------------------------------------- components
@dataclass
class Components:
    """Frozen parts and cached data shared by every stage of one run."""

    nano: object            # NanoConfig
    vae: object             # AutoencoderTiny (trained, frozen)
    text_encoder: object    # NanoTextEncoder
    t2i: T2IData
    edits: EditData
    validation_t2i: T2IData
    validation_edits: EditData


_COMPONENTS: dict = {}


def run_device(run) -> str:
    """The profile's device ("cuda" for paper) when it is present here, else "cpu" (``Run.device``)."""
    return run.device


def nano_config_for(run, settings: TrainSettings):
    """The ``NanoConfig`` of this run: the VAE from ``[<profile>.nano]``, the U-Net widths from
    ``[<profile>.train]``."""
    from ..nano.vae import vae_config_from_settings

    base = vae_config_from_settings(run.section("nano"))
    return base.replace(block_out_channels=tuple(settings.block_out_channels),
                        attention_head_dim=tuple(settings.attention_head_dim),
                        transformer_layers_per_block=tuple(settings.transformer_layers_per_block),
                        cross_attention_dim=int(settings.cross_attention_dim),
                        use_sep_conv=not settings.full_convolutions, latent_packing=int(settings.latent_packing))


def components(run, settings: TrainSettings | None = None, progress: bool = True) -> Components:
    """VAE (trained once, cached by the nano engineer's ``load_or_train_vae``), text encoder, and the cached
    train / validation datasets. Memoised per (profile, seed, [nano] section, settings) within a process."""
    from ..nano import NanoTextEncoder, load_or_train_vae

    settings = settings or settings_for(run)
    key = (run.profile, run.seed, json.dumps(run.section("nano"), sort_keys=True),
           json.dumps(settings.to_dict(), sort_keys=True))
    if key in _COMPONENTS:
        return _COMPONENTS[key]
    if settings.torch_threads:
        torch.set_num_threads(int(settings.torch_threads))
    nano = nano_config_for(run, settings)
    vae = load_or_train_vae(run, run.section("nano"), progress=progress)
    text = NanoTextEncoder(max_length=nano.text_max_length)
    device = run_device(run)
    vae.to(device)
    text.model.to(device)
    weights, w = settings.task_weights, settings.data_workers
    t2i = t2i_dataset(run, vae, text, settings.n_t2i, run.seed, weights, nano.resolution, progress, workers=w)
    edits = edit_dataset(run, vae, text, settings.n_edit, run.seed, None, nano.resolution, progress, workers=w)
    val_t2i = t2i_dataset(run, vae, text, settings.n_validation, run.seed, weights, nano.resolution, progress,
                          split="validation")
    val_edits = edit_dataset(run, vae, text, settings.n_validation, run.seed, None, nano.resolution, progress,
                             split="validation")
    vae.to("cpu")
    comp = Components(nano, vae, text, t2i, edits, val_t2i, val_edits)
    _COMPONENTS[key] = comp
    return comp


def build_unet(nano, layout: str = "all", seed: int = 0):
    """A freshly initialised nano ``DreamLiteUNetModel`` with self-attention placed by ``layout``
    (``ATTENTION_LAYOUTS``). "lowest" is the paper's placement and is made by the nano package's pruning path."""
    from diffusers import DreamLiteUNetModel

    from ..nano import build_nano_unet, nano_unet_config

    if layout not in ATTENTION_LAYOUTS:
        raise ValueError(f"unknown attention_layout {layout!r}; layouts: {', '.join(ATTENTION_LAYOUTS)}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if layout == "lowest":
            return build_nano_unet(nano)
        config = nano_unet_config(nano)
        config["down_block_types"], config["up_block_types"] = (list(x) for x in ATTENTION_LAYOUTS[layout])
        return DreamLiteUNetModel(**config)


# ---------------------------------------------------------------------------------------------- one stage
def _loop_config(settings: TrainSettings, steps: int, seed: int, description: str) -> LoopConfig:
    return LoopConfig(steps=steps, batch_size=settings.batch_size, learning_rate=settings.learning_rate,
                      warmup_steps=min(settings.warmup_steps, max(1, steps // 5)),
                      min_lr_ratio=settings.min_lr_ratio, weight_decay=settings.weight_decay,
                      ema_decay=settings.ema_decay, checkpoint_every=settings.checkpoint_every,
                      eval_every=settings.eval_every, seed=seed, mixed_precision=settings.mixed_precision,
                      description=description)


def _objective(comp: Components, settings: TrainSettings, edit_fraction: float, validation: bool = False):
    # the validation loss stays the unweighted loss at centred noise levels, so that runs with and without
    # object_weight or logit_mean compare
    cfg = ObjectiveConfig(edit_fraction=edit_fraction, p_drop_text=settings.p_drop_text,
                          sigma_scheme=settings.sigma_scheme, logit_mean=0.0 if validation else settings.logit_mean,
                          resolution=comp.nano.resolution,
                          object_weight=0.0 if validation else settings.object_weight,
                          latent_packing=settings.latent_packing)
    if validation:
        return InContextObjective(cfg, comp.validation_t2i, comp.validation_edits)
    return InContextObjective(cfg, comp.t2i, comp.edits)


def _eval_fn(comp: Components, settings: TrainSettings):
    """Validation losses (text-to-image and edit, fixed draws of the VALIDATION split) for the loop's callback."""
    val_t2i = _objective(comp, settings, 0.0, validation=True)
    val_edit = _objective(comp, settings, 1.0, validation=True)

    batch = min(128, 4 * settings.batch_size)

    def eval_fn(model, step):
        return {"val_loss_t2i": validation_loss(model, val_t2i, batches=2, batch_size=batch),
                "val_loss_edit": validation_loss(model, val_edit, batches=2, batch_size=batch)}

    return eval_fn


def make_pipeline(unet, comp: Components):
    """A ``DreamLiteNanoPipeline`` around a trained U-Net and the run's VAE and text encoder."""
    from ..nano import DreamLiteNanoPipeline

    pipe = DreamLiteNanoPipeline.from_components(unet, comp.vae, text_encoder=comp.text_encoder, config=comp.nano)
    pipe.set_progress_bar_config(disable=True)
    return pipe


#: The ``TrainSettings`` fields that change what a stage learns: its cache key holds these and nothing else, so
#: changing, say, ``stage3_steps``, ``guidance_scale`` or the evaluation sizes keeps stages 1-2 cached.
#: (The data sizes and task weights enter through the cached datasets' folder names.)
STAGE_KEY_FIELDS = ("block_out_channels", "attention_head_dim", "transformer_layers_per_block", "cross_attention_dim",
                    "attention_layout", "batch_size", "learning_rate", "warmup_steps", "min_lr_ratio", "weight_decay",
                    "ema_decay", "sigma_scheme", "p_drop_text", "mixed_precision")
#: Settings that change what a stage learns but enter its cache key only when they differ from their default
#: (added later).
OPTIONAL_KEY_FIELDS = ("object_weight", "full_convolutions", "logit_mean", "latent_packing")


def stage_config(settings: TrainSettings, name: str, edit_fraction: float, steps: int, seed: int,
                 parent: str | None, data: list[str]) -> dict:
    """The cache key of one stage: its own steps, task mix, seed, parent stage and data, and the settings in
    ``STAGE_KEY_FIELDS``."""
    every = settings.to_dict()
    keyed = {k: every[k] for k in STAGE_KEY_FIELDS}
    defaults = TrainSettings().to_dict()
    for k in OPTIONAL_KEY_FIELDS:  # keyed only when set, so that adding them kept every earlier stage's cache key
        if every[k] != defaults[k]:
            keyed[k] = every[k]
    return {"name": name, "edit_fraction": edit_fraction, "steps": steps, "seed": seed, "parent": parent,
            "settings": keyed, "data": list(data), "version": STAGE_VERSION}


def train_stage(run, name: str, edit_fraction: float, steps: int, seed: int, parent: Path | None = None,
                settings: TrainSettings | None = None, progress: bool = True) -> Path:
    """Train one stage (or an ablation run) and return its artifact folder (``pipeline/`` + logs).

    ``parent``: an artifact folder whose ``pipeline/unet`` initialises the U-Net (stages 2 and 3); ``None`` starts
    from a fresh initialisation (stage 1, the direct-joint ablation). Cached by config; resumable while training.
    """
    from diffusers import DreamLiteUNetModel

    settings = settings or settings_for(run)
    comp = components(run, settings, progress)
    data = ([comp.t2i.folder.name] if edit_fraction < 1 else []) + ([comp.edits.folder.name] if edit_fraction > 0
                                                                      else [])
    config = stage_config(settings, name, edit_fraction, steps, seed, parent.name if parent else None, data)
    from ..repro import config_hash

    work = run.work_dir / "train" / f"{name}-{config_hash(config)}"

    def build(folder: Path) -> None:
        if parent is not None:
            unet = DreamLiteUNetModel.from_pretrained(parent / PIPELINE_DIR / "unet")
        else:
            unet = build_unet(comp.nano, settings.attention_layout, seed)
        objective = _objective(comp, settings, edit_fraction)
        loop = _loop_config(settings, steps, seed, name)
        loop.progress = progress
        t0 = time.perf_counter()
        result: TrainResult = train_loop(unet, objective, loop, work, eval_fn=_eval_fn(comp, settings))
        wall = time.perf_counter() - t0
        model = result.model
        with ema_weights(model, result.ema_state):
            make_pipeline(model, comp).save_pretrained(folder / PIPELINE_DIR)
        for log in ("log.jsonl", "eval.jsonl", "config.json"):
            if (work / log).exists():
                shutil.copy(work / log, folder / log)
        logged = [r for r in result.log if "samples_per_s" in r]
        summary = {"name": name, "steps": steps, "edit_fraction": edit_fraction, "seed": seed,
                   "wall_seconds_this_session": wall, "resumed_from": result.resumed_from,
                   "train_seconds": logged[-1]["elapsed_s"] if logged else wall,
                   "samples_per_s": float(np.median([r["samples_per_s"] for r in logged])) if logged else None,
                   "params": sum(p.numel() for p in model.parameters()), "parent": config["parent"],
                   **compute_context()}
        (folder / "stage_summary.json").write_text(json.dumps(summary, indent=1))

    return run.artifact(name, config, build)


def stage1(run, progress: bool = True) -> Path:
    """Stage 1: text-to-image pretraining from a fresh U-Net (condition half zeros, "[Generate]: " prefix)."""
    s = settings_for(run)
    return train_stage(run, "stage1", 0.0, s.stage1_steps, run.seed, None, s, progress)


def stage2(run, progress: bool = True) -> Path:
    """Stage 2: editing pretraining (condition = source latent, the "[Edit]: A diptych ..." prefix), from stage 1."""
    s = settings_for(run)
    return train_stage(run, "stage2", 1.0, s.stage2_steps, run.seed, stage1(run, progress), s, progress)


def stage3(run, progress: bool = True) -> Path:
    """Stage 3: joint text-to-image + editing (``stage3_edit_fraction`` of each batch are edits), from stage 2."""
    s = settings_for(run)
    return train_stage(run, "stage3", s.stage3_edit_fraction, s.stage3_steps, run.seed, stage2(run, progress), s,
                       progress)


def ablation_seed(run, settings: TrainSettings, seed: int, progress: bool = True,
                  on_done: Callable[[Path], None] | None = None) -> tuple[Path, Path]:
    """One seed of the ablation: (stage 3 of the staged recipe, the direct-joint run), both ``ablation_steps`` long.
    ``on_done(folder)`` is called after each of the four runs (trained or found cached)."""
    total, parent = settings.ablation_steps, None
    runs = [(f"ablation_staged_{stage}", settings.edit_fraction(stage), settings.stage_steps(stage, total), True)
            for stage in STAGES] + [("ablation_joint", settings.stage3_edit_fraction, total, False)]
    folders = []
    for name, edit_fraction, steps, chained in runs:
        folder = train_stage(run, name, edit_fraction, steps, int(seed), parent if chained else None, settings,
                             progress)
        parent = folder
        folders.append(folder)
        if on_done is not None:
            on_done(folder)
    return folders[2], folders[3]


def ablation_runs(run, progress: bool = True) -> dict:
    """The stability experiment: for each seed, stages 1-3 and direct joint training from scratch, both with
    ``ablation_steps`` total steps (equal compute). Returns ``{"staged": [folders], "joint": [folders]}``.

    With ``ablation_workers`` > 1 on a CPU the seeds train side by side in that many processes of one thread each
    (``dreamlite_core.train.ablation_workers``); the loop below then finds every run cached."""
    s = settings_for(run)
    if s.ablation_workers > 1 and len(s.ablation_seeds) > 1 and run.device == "cpu":
        from .ablation_workers import train_seeds_in_processes

        components(run, s, progress)  # the VAE and the datasets, built once here before the workers load them
        train_seeds_in_processes(run, s, progress)
    out = {"staged": [], "joint": []}
    for seed in s.ablation_seeds:
        staged, joint = ablation_seed(run, s, int(seed), progress)
        out["staged"].append(staged)
        out["joint"].append(joint)
    return out


#: What the ablation compares per run: validation losses at the last step (lower is better), held-out scores (higher).
ABLATION_METRICS = ("val_loss_t2i", "val_loss_edit", "geneval", "imgedit")


def ablation_rows(run, ablation: dict, settings: TrainSettings | None = None) -> list[dict]:
    """One row per ablation run (``ablation_runs``' folders): ``recipe``, ``seed``, its validation losses at its last
    step (the same fixed validation draws for every run), and mini-GenEval (with its task accuracies) and mini-ImgEdit
    on the held-out TEST split at ``ablation_eval_per_task`` / ``ablation_eval_edits_per_type`` items."""
    s = settings or settings_for(run)
    rows = []
    for recipe, folders in ablation.items():
        for seed, folder in zip(s.ablation_seeds, folders):
            ev = evaluate_on_test(folder, run, per_task=s.ablation_eval_per_task,
                                  edits_per_type=s.ablation_eval_edits_per_type, benchmarks=("geneval", "imgedit"),
                                  calibrate=False)
            final = read_logs(folder)[1][-1]
            rows.append({"recipe": recipe, "seed": int(seed), "val_loss_t2i": final["val_loss_t2i"],
                         "val_loss_edit": final["val_loss_edit"], "geneval": ev["geneval"]["model"]["overall"],
                         "imgedit": ev["imgedit"]["model"]["overall"],
                         **{f"geneval_{k}": v for k, v in ev["geneval"]["model"]["by_task"].items()}})
    return rows


def ablation_curves(ablation: dict, settings: TrainSettings) -> dict:
    """``{"<recipe>, seed <seed>": folder}`` for every ablation run (``ablation_runs``' folders), the labels of the
    ablation's loss curves (``report.loss_frame``) and of its validation logs."""
    return {f"{recipe}, seed {seed}": folder for recipe, folders in ablation.items()
            for seed, folder in zip(settings.ablation_seeds, folders)}


def ablation_difference(rows: list[dict]) -> tuple[dict, dict]:
    """(staged mean minus direct-joint mean, the larger of the two recipes' seed standard deviations) for each of
    :data:`ABLATION_METRICS`; the spread is NaN with fewer than two seeds per recipe."""
    def values(recipe, metric):
        return np.array([r[metric] for r in rows if r["recipe"] == recipe], dtype=float)

    diff, spread = {}, {}
    for m in ABLATION_METRICS:
        staged, joint = values("staged", m), values("joint", m)
        diff[m] = float(staged.mean() - joint.mean())
        spread[m] = (float(max(staged.std(ddof=1), joint.std(ddof=1))) if min(len(staged), len(joint)) > 1
                     else float("nan"))
    return diff, spread


def stored_ablation(path: Path, profile: str, vae) -> tuple[dict | None, str]:
    """A larger-budget ablation stored by ``benchmarks/train_profile.py --ablation-only`` (``results/*.json``), to plot
    beside this run's, and a label for it: ``(None, why)`` when the file is missing or was measured under another
    profile; otherwise ``(data, label)``, where the label says when its runs trained on another VAE than ``vae``
    (told apart by the latent ``scaling_factor``, which the VAE measures on its own latents and stores to the last
    bit). The 240- and 1000-step runs then differ in more than their budget."""
    path = Path(path)
    if not path.exists():
        return None, f"no larger-budget ablation stored ({path.name} is missing)"
    data = json.loads(path.read_text())
    if data.get("profile") != profile:
        return None, f"no larger-budget ablation measured under the {profile!r} profile ({path.name})"
    label = f"{data['settings']['train']['ablation_steps']} steps per recipe"
    stored, ours = data.get("vae", {}).get("scaling_factor"), float(vae.config.scaling_factor)
    if stored != ours:
        label += f" (another VAE: latent scale {stored:.6g}, this run's {ours:.6g})" if stored is not None else \
            " (its VAE is not recorded)"
    return data, label


# ---------------------------------------------------------------------------------------------- finding and loading
def pipeline_folder(artifact: Path) -> Path:
    return Path(artifact) / PIPELINE_DIR


def load_pipeline(artifact: Path, device: str = "cpu"):
    """The ``DreamLiteNanoPipeline`` saved in a stage's artifact folder."""
    from ..nano import DreamLiteNanoPipeline

    pipe = DreamLiteNanoPipeline.from_pretrained(pipeline_folder(artifact))
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def find_trained_pipeline(profile: str = "default") -> Path | None:
    """The ``pipeline/`` folder of the latest complete stage-3 run of ``profile`` (``runs/<profile>/artifacts/
    stage3-*/pipeline``), or ``None`` when there is none. The CLI's ``generate``/``edit`` and the Core ML export
    use it."""
    from ..repro.provenance import REPO_ROOT

    root = REPO_ROOT / "runs" / profile / "artifacts"
    if not root.is_dir():
        return None
    found = [p / PIPELINE_DIR for p in root.glob("stage3-*")
             if (p / "artifact_config.json").exists() and (p / PIPELINE_DIR / "model_index.json").exists()]
    if not found:
        return None
    return max(found, key=lambda p: (p.parent / "artifact_config.json").stat().st_mtime)


def read_logs(artifact: Path) -> tuple[list[dict], list[dict]]:
    """(loss log rows, validation rows) of a stage's artifact folder."""
    def rows(name):
        path = Path(artifact) / name
        return [json.loads(x) for x in path.read_text().splitlines() if x.strip()] if path.exists() else []

    return rows("log.jsonl"), rows("eval.jsonl")


def stage_summary(artifact: Path) -> dict:
    return json.loads((Path(artifact) / "stage_summary.json").read_text())


# ---------------------------------------------------------------------------------------------- evaluation
def _generate_all(pipe, prompts: list[str], settings: TrainSettings, seed: int, guidance_scale: float | None = None,
                  num_inference_steps: int | None = None, init_images: np.ndarray | None = None,
                  strength: float = 1.0) -> np.ndarray:
    out = []
    for start in range(0, len(prompts), settings.eval_batch_size):
        end = start + settings.eval_batch_size
        g = torch.Generator().manual_seed(seed + start)
        init = {} if init_images is None else {"init_images": init_images[start:end], "strength": strength}
        out.append(pipe.generate(prompts[start:end],
                                 num_inference_steps=num_inference_steps or settings.num_inference_steps,
                                 guidance_scale=settings.guidance_scale if guidance_scale is None else guidance_scale,
                                 generator=g, output_type="uint8", **init).images)
    return np.concatenate(out)


def _edit_all(pipe, sources: np.ndarray, instructions: list[str], settings: TrainSettings, seed: int,
              guidance_scale: float | None = None, num_inference_steps: int | None = None) -> np.ndarray:
    out = []
    for start in range(0, len(instructions), settings.eval_batch_size):
        g = torch.Generator().manual_seed(seed + start)
        out.append(pipe.edit(sources[start:start + settings.eval_batch_size],
                             instructions[start:start + settings.eval_batch_size],
                             num_inference_steps=num_inference_steps or settings.num_inference_steps,
                             guidance_scale=settings.guidance_scale if guidance_scale is None else guidance_scale,
                             generator=g, output_type="uint8").images)
    return np.concatenate(out)


def eval_items(split: str, per_task: int, edits_per_type: int, seed: int):
    """(GenEval items, DPG items, edit items) of ``split`` with equal counts per task / edit type (the edits are
    ImgEdit's nine types; mini-GEdit scores its own group-balanced set, :func:`gedit_eval_items`)."""
    from ..world import GENEVAL_TASKS, make_t2i_items
    from ..world.edit import EDIT_TYPES, make_edit_items

    t2i = make_t2i_items(split, per_task * (len(GENEVAL_TASKS) + 1), seed,
                         task_weights={t: 1.0 for t in GENEVAL_TASKS + ("dpg",)}) if per_task else []
    geneval = [it for it in t2i if it.task != "dpg"]
    dpg = [it for it in t2i if it.task == "dpg"]
    edits = make_edit_items(split, edits_per_type * len(EDIT_TYPES), seed) if edits_per_type else []
    return geneval, dpg, edits


def gedit_eval_items(split: str, per_group: int, seed: int) -> list:
    """mini-GEdit's edits of ``split``: its eleven groups in equal shares (``eval.benchmark_items``), ``per_group``
    per group on average. An ImgEdit-balanced set would leave GEdit's resize group (ps_human) about 4 of 200 edits."""
    from ..eval import benchmark_items
    from ..world.edit import GEDIT_GROUPS

    return benchmark_items("gedit", per_group * len(GEDIT_GROUPS), split=split, seed=seed) if per_group else []


def evaluate_pipeline(pipe, settings: TrainSettings, split: str = "test", seed: int = 0,
                      benchmarks=("geneval", "dpg", "imgedit", "gedit"), per_task: int | None = None,
                      edits_per_type: int | None = None, guidance_scale: float | None = None,
                      num_inference_steps: int | None = None, calibrate: bool = True) -> dict:
    """The mini benchmarks of ``pipe`` on ``split`` (``"test"``: the held-out compositions), each beside its oracle
    (ground-truth renders) and chance (shuffled pairings) scored by the same judge.

    ``per_task`` GenEval items per task (and DPG paragraphs); ``edits_per_type`` ImgEdit edits per type, and as many
    GEdit edits per group on GEdit's own set (:func:`gedit_eval_items`). Returns ``{benchmark: {"model": report,
    "oracle": report, "chance": report[, "identity": report]}}`` plus ``"images"``: the generated / edited uint8
    arrays and their items (``"geneval"``, ``"dpg"``, ``"edit"`` for ImgEdit, ``"gedit"``; for sample grids), and
    ``"seconds"``.
    """
    from ..eval import calibration_points, dpg_score, gedit_score, geneval_score, imgedit_score, summary_of
    from ..world import render_scene

    if split not in ("validation", "test"):
        raise ValueError(f"evaluate on 'validation' (tuning) or 'test' (held-out report); got {split!r}")
    per_task = settings.eval_per_task if per_task is None else per_task
    edits_per_type = settings.eval_edits_per_type if edits_per_type is None else edits_per_type
    geneval_items, dpg_items, edit_items = eval_items(split, per_task, edits_per_type, seed)
    out: dict = {"images": {}, "seconds": {}}
    t0 = time.perf_counter()
    if "geneval" in benchmarks or "dpg" in benchmarks:
        items = ([*geneval_items] if "geneval" in benchmarks else []) + ([*dpg_items] if "dpg" in benchmarks else [])
        images = _generate_all(pipe, [it.prompt for it in items], settings, seed, guidance_scale, num_inference_steps)
        n_gen = len(geneval_items) if "geneval" in benchmarks else 0
        if "geneval" in benchmarks:
            out["geneval"] = {"model": summary_of(geneval_score(images[:n_gen], geneval_items))}
            out["images"]["geneval"] = (images[:n_gen], geneval_items)
        if "dpg" in benchmarks:
            out["dpg"] = {"model": summary_of(dpg_score(images[n_gen:], dpg_items))}
            out["images"]["dpg"] = (images[n_gen:], dpg_items)
    out["seconds"]["t2i"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    gedit_items = gedit_eval_items(split, edits_per_type, seed) if "gedit" in benchmarks else []

    def edit_set(items):
        sources = np.stack([render_scene(it.source, size=pipe.resolution) for it in items])
        edited = _edit_all(pipe, sources, [it.instruction for it in items], settings, seed, guidance_scale,
                           num_inference_steps)
        return sources, edited, items

    if "imgedit" in benchmarks:
        out["images"]["edit"] = edit_set(edit_items)
        out["imgedit"] = {"model": summary_of(imgedit_score(*out["images"]["edit"]))}
    if "gedit" in benchmarks:
        out["images"]["gedit"] = edit_set(gedit_items)
        out["gedit"] = {"model": summary_of(gedit_score(*out["images"]["gedit"]))}
    out["seconds"]["edit"] = time.perf_counter() - t0
    if calibrate:
        for bench, items in (("geneval", geneval_items), ("dpg", dpg_items), ("imgedit", edit_items),
                             ("gedit", gedit_items)):
            if bench in out:
                points = calibration_points(bench, items, size=pipe.resolution, seed=seed)
                out[bench].update({k: summary_of(v) for k, v in points.items()})
    return out


def sdedit_profile(pipe, settings: TrainSettings, split: str = "validation", seed: int = 0,
                   strengths=(0.25, 0.5, 0.75, 1.0), per_task: int | None = None) -> dict:
    """Where does generation fail? mini-GenEval when sampling starts part-way (SDEdit) from the items' ground-truth
    renders, noised to the sampler's level at ``strength`` (``pipe.generate(init_images=..., strength=...)``).

    A model that scores well from a low start but not from pure noise (strength 1) can refine a layout it is given
    and cannot compose one. Returns ``{"rows": [...], "oracle": x, "chance": y}``: one row per strength with
    ``strength``, ``start_sigma`` (the noise level s the run starts from), ``steps`` (run) and ``geneval`` (overall)
    and its per-task accuracies; oracle and chance are the same items' calibration points.
    """
    from ..eval import calibration_points, geneval_score
    from ..world import render_scene

    per_task = settings.ablation_eval_per_task if per_task is None else per_task
    items = eval_items(split, per_task, 0, seed)[0]
    renders = np.stack([render_scene(it.scene, size=pipe.resolution) for it in items])
    rows = []
    for strength in strengths:
        images = _generate_all(pipe, [it.prompt for it in items], settings, seed, init_images=renders,
                               strength=float(strength))
        report = geneval_score(images, items)
        start = pipe.scheduler.begin_index  # the step the pipeline started from, set by this run
        rows.append({"strength": float(strength), "start_sigma": float(pipe.scheduler.sigmas[start]),
                     "steps": settings.num_inference_steps - start, "geneval": report["overall"],
                     **report["by_task"]})
    points = calibration_points("geneval", items, size=pipe.resolution, seed=seed)
    return {"rows": rows, "oracle": points["oracle"]["overall"], "chance": points["chance"]["overall"]}


def evaluate_on_test(artifact: Path, run, benchmarks=("geneval", "dpg", "imgedit", "gedit"), **kwargs) -> dict:
    """``evaluate_pipeline`` on the held-out TEST split for a stage's artifact folder (cached as JSON beside it)."""
    settings = settings_for(run)
    pipe = load_pipeline(artifact, run_device(run))
    return evaluate_pipeline(pipe, settings, "test", run.seed, benchmarks, **kwargs)


def headline_scores(evaluation: dict) -> dict:
    """``{benchmark: {"model", "oracle", "chance"} overall scores}`` plus GenEval's per-task accuracies."""
    out = {}
    for bench in ("geneval", "dpg", "imgedit", "gedit"):
        if bench in evaluation:
            out[bench] = {k: v["overall"] for k, v in evaluation[bench].items()}
    if "geneval" in evaluation:
        out["geneval_by_task"] = evaluation["geneval"]["model"]["by_task"]
    if "imgedit" in evaluation:
        out["imgedit_by_type"] = evaluation["imgedit"]["model"]["by_type"]
    return out
