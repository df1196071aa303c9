"""The folder format of ``dreamlite eval`` (dreamlite_core.eval.io, dreamlite_core.eval.cli): round trips, and bad
input named by file and line; nothing skipped."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dreamlite_core.cli import main as dreamlite
from dreamlite_core.eval import EvalInputError, read_eval_folder, write_eval_folder
from dreamlite_core.world import GENEVAL_TASKS, make_edit_items, make_t2i_items, render_scene, render_scenes


@pytest.fixture()
def geneval_folder(tmp_path):
    items = make_t2i_items("validation", 12, seed=0, task_weights={t: 1 for t in GENEVAL_TASKS})
    return write_eval_folder(tmp_path / "geneval", items, render_scenes([it.scene for it in items])), items


def test_round_trip_and_cli_scores_the_folder(geneval_folder, capsys):
    folder, items = geneval_folder
    data = read_eval_folder(folder, "geneval")
    assert [it.prompt for it in data["items"]] == [it.prompt for it in items]
    np.testing.assert_array_equal(data["images"][3], render_scene(items[3].scene))
    assert dreamlite(["eval", "geneval", "--images", str(folder), "--json", "--calibrate"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["report"]["overall"] == 1.0 and out["calibration"]["oracle"]["overall"] == 1.0
    assert out["n_images"] == 12 and out["size"] == 32
    assert dreamlite(["eval", "geneval", "--images", str(folder)]) == 0
    assert "| images" in capsys.readouterr().out


def test_edit_folder_with_and_without_source_pngs(tmp_path, capsys):
    items = make_edit_items("test", 9, seed=0)
    tgt = render_scenes([it.target for it in items])
    f1 = write_eval_folder(tmp_path / "with", items, tgt, render_scenes([it.source for it in items]))
    f2 = write_eval_folder(tmp_path / "without", items, tgt)
    for folder in (f1, f2):
        assert dreamlite(["eval", "imgedit", "--images", str(folder), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["report"]["overall"] > 4.9


def _expect_error(folder, benchmark, match, capsys):
    with pytest.raises(EvalInputError, match=match):
        read_eval_folder(folder, benchmark)
    assert dreamlite(["eval", benchmark, "--images", str(folder)]) == 2
    assert "error:" in capsys.readouterr().err


def test_missing_image_names_file_and_line(geneval_folder, capsys):
    folder, _ = geneval_folder
    (folder / "000004.png").unlink()
    _expect_error(folder, "geneval", r"line 5 names 000004.png, which does not exist", capsys)


def test_unreadable_image(geneval_folder, capsys):
    folder, _ = geneval_folder
    (folder / "000002.png").write_bytes(b"not a png")
    _expect_error(folder, "geneval", r"000002.png \(items.jsonl line 3\) cannot be read", capsys)


def test_wrong_size_image(geneval_folder, capsys):
    folder, items = geneval_folder
    Image.fromarray(render_scene(items[6].scene, 48)).save(folder / "000006.png")
    _expect_error(folder, "geneval", r"000006.png \(items.jsonl line 7\) is 48x48; expected 32x32", capsys)


def test_unknown_shape_or_colour_in_metadata(geneval_folder, capsys):
    folder, _ = geneval_folder
    lines = (folder / "items.jsonl").read_text().splitlines()
    d = json.loads(lines[7])
    d["spec"]["include"][0]["class"] = "hexagon"
    d.pop("scene")
    lines[7] = json.dumps(d)
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n")
    _expect_error(folder, "geneval", r"line 8: unknown shape 'hexagon'", capsys)
    d["spec"]["include"][0]["class"] = "star"
    d["spec"]["include"][0]["color"] = "magenta"
    lines[7] = json.dumps(d)
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n")
    _expect_error(folder, "geneval", r"line 8: unknown colour 'magenta'", capsys)


def test_bad_json_line_and_stray_png(geneval_folder, capsys):
    folder, items = geneval_folder
    Image.fromarray(render_scene(items[0].scene)).save(folder / "extra.png")
    _expect_error(folder, "geneval", r"1 PNG\(s\) that items.jsonl does not name \(e.g. extra.png\)", capsys)
    (folder / "extra.png").unlink()
    with open(folder / "items.jsonl", "a") as f:
        f.write("{not json\n")
    _expect_error(folder, "geneval", r"line 13 is not valid JSON", capsys)


def test_geneval_metadata_lines_without_scenes_are_accepted(tmp_path):
    img = render_scene(make_t2i_items("train", 1, seed=0, task_weights={"colors": 1})[0].scene)
    folder = tmp_path / "plain"
    folder.mkdir()
    Image.fromarray(img).save(folder / "a.png")
    spec = make_t2i_items("train", 1, seed=0, task_weights={"colors": 1})[0].spec
    (folder / "items.jsonl").write_text(json.dumps({"image": "a.png", **spec}) + "\n")
    data = read_eval_folder(folder, "geneval")
    from dreamlite_core.eval import geneval_score

    assert geneval_score(data["images"], data["items"])["overall"] == 1.0


def test_write_refuses_to_overwrite(geneval_folder):
    folder, items = geneval_folder
    with pytest.raises(EvalInputError, match="not empty"):
        write_eval_folder(folder, items, render_scenes([it.scene for it in items]))


def test_edit_metadata_with_unknown_colour_names_the_line(tmp_path, capsys):
    items = make_edit_items("validation", 4, seed=0)
    folder = write_eval_folder(tmp_path / "edits", items, render_scenes([it.target for it in items]))
    lines = (folder / "items.jsonl").read_text().splitlines()
    d = json.loads(lines[2])
    d["target"]["objects"][0]["color"] = "magenta"
    lines[2] = json.dumps(d)
    (folder / "items.jsonl").write_text("\n".join(lines) + "\n")
    _expect_error(folder, "gedit", r"line 3: unknown colour 'magenta'", capsys)
