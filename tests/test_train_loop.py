"""The resumable training loop (dreamlite_core.train.loop): resume == unbroken, safe checkpoints, 2-process CPU."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from dreamlite_core.train.loop import (CheckpointError, LoopConfig, ema_decay_at, list_checkpoints, load_checkpoint,
                                       lr_factor, train_loop)


class TinyRegression:
    """A stand-in objective: regress y = x @ W_true from random x drawn with the step's generator."""

    def __init__(self, dim: int = 6):
        g = torch.Generator().manual_seed(123)
        self.w_true = torch.randn(dim, 3, generator=g)
        self.dim = dim

    def sample_batch(self, batch_size, generator):
        x = torch.randn(batch_size, self.dim, generator=generator)
        return x, x @ self.w_true

    def loss(self, model, batch, generator):
        x, y = batch
        noise = 0.01 * torch.randn(y.shape, generator=generator)
        return torch.nn.functional.mse_loss(model(x), y + noise)


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_model():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.SiLU(), torch.nn.Linear(16, 3))


def config(**kw):
    base = dict(steps=12, batch_size=8, learning_rate=1e-2, warmup_steps=3, checkpoint_every=4, ema_decay=0.9,
                log_every=2, progress=False, seed=7)
    base.update(kw)
    return LoopConfig(**base)


def test_lr_schedule_warms_up_then_decays_to_floor():
    assert lr_factor(0, 4, 100, 0.1) == pytest.approx(0.25)
    assert lr_factor(3, 4, 100, 0.1) == pytest.approx(1.0)
    assert lr_factor(4, 4, 100, 0.1) == pytest.approx(1.0)
    assert lr_factor(100, 4, 100, 0.1) == pytest.approx(0.1)
    assert lr_factor(52, 4, 100, 0.1) == pytest.approx(0.55)
    assert ema_decay_at(0, 0.999) == pytest.approx(0.1)
    assert ema_decay_at(10_000, 0.999) == 0.999


def test_training_lowers_the_loss(tmp_path):
    result = train_loop(tiny_model(), TinyRegression(), config(steps=60, checkpoint_every=60, learning_rate=5e-2),
                        tmp_path)
    assert result.log[0]["loss"] > 3 * result.log[-1]["loss"]
    assert [c.name for c in list_checkpoints(tmp_path)] == ["step-00000060"]


