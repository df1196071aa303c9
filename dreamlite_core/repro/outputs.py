"""The one helper through which every notebook writes figures, tables, cached artifacts and its results file.

Implements: the companion's reproducibility contract (no paper section). Introduced in
``notebooks/00_paper_in_numbers.py``.

- Figures: a fixed seaborn theme, size and DPI; PNG and PDF with metadata stripped, so that the same run gives
  the same bytes. ``<output_dir>/figures/<name>.{png,pdf}``.
- Tables: CSV for machines and Markdown for people. ``<output_dir>/tables/<name>.{csv,md}``.
- Artifacts (datasets, checkpoints): built once per config under ``runs/<profile>/artifacts/<name>-<hash>/``,
  written to a temporary folder and renamed into place, so an interrupted build leaves nothing half-written.
  Large files that several artifacts hold byte for byte (every stage's pipeline carries the same 87 MiB MiniLM)
  are stored once, as hard links into ``artifacts/.shared/<sha256>``; an artifact is read-only once built.
- Results: ``<output_dir>/results/<notebook>.json`` = notebook, profile, metrics, provenance.
- ``runs/<profile>/manifest.json`` lists every file written here with its sha256 and the notebook that made it.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .profiles import load_profile
from .provenance import REPO_ROOT, provenance

FIGURE_DPI = 150
FIGURE_SIZES = {"single": (6.0, 4.0), "wide": (10.0, 4.0), "square": (6.0, 6.0), "grid": (10.0, 7.0),
                "tall": (10.0, 10.0)}
_PNG_METADATA = {"Software": None}
_PDF_METADATA = {"Creator": None, "Producer": None, "CreationDate": None}


def config_hash(config: dict) -> str:
    """A short, stable hash of a JSON-serialisable config (key order does not matter)."""
    blob = json.dumps(to_jsonable(config), sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


@contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w"):
    """``with atomic_write(path, "wb") as f: ...``: write through a temporary file beside ``path`` and rename it over
    ``path`` when the block succeeds, so a failure leaves nothing half-written. The file gets the permissions a
    plain ``open`` would give (0666 less the umask; ``mkstemp`` alone makes them 0600)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode) as f:
            yield f
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def temp_dir(parent: Path, prefix: str) -> Path:
    """A new empty folder in ``parent`` (made if missing) to build into and rename into place, with the permissions
    ``mkdir`` would give (0777 less the umask; ``mkdtemp`` alone makes it 0700, which other users cannot read)."""
    parent.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    folder.chmod(0o777 & ~_umask())
    return folder


def plain_permissions(folder: Path) -> None:
    """Give every folder and file inside ``folder`` (made by :func:`temp_dir`, which sets its own) the permissions
    ``mkdir`` and ``open`` would (0777 and 0666 less the umask): safetensors writes its files 0600, which other users
    of a shared machine cannot read."""
    umask = _umask()
    for path in folder.rglob("*"):
        if not path.is_symlink():
            path.chmod((0o777 if path.is_dir() else 0o666) & ~umask)


def _umask() -> int:
    umask = os.umask(0)  # the only way to read it is to set it
    os.umask(umask)
    return umask


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def to_jsonable(value):
    """Turn numpy / torch scalars, tuples and paths into plain JSON values; NaN and inf become ``None``."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:  # numpy or torch scalar
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and torch (CPU and, when present, CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    try:
        import torch

        torch.manual_seed(seed)
    except ImportError:  # pragma: no cover - torch is a hard dependency
        pass


def new_figure(nrows: int = 1, ncols: int = 1, size: str = "single", **subplot_kw):
    """A figure in the companion's fixed style. ``size`` is one of ``FIGURE_SIZES``."""
    import matplotlib

    if not _in_notebook():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    if size not in FIGURE_SIZES:
        raise ValueError(f"unknown figure size {size!r}; valid sizes: {', '.join(FIGURE_SIZES)}")
    sns.set_theme(context="notebook", style="whitegrid", palette="colorblind")
    plt.rcParams.update({"svg.hashsalt": "dreamlite", "pdf.fonttype": 42})
    return plt.subplots(nrows, ncols, figsize=FIGURE_SIZES[size], **subplot_kw)


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False


