"""The mini benchmarks: mini-GenEval, mini-DPG, mini-ImgEdit and mini-GEdit on ShapesWorld, with a detector
calibrated on renders and oracle / chance calibration points.

Implements: programmatic counterparts of GenEval, DPG-Bench, ImgEdit and GEdit-Bench (the paper's four benchmark
columns; rules in ``/work/shared/PAPER_FACTS.md``). Introduced in ``notebooks/02_shapesworld.py``.
``eval`` imports only ``world``: it never shares code or weights with the reward models that training optimises.
"""

from .calibration import (BENCHMARKS, benchmark_items, benchmark_table, calibration_points, detector_confusion,
                          gate_statistics, junk_images, score)
from .common import EvalInputError, relative_position, summary_of
from .detect import Detection, ImageAnalysis, analyse_image, detect_objects
from .dpg import dpg_score
from .edit import gedit_score, imgedit_score, judge_edit
from .geneval import OUTCOMES as GENEVAL_OUTCOMES, evaluate_geneval, geneval_outcome, geneval_score
from .io import read_eval_folder, write_eval_folder

__all__ = ["BENCHMARKS", "Detection", "EvalInputError", "GENEVAL_OUTCOMES", "ImageAnalysis", "analyse_image",
           "benchmark_items", "benchmark_table", "gate_statistics", "junk_images",
           "calibration_points", "detect_objects", "detector_confusion", "dpg_score", "evaluate_geneval",
           "gedit_score", "geneval_outcome", "geneval_score", "imgedit_score", "judge_edit", "read_eval_folder",
           "relative_position", "score", "summary_of", "write_eval_folder"]
