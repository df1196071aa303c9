"""Training DreamLite-Nano: the resumable accelerate loop, ShapesWorld datasets, and the three pretraining stages.

Implements: the paper's task-progressive joint pretraining (stage 1 text-to-image, stage 2 editing, stage 3 joint)
and the direct-joint ablation behind its stability claim. Introduced in ``notebooks/04_stage1_t2i.py``,
``05_stage2_editing.py`` and ``06_stage3_joint.py``.

Imports ``nano`` and ``world``; ``eval`` only for validation metrics. ``eval`` never imports this package.
"""

from ..openmp import wait_briefly

# OpenMP threads spin briefly, then sleep: spinning ones collapse a shared CPU, ones that sleep at once slow an idle
# one (dreamlite_core.openmp). Only effective before torch starts its thread pool (the notebooks call it first).
wait_briefly()

from .loop import (CheckpointError, LoopConfig, TrainResult, ema_weights, list_checkpoints,  # noqa: E402
                   load_checkpoint, train_loop)
from .stages import (STAGES, TrainSettings, ablation_runs, evaluate_on_test, evaluate_pipeline,  # noqa: E402
                     find_trained_pipeline, headline_scores, load_pipeline, stage1, stage2, stage3)

__all__ = ["CheckpointError", "LoopConfig", "STAGES", "TrainResult", "TrainSettings", "ablation_runs", "ema_weights",
           "evaluate_on_test", "evaluate_pipeline", "find_trained_pipeline", "headline_scores", "list_checkpoints",
           "load_checkpoint", "load_pipeline", "stage1", "stage2", "stage3", "train_loop"]