class Run:
    """One notebook's run under one profile: its settings, seed, output folders and manifest.

    >>> run = Run("00_paper_in_numbers", profile="smoke")     # doctest: +SKIP
    >>> run.figure(fig, "00_params_vs_geneval")               # doctest: +SKIP
    """

    def __init__(self, notebook: str, profile: str = "smoke", seed: int | None = None,
                 output_dir: str | os.PathLike | None = None, root: str | os.PathLike = REPO_ROOT):
        self.notebook = notebook
        self.profile = profile
        self.config = load_profile(profile)  # raises ProfileError for an unknown profile
        self.seed = self.config["seed"] if seed is None else int(seed)
        self.root = Path(root)
        out = Path(output_dir if output_dir is not None else self.config["output_dir"])
        self.output_dir = out if out.is_absolute() else self.root / out
        self.work_dir = self.root / "runs" / profile
        self.artifacts_dir = self.work_dir / "artifacts"
        self.manifest_path = self.work_dir / "manifest.json"
        self._start = time.perf_counter()
        seed_everything(self.seed)

    # ------------------------------------------------------------------ settings
    @property
    def device(self) -> str:
        """The profile's ``device`` ("cuda" under paper) when it is present here, else "cpu"."""
        import torch

        wanted = str(self.config.get("device", "cpu"))
        return wanted if wanted.startswith("cuda") and torch.cuda.is_available() else "cpu"

    def section(self, name: str) -> dict:
        """This profile's settings for one notebook area (e.g. ``"train"``)."""
        from .profiles import profile_section

        return profile_section(self.profile, name)

    # ------------------------------------------------------------------ outputs
    def figure(self, fig, name: str) -> Path:
        """Save ``fig`` as ``figures/<name>.png`` and ``.pdf`` (fixed DPI, no metadata) and close it."""
        import matplotlib.pyplot as plt

        folder = self.output_dir / "figures"
        folder.mkdir(parents=True, exist_ok=True)
        png, pdf = folder / f"{name}.png", folder / f"{name}.pdf"
        fig.savefig(png, dpi=FIGURE_DPI, bbox_inches="tight", metadata=_PNG_METADATA)
        fig.savefig(pdf, bbox_inches="tight", metadata=_PDF_METADATA)
        if _in_notebook():
            from IPython.display import Image, display

            display(Image(filename=str(png)))
        plt.close(fig)
        self._record(png, pdf)
        return png

    def table(self, df, name: str, floatfmt: str = ".4g") -> Path:
        """Save a ``pandas.DataFrame`` as ``tables/<name>.csv`` and ``tables/<name>.md``; return the CSV path."""
        folder = self.output_dir / "tables"
        folder.mkdir(parents=True, exist_ok=True)
        csv, md = folder / f"{name}.csv", folder / f"{name}.md"
        df.to_csv(csv, index=False, lineterminator="\n")
        shown = df.astype(object).where(df.notna(), None)  # NaN -> "-" in Markdown
        md.write_text(shown.to_markdown(index=False, floatfmt=floatfmt, missingval="-") + "\n")
        self._record(csv, md)
        return csv

    def artifact(self, name: str, config: dict, build: Callable[[Path], None]) -> Path:
        """Return the folder of artifact ``name`` made by ``config``, building it first when absent.

        ``build(folder)`` writes into a fresh temporary folder; only when it returns is the folder renamed into
        ``runs/<profile>/artifacts/<name>-<hash>/`` with the config beside it. A build that raises or is killed
        leaves nothing behind, and the next call builds again. The same config is never built twice.
        """
        final = self.artifacts_dir / f"{name}-{config_hash(config)}"
        if (final / "artifact_config.json").exists():
            return final
        tmp = temp_dir(self.artifacts_dir, f".{name}-")
        try:
            build(tmp)
            plain_permissions(tmp)
            share_identical_files(tmp, self.artifacts_dir / SHARED_DIR)
            (tmp / "artifact_config.json").write_text(json.dumps(to_jsonable(config), indent=2, sort_keys=True))
            if final.exists():  # a stale folder without its config marker: an interrupted older layout
                shutil.rmtree(final)
            tmp.rename(final)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        self._record(*sorted(p for p in final.rglob("*") if p.is_file()))
        return final

    def write_results(self, metrics: dict, **extra) -> Path:
        """Write ``results/<notebook>.json``: notebook, profile, metrics, provenance (and any ``extra`` keys)."""
        folder = self.output_dir / "results"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.notebook}.json"
        payload = {"notebook": self.notebook, "profile": self.profile, "metrics": to_jsonable(metrics),
                   **to_jsonable(extra),
                   "provenance": provenance(self.seed, time.perf_counter() - self._start)}
        path.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
        self._record(path)
        return path

    # ------------------------------------------------------------------ manifest
    def _record(self, *paths: Path) -> None:
        entries = {os.path.relpath(path, self.root): {"sha256": sha256_file(path), "notebook": self.notebook}
                   for path in paths}
        self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
        # processes that build artifacts side by side (the ablation's workers) take turns: read, add, replace
        with _locked(self.manifest_path.with_suffix(".json.lock")):
            manifest = read_manifest(self.manifest_path)
            manifest.update(entries)
            tmp = self.manifest_path.with_suffix(f".json.tmp{os.getpid()}")
            tmp.write_text(json.dumps(dict(sorted(manifest.items())), indent=1) + "\n")
            tmp.replace(self.manifest_path)


