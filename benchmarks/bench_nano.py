"""DreamLite-Nano speed on this machine (prints numbers; not a test).

    .venv/bin/python benchmarks/bench_nano.py [--profile default] [--batch 64] [--steps 28] [--guidance 2.5]
                                              [--train-batch 128] [--train-steps 5] [--threads 0]

1. fp32 matmul throughput (GFLOP/s), the machine's ceiling for everything below.
2. Training samples per second: AdamW steps of the nano U-Net of ``[<profile>.train]`` on batches of the in-context
   input (8x16 latents, 20-token text), the same objective as stages 1-3 (untrained weights: speed only).
3. Images per second for 28-step sampling with classifier-free guidance (two U-Net branches per step, then the
   VAE decoder): the pipeline's ``generate``. Uses the trained stage-3 pipeline of the profile when one exists,
   else a freshly initialised one of the same size.

Implements: the issue's performance report for DreamLite-Nano (notebooks 04-06 quote these numbers).
"""

from __future__ import annotations

import os

from dreamlite_core.openmp import wait_briefly

wait_briefly()  # before torch starts (dreamlite_core.openmp)

import argparse  # noqa: E402
import time  # noqa: E402


def matmul_gflops(n: int = 1024, repeats: int = 10) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n ** 3 * repeats / (time.perf_counter() - start) / 1e9


def profile_unet(profile: str):
    """(untrained U-Net, NanoConfig, TrainSettings) of ``[<profile>.train]``, built as the stages build it (seed 0)."""
    from dreamlite_core.repro import Run
    from dreamlite_core.train.stages import build_unet, nano_config_for, settings_for

    run = Run("bench_nano", profile)
    settings = settings_for(run)
    nano = nano_config_for(run, settings)
    return build_unet(nano, settings.attention_layout, seed=0), nano, settings


def training_samples_per_second(unet, batch: int, steps: int, latent_channels: int, size: int = 8) -> float:
    import torch

    from dreamlite_core.nano import add_noise, flow_matching_loss, pack_in_context, time_ids_for

    opt = torch.optim.AdamW(unet.parameters(), lr=1e-4)
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(batch, latent_channels, size, size, generator=g)
    text = torch.randn(batch, 20, 384, generator=g)
    mask = torch.ones(batch, 20, dtype=torch.long)

    def step():
        noise = torch.randn(x0.shape, generator=g)
        s = torch.rand(batch, generator=g)
        pred = unet(pack_in_context(add_noise(x0, noise, s)), s * 1000, encoder_hidden_states=text,
                    encoder_attention_mask=mask, added_cond_kwargs={"time_ids": time_ids_for(batch, 32)}).sample
        loss = flow_matching_loss(pred, x0, noise)
        loss.backward()
        opt.step()
        opt.zero_grad(set_to_none=True)

    step()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    return batch * steps / (time.perf_counter() - start)


_SPEED_CHILD = """
import sys, torch
sys.path.insert(0, {bench!r})
from bench_nano import profile_unet, training_samples_per_second
torch.set_num_threads({threads})
unet, nano, _ = profile_unet({profile!r})
print(" / ".join(f"{{training_samples_per_second(unet, {batch}, {steps}, nano.unet_channels, nano.latent_size):.1f}}"
                 for _ in range({repeats})))
"""


def training_speed_command(threads: int, batch: int, steps: int, repeats: int = 1, profile: str = "default") -> list:
    """The command that measures :func:`training_samples_per_second` of the profile's U-Net in a fresh process (so
    the environment it is started with decides libgomp's waiting policy) and prints ``repeats`` numbers joined by
    " / ". Used by ``openmp_waiting.py`` and ``processes_vs_threads.py``."""
    import sys

    code = _SPEED_CHILD.format(bench=os.path.dirname(os.path.abspath(__file__)), threads=threads, profile=profile,
                               batch=batch, steps=steps, repeats=repeats)
    return [sys.executable, "-c", code]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="default")
    parser.add_argument("--batch", type=int, default=64, help="images per generate() call")
    parser.add_argument("--steps", type=int, default=28, help="sampling steps")
    parser.add_argument("--guidance", type=float, default=2.5)
    parser.add_argument("--train-batch", type=int, default=128)
    parser.add_argument("--train-steps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = parser.parse_args()

    import torch

    from dreamlite_core.nano import DreamLiteNanoPipeline, NanoTextEncoder, build_nano_vae
    from dreamlite_core.train.stages import build_unet, find_trained_pipeline

    if args.threads:
        torch.set_num_threads(args.threads)
    unet, nano, settings = profile_unet(args.profile)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, GOMP_SPINCOUNT={os.environ.get('GOMP_SPINCOUNT')}")
    print(f"fp32 matmul (1024^3): {matmul_gflops():.0f} GFLOP/s")

    params = sum(p.numel() for p in unet.parameters())
    sps = training_samples_per_second(unet, args.train_batch, args.train_steps, nano.unet_channels,
                                      nano.latent_size)
    print(f"training: {sps:.0f} samples/s (U-Net {params / 1e6:.2f}M params, batch {args.train_batch}, "
          f"layout {settings.attention_layout!r}, in-context input {nano.latent_size}x{2 * nano.latent_size})")

    folder = find_trained_pipeline(args.profile)
    if folder is not None:
        pipe = DreamLiteNanoPipeline.from_pretrained(folder)
        source = f"trained pipeline {folder}"
    else:
        torch.manual_seed(0)
        pipe = DreamLiteNanoPipeline.from_components(build_unet(nano, settings.attention_layout), build_nano_vae(nano),
                                                     text_encoder=NanoTextEncoder(), config=nano)
        source = "untrained pipeline of the same size"
    pipe.set_progress_bar_config(disable=True)
    prompts = [f"a photo of {n} red circles" for n in ("two", "three", "four")] * (args.batch // 3 + 1)
    prompts = prompts[: args.batch]
    pipe.generate(prompts[:2], num_inference_steps=2, guidance_scale=args.guidance)  # warm-up, text cache
    start = time.perf_counter()
    pipe.generate(prompts, num_inference_steps=args.steps, guidance_scale=args.guidance,
                  generator=torch.Generator().manual_seed(0), output_type="uint8")
    seconds = time.perf_counter() - start
    print(f"sampling: {args.batch / seconds:.1f} images/s ({args.steps} steps, guidance {args.guidance}: "
          f"{2 * args.steps} U-Net evaluations per image; batch {args.batch}; {source})")


if __name__ == "__main__":
    main()
