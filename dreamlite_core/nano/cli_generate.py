"""``dreamlite generate --prompt TEXT --seed N --out x.png [--model DIR]``: text-to-image with DreamLite-Nano.

Implements: DreamLite's text-to-image mode (arXiv 2603.28713: ``[Generate]: `` prefix, zero condition half, text
classifier-free guidance). Introduced in the README and ``notebooks/03_in_context_concatenation.py``.
Exit codes: 0 written, 1 failure, 2 bad input (empty prompt, an edit's arguments, a missing or corrupt model).
"""

from __future__ import annotations

import argparse

from .cli_common import EXIT_OK, CLIError, add_common_arguments, check_out_path, load_pipeline, run_safely, save_output


def add_arguments(parser) -> None:
    parser.add_argument("--prompt", required=True, help="what to draw, e.g. 'a red circle left of a blue square'")
    add_common_arguments(parser)
    # An edit's arguments given to generate get a clear error instead of argparse's "unrecognized arguments".
    parser.add_argument("--instruction", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--image", default=None, help=argparse.SUPPRESS)


def main(args) -> int:
    def go() -> int:
        if args.instruction is not None or args.image is not None:
            raise CLIError("generate makes an image from --prompt; to change an existing image use "
                           "`dreamlite edit --image in.png --instruction TEXT --out y.png`")
        if not args.prompt.strip():
            raise CLIError("--prompt is empty; describe the scene, e.g. --prompt 'a red circle'")
        out = check_out_path(args.out)
        import torch

        pipe = load_pipeline(args.model)
        kwargs = {} if args.guidance_scale is None else {"guidance_scale": args.guidance_scale}
        images = pipe.generate([args.prompt], num_inference_steps=args.steps,
                               generator=torch.Generator().manual_seed(args.seed), output_type="uint8",
                               **kwargs).images
        save_output(images[0], out, args.scale)
        print(f"wrote {out} ({images.shape[2]}x{images.shape[1]}, seed {args.seed})")
        return EXIT_OK

    return run_safely(go)
