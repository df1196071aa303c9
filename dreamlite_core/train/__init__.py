"""Training DreamLite-Nano: the resumable accelerate loop, ShapesWorld datasets, and the three pretraining stages.

Implements: the paper's task-progressive joint pretraining (stage 1 text-to-image, stage 2 editing, stage 3 joint)
and the direct-joint ablation behind its stability claim. Introduced in ``notebooks/04_stage1_t2i.py``,
``05_stage2_editing.py`` and ``06_stage3_joint.py``.

Imports ``nano`` and ``world``; ``eval`` only for validation metrics. ``eval`` never imports this package.
"""

from .loop import CheckpointError, LoopConfig, TrainResult, ema_weights, list_checkpoints, load_checkpoint, train_loop

__all__ = ["CheckpointError", "LoopConfig", "TrainResult", "ema_weights", "list_checkpoints", "load_checkpoint",
           "train_loop"]
