"""Data cards of ShapesWorld-T2I and ShapesWorld-Edit (dreamlite_core.world.cards): generated from the items."""

from __future__ import annotations

import re

import pytest

from dreamlite_core.world import EDIT_TYPES, T2I_TASKS
from dreamlite_core.world.cards import write_data_cards


@pytest.fixture(scope="module")
def cards(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cards")
    stats = write_data_cards(folder, {"train": 70, "test": 14}, {"train": 27, "test": 9}, seed=0)
    return folder, stats


def test_cards_have_hub_headings_and_the_datasheet_checklist(cards):
    folder, _ = cards
    for name in ("shapesworld_t2i.md", "shapesworld_edit.md"):
        text = (folder / name).read_text()
        assert text.startswith("---\npretty_name: ShapesWorld")
        assert "license: apache-2.0" in text
        for heading in ("## Dataset Description", "### Dataset Summary", "## Dataset Structure", "### Data Fields",
                        "### Data Splits", "## Dataset Creation", "## Considerations for Using the Data",
                        "### Licensing Information", "## Datasheet", "**Motivation**", "**Composition**",
                        "**Collection process**", "**Uses**", "**Distribution**", "**Maintenance**"):
            assert heading in text, (name, heading)


def test_card_statistics_match_the_items(cards):
    folder, stats = cards
    t2i = stats["t2i"]
    assert t2i["train"]["by_task"] == {t: 10 for t in T2I_TASKS}
    assert stats["edit"]["test"]["by_type"] == {t: 1 for t in EDIT_TYPES}
    assert t2i["train"]["items_with_held_out"] == 0 and t2i["test"]["items_with_held_out"] == 14
    text = (folder / "shapesworld_t2i.md").read_text()
    assert t2i["train"]["sha256_items"] in text and t2i["test"]["sha256_renders"] in text
    assert re.search(r"\| counting \| 10 \| 2 \|", text)
    again = write_data_cards(folder / "again", {"train": 70, "test": 14}, {"train": 27, "test": 9}, seed=0)
    assert again["t2i"]["train"]["sha256_items"] == t2i["train"]["sha256_items"]


def test_unknown_split_in_card_config():
    with pytest.raises(ValueError, match="unknown split"):
        write_data_cards("/nonexistent", {"dev": 3}, {}, seed=0)
