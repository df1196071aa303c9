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

def _get(metrics: dict, dotted: str):
    value = metrics
    for key in dotted.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _num(dotted: str, fmt: str = "{:,}", scale: float = 1.0):
    def read(metrics):
        value = _get(metrics, dotted)
        return None if value is None else fmt.format(value * scale if scale != 1.0 else value)
    return read


def _score(prefix: str, fmt: str = "{:.2f}"):
    """``model (oracle / chance[ / no-op])`` from ``<prefix>.model``, ``.oracle``, ``.chance`` and, for edits,
    ``.identity`` (the score of returning the source unchanged)."""
    def read(metrics):
        model, oracle, chance, identity = (_get(metrics, f"{prefix}.{k}")
                                           for k in ("model", "oracle", "chance", "identity"))
        if model is None:
            return None
        noop = "" if identity is None else f" / no-op {fmt.format(identity)}"
        extra = "" if oracle is None else f" (oracle {fmt.format(oracle)} / chance {fmt.format(chance)}{noop})"
        return fmt.format(model) + extra
    return read


def _ablation(metrics):
    """Direct joint vs stages 1-3: the staged-minus-joint difference of the final t2i validation loss and of
    mini-GenEval, beside the largest seed standard deviation."""
    diff, spread = _get(metrics, "ablation.staged_minus_joint"), _get(metrics, "ablation.max_seed_std")
    if not diff or "val_loss_t2i" not in diff:
        return None
    return (f"t2i val. loss {diff['val_loss_t2i']:+.3f} (seed std {spread['val_loss_t2i']:.3f}); "
            f"edit val. loss {diff['val_loss_edit']:+.3f} ({spread['val_loss_edit']:.3f}); "
            f"GenEval {diff['geneval']:+.2f} ({_get(metrics, 'ablation.steps_per_recipe')} steps per recipe)")


def _range(low: str, high: str, fmt: str = "{:.1f}-{:.1f} s"):
    def read(metrics):
        lo, hi = _get(metrics, low), _get(metrics, high)
        return None if lo is None or hi is None else fmt.format(lo, hi)
    return read


#: The README results table: (what, notebook slug, how to read it from that notebook's results metrics, the paper's
#: number for the same quantity or "-"). A reader returns None when the value is missing: shown as "not run".
#: Mini benchmark scores are always shown as "model (oracle / chance)" and are never the paper's benchmarks.
RESULT_ROWS = (
    ("SDXL U-Net parameters (diffusers, meta device)", "01_sdxl_to_dreamlite", _num("sdxl_unet_params"),
     "2,567,463,684"),
    ("DreamLite U-Net parameters (diffusers, meta device)", "01_sdxl_to_dreamlite", _num("dreamlite_unet_params"),
     "389,968,388"),
    ("DreamLite GMACs per U-Net call, 1024 px in-context (1x4x128x256)", "01_sdxl_to_dreamlite",
     _num("macs.dreamlite_128x256", "{:,.0f}", 1e-9), "-"),
    ("iPhone 17 Pro latency model, 4-step 1024 px generation", "01_sdxl_to_dreamlite",
     _range("latency.low_s", "latency.high_s"), "about 3 s"),
    ("mini-GenEval of ground-truth renders (oracle / chance), 32 px", "02_shapesworld",
     lambda m: None if _get(m, "calibration.geneval.oracle.overall") is None else
     f"{_get(m, 'calibration.geneval.oracle.overall'):.2f} / {_get(m, 'calibration.geneval.chance.overall'):.2f}",
     "-"),
    ("nano VAE round-trip PSNR (dB)", "03_in_context_concatenation", _num("vae_psnr_db", "{:.1f}"), "-"),
    ("mini-GenEval of ground truth through the nano VAE", "03_in_context_concatenation",
     _num("oracle_through_vae.geneval", "{:.2f}"), "-"),
    ("DreamLite-Nano U-Net parameters", "03_in_context_concatenation", _num("unet_params"), "389,968,388 (full)"),
    ("mini-GenEval after stage 1 (held-out test split)", "04_stage1_t2i", _score("geneval"), "-"),
    ("mini-DPG after stage 1 (held-out test split)", "04_stage1_t2i", _score("dpg", "{:.1f}"), "-"),
    ("stage 1 training wall time (s, 2-core CPU) / samples per s", "04_stage1_t2i",
     lambda m: None if _get(m, "train_seconds") is None else
     f"{_get(m, 'train_seconds'):,.0f} s / {_get(m, 'samples_per_s'):.0f}", "not public"),
    ("mini-ImgEdit after stage 2 (1-5, held-out test split)", "05_stage2_editing", _score("imgedit"), "-"),
    ("mini-GEdit after stage 2 (0-10, held-out test split)", "05_stage2_editing", _score("gedit"), "-"),
    ("mini-GenEval after stage 3 (held-out test split)", "06_stage3_joint", _score("benchmarks.geneval"),
     "GenEval 0.72 (not comparable)"),
    ("mini-GenEval colour task after stage 3", "06_stage3_joint", _score("geneval_colors"), "-"),
    ("mini-DPG after stage 3", "06_stage3_joint", _score("benchmarks.dpg", "{:.1f}"), "DPG 85.8 (not comparable)"),
    ("mini-ImgEdit after stage 3 (1-5)", "06_stage3_joint", _score("benchmarks.imgedit"),
     "ImgEdit 4.11 (not comparable)"),
    ("mini-GEdit after stage 3 (0-10)", "06_stage3_joint", _score("benchmarks.gedit"),
     "GEdit-EN-Q 6.88 (not comparable)"),
    ("stages 1-3 training wall time (minutes, 2-core CPU)", "06_stage3_joint", _num("stages_total_minutes", "{:.1f}"),
     "not public"),
    ("staged minus direct joint at equal compute (negative loss: staged better)", "06_stage3_joint", _ablation,
     "direct joint 'unstable'"),
    ("Core ML nano U-Net: recommended variant (smallest passing 35 dB) / size (MB) / PSNR (dB)", "10_coreml_iphone",
     lambda m: None if _get(m, "recommended_variant") is None else
     f"{m['recommended_variant']} / {m['nano_sizes_bytes'][m['recommended_variant']] / 1e6:.2f} / "
     f"{m['psnr_db'][m['recommended_variant']]:.1f}", "-"),
    ("Core ML nano U-Net PSNR vs fp32, 4-bit palettized (dB)", "10_coreml_iphone", _num("psnr_db.pal4", "{:.1f}"),
     "Apple gate: 35 dB"),
    ("Core ML full-size U-Net package, fp16 (MB)", "10_coreml_iphone",
     _num("full_size_sizes_bytes.fp16", "{:,.0f}", 1e-6), "about 780 MB"),
    ("Core ML full-size U-Net package, 4-bit palettized (MB)", "10_coreml_iphone",
     _num("full_size_sizes_bytes.pal4", "{:,.0f}", 1e-6), "about 195 MB"),
    ("Core ML full-size export: wall time / peak memory", "10_coreml_iphone",
     lambda m: None if _get(m, "full_size_wall_s") is None else
     f"{_get(m, 'full_size_wall_s'):.0f} s / {_get(m, 'full_size_peak_rss_bytes') / 2**30:.1f} GiB", "-"),
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


def results_table(results_dir: Path = REPO_ROOT / "results") -> str:
    lines = ["| quantity | measured here (default profile) | paper | made by |", "|---|---|---|---|"]
    for label, slug, read, paper_value in RESULT_ROWS:
        file = results_dir / f"{slug}.json"
        shown = (read(json.loads(file.read_text())["metrics"]) if file.exists() else None) or "not run"
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
