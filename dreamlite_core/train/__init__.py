"""Training DreamLite-Nano: the resumable accelerate loop, ShapesWorld datasets, and the three pretraining stages.

Implements: the paper's task-progressive joint pretraining (stage 1 text-to-image, stage 2 editing, stage 3 joint)
and the direct-joint ablation behind its stability claim. Introduced in ``notebooks/04_stage1_t2i.py``,
``05_stage2_editing.py`` and ``06_stage3_joint.py``.

Imports ``nano`` and ``world``; ``eval`` only for validation metrics. ``eval`` never imports this package.
"""

import os

# On a CPU shared with other work, OpenMP threads that spin while waiting collapse throughput (measured here: a
# 2-thread U-Net step took 39 s instead of 4 s beside 4 other busy processes); passive waiting avoids it. Only
# effective when set before torch starts its thread pool (the notebooks set it first thing as well).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .loop import (CheckpointError, LoopConfig, TrainResult, ema_weights, list_checkpoints,  # noqa: E402
                   load_checkpoint, train_loop)
from .stages import (STAGES, TrainSettings, ablation_runs, evaluate_on_test, evaluate_pipeline,  # noqa: E402
                     find_trained_pipeline, headline_scores, load_pipeline, stage1, stage2, stage3)

__all__ = ["CheckpointError", "LoopConfig", "STAGES", "TrainResult", "TrainSettings", "ablation_runs", "ema_weights",
           "evaluate_on_test", "evaluate_pipeline", "find_trained_pipeline", "headline_scores", "list_checkpoints",
           "load_checkpoint", "load_pipeline", "stage1", "stage2", "stage3", "train_loop"]
