"""``dreamlite eval {geneval,dpg,imgedit,gedit} --images DIR [--json]``: score a folder of images with a mini
benchmark and print the score table (JSON with ``--json``).

Implements: the command-line face of ``dreamlite_core.eval`` (mini-GenEval, mini-DPG, mini-ImgEdit, mini-GEdit).
Introduced in ``notebooks/02_shapesworld.py``. The folder layout (PNGs + ``items.jsonl``) is documented in
``dreamlite_core/eval/io.py``. Exit codes: 0 scored, 1 failure, 2 bad input (the message names file and line).
"""

from __future__ import annotations

import sys

BENCHMARK_CHOICES = ("geneval", "dpg", "imgedit", "gedit")


def add_arguments(parser) -> None:
    parser.add_argument("benchmark", choices=BENCHMARK_CHOICES, help="which mini benchmark")
    parser.add_argument("--images", required=True, metavar="DIR",
                        help="folder of PNGs plus items.jsonl (one line per image; see dreamlite_core/eval/io.py)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--size", type=int, default=None, help="the image size every PNG must have (default: "
                                                               "the first image's)")
    parser.add_argument("--calibrate", action="store_true",
                        help="also score the items' ground-truth renders (oracle) and shuffled pairings (chance)")
    parser.add_argument("--name", default="images", help="row label of this folder in the table")


def main(args) -> int:
    import json

    from .calibration import benchmark_table, calibration_points, score
    from .common import EvalInputError, summary_of
    from .io import read_eval_folder

    try:
        data = read_eval_folder(args.images, args.benchmark, size=args.size)
        if args.benchmark in ("imgedit", "gedit"):
            report = score(args.benchmark, data["items"], source_images=data["source_images"],
                           edited_images=data["images"])
        else:
            from .dpg import dpg_score
            from .geneval import geneval_score

            fn = geneval_score if args.benchmark == "geneval" else dpg_score
            report = fn(data["images"], data["items"], names=data["names"])
        calibration = {}
        if args.calibrate:
            if not all(hasattr(it, "scene") or hasattr(it, "source") for it in data["items"]):
                raise EvalInputError("--calibrate needs ground-truth scenes in items.jsonl ('scene' or "
                                     "'source'/'target' on every line)")
            calibration = calibration_points(args.benchmark, data["items"], size=data["images"].shape[1])
    except EvalInputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        payload = {"benchmark": args.benchmark, "folder": str(args.images), "n_images": len(data["items"]),
                   "size": int(data["images"].shape[1]), "report": summary_of(report),
                   "calibration": {k: summary_of(v) for k, v in calibration.items()}}
        print(json.dumps(payload, indent=2, default=_plain))
        return 0
    table = benchmark_table({args.name: report}, calibration)
    print(f"{args.benchmark}: {len(data['items'])} images of {data['images'].shape[1]} px from {args.images}")
    print(table.to_markdown(index=False, floatfmt=".3f"))
    return 0


def _plain(value):
    """JSON for numpy scalars and arrays."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to JSON")
