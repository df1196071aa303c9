"""The reproducibility machinery: profiles, the output helper, cached artifacts, the manifest, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import tomllib

import pandas as pd
import pytest

from dreamlite_core.cli import main
from dreamlite_core.repro import PROFILE_NAMES, ProfileError, Run, config_hash, load_profile, new_figure
from dreamlite_core.repro.outputs import share_identical_files
from dreamlite_core.repro.profiles import PROFILES_FILE


def _keys(d, prefix=""):
    out = set()
    for k, v in d.items():
        if k == "description":
            continue
        out.add(prefix + k)
        if isinstance(v, dict):
            out |= _keys(v, f"{prefix}{k}.")
    return out


def test_profiles_share_the_same_keys():
    with open(PROFILES_FILE, "rb") as f:
        profiles = tomllib.load(f)
    assert set(profiles) == set(PROFILE_NAMES)
    smoke = _keys(profiles["smoke"])
    for name in PROFILE_NAMES:
        assert _keys(profiles[name]) == smoke, f"profile {name} differs from smoke"


def test_unknown_profile_lists_the_valid_ones():
    with pytest.raises(ProfileError, match="smoke, default, paper"):
        load_profile("fast")


def test_unknown_section_lists_the_sections(tmp_path):
    run = Run("00_test", "smoke", root=tmp_path)
    with pytest.raises(ProfileError, match="no section 'nope'"):
        run.section("nope")


def test_run_device_uses_cuda_only_where_the_profile_asks_and_a_gpu_is_present(tmp_path, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert Run("00_test", "paper", root=tmp_path).device == "cpu"  # the paper profile falls back on a CPU machine
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert Run("00_test", "paper", root=tmp_path).device == "cuda"
    assert Run("00_test", "smoke", root=tmp_path).device == "cpu"  # smoke and default stay on the CPU


def test_config_hash_ignores_key_order_and_sees_values():
    assert config_hash({"a": 1, "b": [1, 2]}) == config_hash({"b": [1, 2], "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def _plot(run, name):
    fig, ax = new_figure()
    ax.plot([0, 1, 2], [1, 0, 2], label="line")
    ax.legend()
    return run.figure(fig, name)


def test_same_inputs_give_same_bytes(tmp_path):
    shas = []
    for attempt in ("a", "b"):
        run = Run("00_test", "smoke", output_dir=tmp_path / attempt, root=tmp_path / attempt)
        _plot(run, "00_line")
        run.table(pd.DataFrame({"x": [1.5, None], "y": ["a", "b"]}), "00_table")
        manifest = json.loads(run.manifest_path.read_text())
        shas.append({k: v["sha256"] for k, v in manifest.items()})
    assert shas[0] == shas[1] and len(shas[0]) == 4  # png, pdf, csv, md


def test_table_writes_csv_and_markdown_with_dash_for_missing(tmp_path):
    run = Run("00_test", "smoke", output_dir=tmp_path, root=tmp_path)
    run.table(pd.DataFrame({"method": ["a", "b"], "score": [0.5, None]}), "00_scores")
    assert (tmp_path / "tables" / "00_scores.csv").read_text() == "method,score\na,0.5\nb,\n"
    assert "| b        |     -   |" in (tmp_path / "tables" / "00_scores.md").read_text()


def test_artifact_is_built_once_per_config(tmp_path):
    run = Run("00_test", "smoke", root=tmp_path)
    calls = []

    def build(folder):
        calls.append(folder)
        (folder / "weights.txt").write_text("w")

    first = run.artifact("thing", {"steps": 3}, build)
    again = run.artifact("thing", {"steps": 3}, build)
    other = run.artifact("thing", {"steps": 4}, build)
    assert first == again != other and len(calls) == 2
    manifest = json.loads(run.manifest_path.read_text())
    assert any(k.endswith("weights.txt") and v["notebook"] == "00_test" for k, v in manifest.items())


def test_interrupted_artifact_build_leaves_nothing(tmp_path):
    run = Run("00_test", "smoke", root=tmp_path)

    def build(folder):
        (folder / "half.bin").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run.artifact("thing", {"steps": 3}, build)
    assert list(run.artifacts_dir.iterdir()) == []
    built = run.artifact("thing", {"steps": 3}, lambda f: (f / "ok.bin").write_text("y"))
    assert (built / "ok.bin").exists()


def test_artifacts_get_the_permissions_mkdir_and_open_would_give(tmp_path):
    # mkdtemp makes 0700 folders and safetensors writes 0600 files: the other users of a shared workshop machine
    # could read neither
    import torch
    from safetensors.torch import save_file

    run = Run("00_test", "smoke", root=tmp_path)
    old = os.umask(0o027)
    try:
        folder = run.artifact("thing", {"steps": 3},
                              lambda f: save_file({"w": torch.zeros(2)}, str(f / "model.safetensors")))
    finally:
        os.umask(old)
    assert folder.stat().st_mode & 0o777 == 0o750
    assert (folder / "model.safetensors").stat().st_mode & 0o777 == 0o640


def test_artifacts_holding_the_same_large_file_share_one_copy_on_disk(tmp_path):
    # Every stage's pipeline carries the same MiniLM weights; on disk they must be one inode, while each
    # artifact still reads its own bytes, and a file that differs (or is small) keeps its own copy.
    run = Run("00_test", "smoke", root=tmp_path)
    big = bytes(range(256)) * 8192  # 2 MiB

    def build(content: bytes, tag: str):
        def write(folder):
            (folder / "text_encoder").mkdir()
            (folder / "text_encoder" / "model.safetensors").write_bytes(content)
            (folder / "unet.bin").write_bytes(tag.encode() * (1 << 20))  # 1 MiB, different per artifact
            (folder / "config.json").write_text("{}")
        return write

    a = run.artifact("stage", {"n": 1}, build(big, "a"))
    b = run.artifact("stage", {"n": 2}, build(big, "b"))
    c = run.artifact("stage", {"n": 3}, build(big[::-1], "c"))
    te = [f / "text_encoder" / "model.safetensors" for f in (a, b, c)]
    assert te[0].stat().st_ino == te[1].stat().st_ino != te[2].stat().st_ino
    assert te[0].read_bytes() == te[1].read_bytes() == big and te[2].read_bytes() == big[::-1]
    assert (a / "unet.bin").stat().st_ino != (b / "unet.bin").stat().st_ino
    assert (a / "config.json").stat().st_nlink == 1
    shared = sorted(p.name for p in (run.artifacts_dir / ".shared").iterdir())
    assert len(shared) == 5  # two MiniLM-like blobs and three 1 MiB files, each held once
    assert share_identical_files(b, run.artifacts_dir / ".shared") == 0  # already shared: nothing more to save
    shutil.rmtree(a)
    assert te[1].read_bytes() == big  # deleting one artifact leaves the others whole
    shutil.rmtree(c)
    run.artifact("stage", {"n": 4}, build(big, "d"))  # the next build drops what only a and c held
    assert len(list((run.artifacts_dir / ".shared").iterdir())) == 3 and te[1].read_bytes() == big


def test_results_carry_metrics_and_provenance(tmp_path):
    import numpy as np

    run = Run("00_test", "smoke", seed=7, output_dir=tmp_path, root=tmp_path)
    path = run.write_results({"score": np.float32(0.5), "nan": float("nan")})
    data = json.loads(path.read_text())
    assert data["metrics"] == {"score": 0.5, "nan": None}
    assert data["provenance"]["seed"] == 7 and data["provenance"]["packages"]["torch"].startswith("2.13")
    import torch

    assert data["provenance"]["torch_threads"] == torch.get_num_threads() >= 1
    assert data["provenance"]["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    assert data["provenance"]["cpu"]


def test_cpu_model_reads_the_first_processor_block(tmp_path):
    from dreamlite_core.repro.provenance import cpu_model

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 106\n"
                    "model name\t: Intel(R) Xeon(R) Processor @ 2.80GHz\nstepping\t: 6\n\n"
                    "processor\t: 1\nvendor_id\t: OtherVendor\nmodel\t\t: 1\n")
    assert cpu_model(info) == "GenuineIntel family 6 model 106 stepping 6 (Intel(R) Xeon(R) Processor @ 2.80GHz)"
    assert cpu_model(tmp_path / "missing")  # falls back to the platform module, never raises


def test_git_commit_is_dirty_for_code_changes_not_for_generated_outputs(tmp_path):
    import subprocess

    from dreamlite_core.repro.provenance import git_commit

    repo, plain = tmp_path / "repo", tmp_path / "plain"
    (repo / "figures").mkdir(parents=True)
    plain.mkdir()

    def git(*args):
        return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True,
                              capture_output=True, text=True).stdout.strip()

    git("init", "-q")
    (repo / "figures" / "a.png").write_bytes(b"old")
    (repo / "code.py").write_text("x = 1\n")
    git("add", ".")
    git("commit", "-q", "-m", "init")
    head = git("rev-parse", "HEAD")
    assert git_commit(repo) == head
    (repo / "figures" / "a.png").write_bytes(b"new")  # what a reproduction rewrites as it runs
    (repo / "scratch.txt").write_text("untracked")
    assert git_commit(repo) == head
    (repo / "code.py").write_text("x = 2\n")
    assert git_commit(repo) == head + "+dirty"
    assert git_commit(plain) == "unknown"


def test_cli_unknown_notebook_exits_2(capsys):
    assert main(["reproduce", "--profile", "smoke", "--only", "99"]) == 2
    assert "valid notebooks: 00" in capsys.readouterr().err


def test_cli_unknown_profile_exits_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["reproduce", "--profile", "fast"])
    assert exc.value.code == 2
    assert "invalid choice: 'fast'" in capsys.readouterr().err


def test_cli_list_names_every_notebook(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "00_paper_in_numbers" in out and "10_coreml_iphone" in out


def test_failing_notebook_names_the_cell_and_keeps_the_partial_copy(tmp_path):
    from types import SimpleNamespace

    import nbformat

    from dreamlite_core.repro.runner import NotebookFailed, run_notebook

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell('profile = "smoke"\nseed = 0\noutput_dir = "runs/smoke"')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("raise ValueError('boom')")]
    source = tmp_path / "99_broken.ipynb"
    nbformat.write(nb, source)
    other = tmp_path / "runs" / "smoke" / "results" / "00_other.json"
    other.parent.mkdir(parents=True)
    other.write_text("{}")
    with pytest.raises(NotebookFailed, match=r"99_broken failed in cell 3: ValueError: boom") as err:
        run_notebook(SimpleNamespace(slug="99_broken", ipynb=source), "smoke", root=tmp_path)
    assert err.value.executed_copy.exists()
    assert other.read_text() == "{}"  # the other notebooks' outputs are untouched


def test_environment_yml_pins_match_pyproject():
    import re

    from dreamlite_core.repro.env import pinned_requirements
    from dreamlite_core.repro.provenance import REPO_ROOT

    text = (REPO_ROOT / "environment.yml").read_text()
    conda = dict(re.findall(r"^\s*-\s*([A-Za-z0-9_.\-]+)==([^\s#]+)", text, flags=re.M))
    conda["torch"] = re.search(r"pytorch::pytorch=([\d.]+)", text).group(1)
    assert {k.lower(): v for k, v in conda.items()} == pinned_requirements()


def test_readme_generated_blocks_are_current():
    from dreamlite_core.repro.readme import README, render

    text = README.read_text()
    assert render(text) == text, "README is stale: run `python -c 'from dreamlite_core.repro.readme import " \
                                 "update_readme; update_readme()'` (reproduce --profile default does it)"


def test_atomic_write_replaces_whole_files_with_plain_permissions_and_leaves_nothing_on_failure(tmp_path):
    import os

    from dreamlite_core.repro.outputs import atomic_write

    target = tmp_path / "sub" / "card.md"
    old = os.umask(0o022)
    try:
        with atomic_write(target) as f:
            f.write("first")
        assert target.read_text() == "first" and (target.stat().st_mode & 0o777) == 0o644
        with pytest.raises(RuntimeError):
            with atomic_write(target) as f:
                f.write("half")
                raise RuntimeError("interrupted")
    finally:
        os.umask(old)
    assert target.read_text() == "first"
    assert sorted(p.name for p in target.parent.iterdir()) == ["card.md"]


def test_wait_briefly_sets_a_short_spin_unless_the_user_chose_a_policy(monkeypatch):
    import torch  # noqa: F401 - loaded, as in any process that has trained something

    from dreamlite_core.openmp import SPIN_COUNT, wait_briefly

    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    monkeypatch.delenv("GOMP_SPINCOUNT", raising=False)
    assert wait_briefly() is False  # torch is already loaded in this process: too late to take effect
    assert os.environ["GOMP_SPINCOUNT"] == str(SPIN_COUNT)
    monkeypatch.setenv("GOMP_SPINCOUNT", "17")
    wait_briefly()
    assert os.environ["GOMP_SPINCOUNT"] == "17"  # the user's own spin count stays
    monkeypatch.delenv("GOMP_SPINCOUNT")
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    wait_briefly()
    assert "GOMP_SPINCOUNT" not in os.environ  # a chosen policy is left alone


def test_wait_briefly_reaches_a_fresh_process_before_torch():
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    code = ("import os; from dreamlite_core.openmp import wait_briefly; print(wait_briefly(), "
            "os.environ['GOMP_SPINCOUNT'])")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "3000"]


def test_the_openmp_waiting_policy_changes_no_weight_byte():
    """Three training steps of the smoke U-Net on 2 threads give the same bytes whether threads sleep or spin."""
    import subprocess
    import sys

    code = """
import hashlib, sys, torch
sys.path.insert(0, "benchmarks")
from bench_nano import profile_unet, training_samples_per_second
torch.set_num_threads(2)
unet, nano, _ = profile_unet("smoke")
training_samples_per_second(unet, 8, 3, nano.unet_channels, nano.latent_size)
print(hashlib.sha256(b"".join(p.detach().numpy().tobytes() for p in unet.parameters())).hexdigest())
"""
    from dreamlite_core.repro.profiles import PROFILES_FILE

    root = PROFILES_FILE.parents[2]
    digests = set()
    for extra in ({"OMP_WAIT_POLICY": "PASSIVE"}, {"GOMP_SPINCOUNT": "3000"}):
        env = {k: v for k, v in os.environ.items()
               if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS")}
        out = subprocess.run([sys.executable, "-c", code], env={**env, **extra}, cwd=root, capture_output=True,
                             text=True, check=True)
        digests.add(out.stdout.split()[-1])
    assert len(digests) == 1