def test_loop_matches_a_hand_written_reference(tmp_path):
    """The loop's fused AdamW and foreach EMA are the textbook maths: the same steps written out with torch's
    for-loop AdamW, clip_grad_norm_ and ema <- d * ema + (1 - d) * theta give the same weights and EMA."""
    cfg = config(steps=10, checkpoint_every=10, max_grad_norm=0.5)
    result = train_loop(tiny_model(), TinyRegression(), cfg, tmp_path)

    from dreamlite_core.train.loop import _step_seed

    model, objective = tiny_model(), TinyRegression()
    decay = [p for p in model.parameters() if p.ndim >= 2]
    no_decay = [p for p in model.parameters() if p.ndim < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=cfg.learning_rate, betas=cfg.betas,
                            eps=cfg.eps, foreach=False)
    ema = {n: p.detach().clone() for n, p in model.named_parameters()}
    for step in range(cfg.steps):
        for group in opt.param_groups:
            group["lr"] = cfg.learning_rate * lr_factor(step, cfg.warmup_steps, cfg.steps, cfg.min_lr_ratio)
        g = torch.Generator().manual_seed(_step_seed(cfg.seed, step, 0))
        objective.loss(model, objective.sample_batch(cfg.batch_size, g), g).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
        opt.step()
        opt.zero_grad()
        d = ema_decay_at(step, cfg.ema_decay)
        with torch.no_grad():
            for n, p in model.named_parameters():
                ema[n] = d * ema[n] + (1 - d) * p
    for n, p in model.named_parameters():
        torch.testing.assert_close(dict(result.model.named_parameters())[n], p, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(result.ema_state[n], ema[n], rtol=1e-5, atol=1e-6)


def test_resume_matches_uninterrupted_run(tmp_path):
    unbroken = train_loop(tiny_model(), TinyRegression(), config(), tmp_path / "unbroken")
    # "kill" after 6 steps: the last checkpoint on disk is step 4 (checkpoint_every=4) plus the stop at 6 ...
    train_loop(tiny_model(), TinyRegression(), config(), tmp_path / "broken", stop_after=6)
    # ... then remove the step-6 one so the resume really starts from step 4, with a fresh model and optimizer
    assert [c.name for c in list_checkpoints(tmp_path / "broken")] == ["step-00000004", "step-00000006"]
    import shutil
    shutil.rmtree(tmp_path / "broken" / "checkpoints" / "step-00000006")
    resumed = train_loop(tiny_model(), TinyRegression(), config(), tmp_path / "broken")
    assert resumed.resumed_from == 4 and resumed.steps_done == 12
    for (name, a), b in zip(unbroken.model.state_dict().items(), resumed.model.state_dict().values()):
        assert torch.equal(a, b), name
    for name in unbroken.ema_state:
        assert torch.equal(unbroken.ema_state[name], resumed.ema_state[name]), name
    # the loss log is continuous: same steps, same values as the unbroken run
    assert [r["step"] for r in resumed.log] == [r["step"] for r in unbroken.log]
    assert [r["loss"] for r in resumed.log] == pytest.approx([r["loss"] for r in unbroken.log], abs=1e-7)


def test_interrupted_checkpoint_write_is_ignored(tmp_path):
    train_loop(tiny_model(), TinyRegression(), config(), tmp_path, stop_after=4)
    half = tmp_path / "checkpoints" / ".tmp-step-00000008"  # a write killed before its rename
    half.mkdir()
    (half / "model.safetensors").write_bytes(b"\x00" * 10)
    result = train_loop(tiny_model(), TinyRegression(), config(), tmp_path)
    assert result.resumed_from == 4 and not half.exists()


def test_corrupt_checkpoint_gives_clear_error(tmp_path):
    train_loop(tiny_model(), TinyRegression(), config(), tmp_path, stop_after=4)
    ckpt = list_checkpoints(tmp_path)[-1]
    (ckpt / "optimizer.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(CheckpointError, match=r"step-00000004 is corrupt.*delete"):
        train_loop(tiny_model(), TinyRegression(), config(), tmp_path)
    (ckpt / "optimizer.safetensors").unlink()
    with pytest.raises(CheckpointError, match="incomplete: missing optimizer.safetensors"):
        load_checkpoint(ckpt)


def test_checkpoint_of_another_model_is_refused(tmp_path):
    train_loop(tiny_model(), TinyRegression(), config(), tmp_path, stop_after=4)
    other = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.SiLU(), torch.nn.Linear(8, 3))
    with pytest.raises(CheckpointError, match="does not fit this model"):
        train_loop(other, TinyRegression(), config(), tmp_path)


def test_eval_callback_sees_ema_weights_and_is_logged(tmp_path):
    seen = []

    def eval_fn(model, step):
        seen.append((step, model[0].weight.detach().clone()))
        return {"w_norm": float(model[0].weight.detach().norm())}

    result = train_loop(tiny_model(), TinyRegression(), config(eval_every=4), tmp_path, eval_fn=eval_fn)
    assert [r["step"] for r in result.evals] == [4, 8, 12]
    assert torch.equal(seen[-1][1], result.ema_state["0.weight"])
    assert not torch.equal(result.model[0].weight, result.ema_state["0.weight"])  # raw weights restored
    rows = [json.loads(line) for line in (tmp_path / "eval.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [4, 8, 12]


def test_bad_batch_split_is_refused(tmp_path):
    from accelerate import Accelerator

    class FakeAccelerator:  # only what the check needs
        num_processes = 3

    with pytest.raises(ValueError, match="not divisible by the 3 processes"):
        train_loop(tiny_model(), TinyRegression(), config(), tmp_path, accelerator=FakeAccelerator())
    assert Accelerator  # the real one is exercised by the other tests


_TWO_PROCESS_SCRIPT = textwrap.dedent("""
    import json, sys, torch
    from accelerate import Accelerator
    sys.path.insert(0, {tests!r})
    from test_train_loop import TinyRegression, tiny_model, config
    from dreamlite_core.train.loop import train_loop
    acc = Accelerator(cpu=True)
    result = train_loop(tiny_model(), TinyRegression(), config(steps=4, checkpoint_every=2), {out!r},
                        accelerator=acc)
    w = result.model[0].weight.detach()
    torch.save(w, {out!r} + f"/weight{{acc.process_index}}.pt")
    if acc.is_main_process:
        json.dump({{"world": acc.num_processes, "steps": result.steps_done}}, open({out!r} + "/done.json", "w"))
""")


def test_two_process_cpu_run_under_accelerate_launch(tmp_path):
    # On a machine without GPUs, `accelerate launch --multi_gpu --num_processes 2` starts two torch.distributed
    # processes and Accelerator(cpu=True) joins them with gloo (MULTI_CPU); `--cpu` alone starts only one process.
    script = tmp_path / "two_proc.py"
    out = tmp_path / "run"
    out.mkdir()
    script.write_text(_TWO_PROCESS_SCRIPT.format(tests=str(Path(__file__).parent), out=str(out)))
    accelerate = Path(sys.executable).with_name("accelerate")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([str(accelerate), "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
                           "--mixed_precision", "no", "--dynamo_backend", "no", str(script)],
                          capture_output=True, text=True, timeout=240, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    done = json.loads((out / "done.json").read_text())
    assert done == {"world": 2, "steps": 4}
    # DDP keeps the replicas identical
    w0 = torch.load(out / "weight0.pt", weights_only=True)
    w1 = torch.load(out / "weight1.pt", weights_only=True)
    assert torch.equal(w0, w1)
    assert [c.name for c in list_checkpoints(out)] == ["step-00000002", "step-00000004"]
