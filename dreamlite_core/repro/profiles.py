"""The three profiles (smoke, default, paper), read from the one file that holds them: ``profiles.toml``.

Implements: the companion's reproducibility contract (no paper section). Introduced in
``notebooks/00_paper_in_numbers.py``; every notebook's ``parameters`` cell names a profile.
"""

from __future__ import annotations

import argparse
import copy
import tomllib
from functools import lru_cache
from pathlib import Path

PROFILES_FILE = Path(__file__).with_name("profiles.toml")
PROFILE_NAMES = ("smoke", "default", "paper")


class ProfileError(ValueError):
    """An unknown profile or section: the message lists the valid ones."""


@lru_cache(maxsize=1)
def _all_profiles() -> dict:
    with open(PROFILES_FILE, "rb") as f:
        return tomllib.load(f)


def load_profile(name: str) -> dict:
    """Return a copy of profile ``name`` (a nested dict: top-level keys plus one table per notebook area).

    >>> load_profile("smoke")["seed"]
    0
    """
    profiles = _all_profiles()
    if name not in profiles:
        raise ProfileError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILE_NAMES)} "
                           f"(defined in {PROFILES_FILE})")
    return copy.deepcopy(profiles[name])


def profile_section(name: str, section: str) -> dict:
    """One area's settings of profile ``name``, e.g. ``profile_section("smoke", "train")``."""
    profile = load_profile(name)
    if section not in profile or not isinstance(profile[section], dict):
        sections = sorted(k for k, v in profile.items() if isinstance(v, dict))
        raise ProfileError(f"profile {name!r} has no section {section!r}; sections: {', '.join(sections)}")
    return profile[section]


def parse_override(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE in TOML syntax -> (key, value): one setting of a profile section overridden from a
    command line (``benchmarks/stage1_variant.py --set``, ``benchmarks/train_profile.py --set``). A malformed
    override raises ``argparse.ArgumentTypeError``, so that argparse prints its message."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"--set takes KEY=VALUE, got {text!r}")
    try:
        return key.strip(), tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError as err:
        raise argparse.ArgumentTypeError(f"--set {key.strip()}: {value.strip()!r} is not a TOML value ({err})")