SHARED_DIR = ".shared"
SHARE_MIN_BYTES = 1 << 20  # smaller files are not worth a link


def share_identical_files(folder: Path, store: Path, min_bytes: int = SHARE_MIN_BYTES) -> int:
    """Replace each file of ``folder`` of at least ``min_bytes`` by a hard link to ``store/<sha256>``, the first
    copy of those bytes; return the bytes saved. Where hard links are not possible (``store`` on another file
    system, a file system without them) the copies stay. Shared copies that no artifact links to any more (their
    artifacts were deleted) are removed first. Safe for processes sharing a store: linking into it is atomic, and
    a file is only ever swapped for a link to identical bytes."""
    for orphan in store.glob("*"):
        try:
            if orphan.stat().st_nlink == 1:
                orphan.unlink()
        except FileNotFoundError:  # another process pruned it first
            pass
    saved = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        size = path.stat().st_size
        if size < min_bytes:
            continue
        store.mkdir(parents=True, exist_ok=True)
        blob = store / sha256_file(path)
        try:
            os.link(path, blob)  # the first copy of these bytes becomes the shared one
            continue
        except FileExistsError:
            pass
        except OSError:
            return saved
        link = path.with_name(f".{path.name}.link")
        link.unlink(missing_ok=True)
        try:
            if blob.stat().st_size != size or os.path.samefile(blob, path):
                continue
            os.link(blob, link)
        except FileNotFoundError:  # another process pruned it as an orphan just now: keep this copy
            continue
        os.replace(link, path)
        saved += size
    return saved


@contextmanager
def _locked(path: Path):
    """An exclusive advisory lock on ``path`` (POSIX ``flock``; where there is none, no lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: the companion starts no parallel writers there
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_manifest(path: str | os.PathLike) -> dict:
    """The manifest as ``{relative path: {"sha256", "notebook"}}``; empty when absent."""
    path = Path(path)
    return json.loads(path.read_text()) if path.exists() else {}
