"""``dreamlite edit --image in.png --instruction TEXT --seed N --out y.png [--model DIR]``: instruction editing with
DreamLite-Nano.

Implements: DreamLite's editing mode (arXiv 2603.28713: the ``[Edit]: A diptych ...`` prefix, the source latent as
the condition half, text + image classifier-free guidance). Introduced in the README and
``notebooks/03_in_context_concatenation.py``.
Exit codes: 0 written, 1 failure, 2 bad input (missing/unreadable image, wrong mode or size, empty instruction,
a missing or corrupt model).
"""

from __future__ import annotations

from pathlib import Path

from .cli_common import EXIT_OK, CLIError, add_common_arguments, check_out_path, load_pipeline, run_safely, save_output


def add_arguments(parser) -> None:
    parser.add_argument("--image", required=True, help="the source image (RGB PNG at the model's resolution, 32x32)")
    parser.add_argument("--instruction", required=True, help="the edit, e.g. 'the red circle turned blue'")
    add_common_arguments(parser)
    parser.add_argument("--image-guidance-scale", type=float, default=None, help="image classifier-free guidance")


def _read_image(path: str):
    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    if not p.is_file():
        raise CLIError(f"--image '{path}' does not exist")
    try:
        with Image.open(p) as img:
            img.load()
            return img.copy()
    except (UnidentifiedImageError, OSError) as err:
        raise CLIError(f"--image '{path}' is not a readable image ({err})") from err


def main(args) -> int:
    def go() -> int:
        if not args.instruction.strip():
            raise CLIError("--instruction is empty; say what to change, e.g. --instruction 'the circle turned blue'")
        out = check_out_path(args.out)
        image = _read_image(args.image)
        if image.mode != "RGB":
            raise CLIError(f"--image '{args.image}' has mode {image.mode!r}; DreamLite-Nano edits RGB images "
                           f"(convert it, e.g. PIL's image.convert('RGB'))")
        import torch

        pipe = load_pipeline(args.model)
        res = pipe.resolution
        if image.size != (res, res):
            raise CLIError(f"--image '{args.image}' is {image.size[0]}x{image.size[1]}; this model edits {res}x{res} "
                           f"images (resize it first)")
        kwargs = {}
        if args.guidance_scale is not None:
            kwargs["guidance_scale"] = args.guidance_scale
        if args.image_guidance_scale is not None:
            kwargs["image_guidance_scale"] = args.image_guidance_scale
        images = pipe.edit([image], [args.instruction], num_inference_steps=args.steps,
                           generator=torch.Generator().manual_seed(args.seed), output_type="uint8", **kwargs).images
        save_output(images[0], out, args.scale)
        print(f"wrote {out} ({images.shape[2]}x{images.shape[1]}, seed {args.seed})")
        return EXIT_OK

    return run_safely(go)
