"""The ``dreamlite`` command (also ``python -m dreamlite_core``): reproduce, list, env, eval, generate, edit.

Implements: the companion's command line (DESIGN.md). Introduced in the README.
Exit codes: 0 success, 1 a notebook or command failed, 2 bad input (unknown profile, notebook id, ...).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .repro.profiles import PROFILE_NAMES

#: Subcommands that live beside the code they drive: name -> (module, help). Each module defines
#: ``add_arguments(parser)`` and ``main(args) -> int`` and keeps heavy imports inside ``main``.
PLUGGED_COMMANDS = {
    "eval": ("dreamlite_core.eval.cli", "score a folder of images with a mini benchmark"),
    "generate": ("dreamlite_core.nano.cli_generate", "text-to-image with DreamLite-Nano"),
    "edit": ("dreamlite_core.nano.cli_edit", "text-guided editing with DreamLite-Nano"),
}


def _cmd_reproduce(args) -> int:
    from .repro.runner import NotebookFailed, reproduce

    try:
        reproduce(args.profile, args.only)
    except NotebookFailed as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyError as err:
        print(f"error: {err.args[0]}", file=sys.stderr)
        return 2
    return 0


def _cmd_list(args) -> int:
    from .repro.notebooks import NOTEBOOKS, measured_seconds

    def fmt(seconds):
        return "-" if seconds is None else (f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min")

    print(f"{'id':<3} {'notebook':<30} {'smoke':>8} {'default':>8}  paper part / produces")
    for nb in NOTEBOOKS:
        state = "" if nb.exists else "  (not written yet)"
        print(f"{nb.id:<3} {nb.slug:<30} {fmt(measured_seconds(nb, 'smoke')):>8} "
              f"{fmt(measured_seconds(nb, 'default')):>8}  {nb.paper_part}{state}")
        print(f"{'':<53}-> {nb.produces}")
    return 0


def _cmd_env(args) -> int:
    from .repro.env import environment_report, print_report

    report = environment_report(check_coreml=not args.no_coreml)
    print_report(report)
    return 0 if report["ok"] else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dreamlite", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("reproduce", help="execute the notebooks in order with papermill")
    p.add_argument("--profile", default="default", choices=PROFILE_NAMES)
    p.add_argument("--only", nargs="+", metavar="ID", help="notebook ids, e.g. 00 03")
    p.set_defaults(func=_cmd_reproduce)

    p = sub.add_parser("list", help="each notebook, its paper part, what it produces, its measured time")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("env", help="environment check: pinned packages, CPU/GPU, memory, Core ML conversion")
    p.add_argument("--no-coreml", action="store_true", help="skip the Core ML conversion probe")
    p.set_defaults(func=_cmd_env)

    for name, (module, help_text) in PLUGGED_COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as err:
            if not err.name or not module.startswith(err.name):
                raise
            p.set_defaults(func=lambda args, name=name: _missing(name))
            continue
        mod.add_arguments(p)
        p.set_defaults(func=mod.main)
    return parser


def _missing(name: str) -> int:
    print(f"error: 'dreamlite {name}' is not available in this version of the companion", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
