"""Paper-scale architecture: the SDXL -> DreamLite design path, accounting (parameters, MACs, memory), pruning with
weight inheritance, and the iPhone latency model.

Implements: the paper's U-Net section (DreamLite arXiv 2603.28713, "The U-Net") and SnapGen's design path
(arXiv 2412.09619). Introduced in ``notebooks/01_sdxl_to_dreamlite.py``. Works without weights and without training;
imports nothing of ours but ``dreamlite_core.paper``.
"""

from .accounting import (UNetCost, activation_memory, analytic_macs, build_meta, count_params,
                         count_transformer_blocks, measure_macs, params_by_stage, params_by_type, unet_cost)
from .design import DesignStep, design_path
from .latency import (A19_PRO, DeviceAssumptions, LatencyRange, NetworkCost, iphone_latency, latency_breakdown,
                      unet_network_cost)
from .pruning import PRUNING_RULES, build_unet, prune_unet, pruning_map
from .weights import load_local_unet, unet_report

__all__ = ["A19_PRO", "DesignStep", "DeviceAssumptions", "LatencyRange", "NetworkCost", "design_path", "iphone_latency",
           "latency_breakdown", "unet_network_cost", "load_local_unet", "unet_report", "PRUNING_RULES", "UNetCost",
           "activation_memory", "analytic_macs", "build_meta", "build_unet", "count_params", "count_transformer_blocks",
           "measure_macs", "params_by_stage", "params_by_type", "prune_unet", "pruning_map", "unet_cost"]
