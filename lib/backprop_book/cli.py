"""The ``backprop`` command: run one notebook, check the published claims, or build the book.

    backprop run notebooks/rhw1986_pdp_xor.md --scale smoke -p seed 3
    backprop reproduce [--scale full|smoke] [--paper rhw1986_pdp] [--force] [--accept]
    backprop book [--scale full]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

from backprop_book import build as book
from backprop_book.claims import ClaimsError
from backprop_book.notebook import SCALES
from backprop_book.reproduce import reproduce
from backprop_book.runner import NotebookError, UnknownParameterError, run_notebook


def _value(text: str):
    """A parameter value as Python: numbers, booleans, lists, or else the string itself."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="backprop", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="execute one notebook through papermill and print its metrics")
    run.add_argument("notebook", type=Path)
    run.add_argument("--scale", choices=SCALES)
    run.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"))
    run.add_argument("--cache-dir", type=Path, default=Path("_build/executed"))
    run.add_argument("--force", action="store_true", help="execute even if an identical run is cached")

    rp = sub.add_parser("reproduce", help="run the notebooks of the claims registry, write run records, print the scoreboard")
    rp.add_argument("--scale", choices=SCALES, default="full", help="full (default) writes records; smoke checks the smoke rules")
    rp.add_argument("--paper", action="append", default=[], metavar="STEM", help="only this claims file (reproductions/STEM.yaml); repeatable")
    rp.add_argument("--device", help="the device parameter of every notebook (default: each notebook's own, 'auto')")
    rp.add_argument("--cache-dir", type=Path, default=None)
    rp.add_argument("--force", action="store_true", help="execute even if an identical run is cached")
    rp.add_argument("--accept", action="store_true",
                    help="write this run's verdicts into the regression baseline reproductions/verdicts.json (say why in the commit)")

    bk = sub.add_parser("book", help="execute every notebook and build the HTML book")
    bk.add_argument("--scale", choices=SCALES, default="full")
    bk.add_argument("--force", action="store_true")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            parameters = {name: _value(value) for name, value in args.parameter}
            if args.scale:
                parameters["scale"] = args.scale
            result = run_notebook(args.notebook, parameters, args.cache_dir, force=args.force)
            print(json.dumps(result.metrics, indent=2, sort_keys=True))
            print(f"executed notebook: {result.notebook}", file=sys.stderr)
        elif args.command == "reproduce":
            return reproduce(book.find_root("."), scale=args.scale, papers=args.paper, force=args.force,
                             device=args.device, cache_dir=args.cache_dir, accept=args.accept)
        else:
            index = book.build(".", scale=args.scale, force=args.force)
            print(f"\nThe book is built: {index}")
            print(f"Open it in a browser (file://{index}), or serve it with")
            print(f"    python3 -m http.server --directory {index.parent} 8000   # then visit http://localhost:8000")
    except (ClaimsError, NotebookError, UnknownParameterError, FileNotFoundError, RuntimeError, ValueError, ImportError) as exc:
        print(f"backprop {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
