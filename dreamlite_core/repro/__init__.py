"""Reproducibility machinery: profiles, the papermill runner, cached artifacts, provenance, the figure/table helper.

Implements: the companion's reproducibility contract (no paper section). Introduced in
``notebooks/00_paper_in_numbers.py`` and the README.
"""

from .notebooks import NOTEBOOKS, Notebook, get_notebook
from .outputs import Run, config_hash, new_figure, read_manifest, seed_everything, to_jsonable
from .profiles import PROFILE_NAMES, ProfileError, load_profile, profile_section

__all__ = ["NOTEBOOKS", "PROFILE_NAMES", "Notebook", "ProfileError", "Run", "config_hash", "get_notebook",
           "load_profile", "new_figure", "profile_section", "read_manifest", "seed_everything", "to_jsonable"]
