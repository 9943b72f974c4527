"""The ``backprop`` command: run one notebook, check the published claims, or build the book.

    backprop run notebooks/rhw1986_pdp_xor.md --scale smoke -p seed 3
    backprop run notebooks/rhw1986_pdp_xor.md --scale full --seeds 0-4
    backprop reproduce [--scale full|smoke] [--paper rhw1986_pdp] [--seeds 10] [--force] [--accept]
    backprop book [--scale full]

Many runs go to Dask: an embedded cluster of one worker per core (--workers N to choose),
or an existing one with --scheduler tcp://HOST:PORT (or BACKPROP_SCHEDULER).
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
from backprop_book.executor import Task, parse_seeds, run_all
from backprop_book.records import summarise
from backprop_book.runner import NotebookError, UnknownParameterError


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
    run.add_argument("--seeds", help="run once per seed: a count (5: seeds 0-4) or seeds (0,3,7 or 10-14)")

    rp = sub.add_parser("reproduce", help="run the notebooks of the claims registry, write run records, print the scoreboard")
    rp.add_argument("--scale", choices=SCALES, default="full", help="full (default) writes records; smoke checks the smoke rules")
    rp.add_argument("--paper", action="append", default=[], metavar="STEM", help="only this claims file (reproductions/STEM.yaml); repeatable")
    rp.add_argument("--device", help="the device parameter of every notebook (default: each notebook's own, 'auto')")
    rp.add_argument("--cache-dir", type=Path, default=None)
    rp.add_argument("--force", action="store_true", help="execute even if an identical run is cached")
    rp.add_argument("--seeds", help="every notebook over these seeds instead of its claims file's: a count (10: seeds 0-9) or seeds (0,3,7)")
    rp.add_argument("--accept", action="store_true",
                    help="write this run's verdicts into the regression baseline reproductions/verdicts.json (say why in the commit)")

    bk = sub.add_parser("book", help="execute every notebook and build the HTML book")
    bk.add_argument("--scale", choices=SCALES, default="full")
    bk.add_argument("--force", action="store_true")
    for p in (run, rp, bk):
        p.add_argument("--scheduler", help="the Dask scheduler to use (tcp://HOST:PORT); default: BACKPROP_SCHEDULER, else an embedded cluster")
        p.add_argument("--workers", type=int, help="worker processes of the embedded cluster (default: one per core)")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            parameters = {name: _value(value) for name, value in args.parameter}
            if args.scale:
                parameters["scale"] = args.scale
            return _run(args, parameters)
        elif args.command == "reproduce":
            return reproduce(book.find_root("."), scale=args.scale, papers=args.paper, force=args.force,
                             device=args.device, cache_dir=args.cache_dir, accept=args.accept,
                             seeds=parse_seeds(args.seeds) if args.seeds else None,
                             scheduler=args.scheduler, workers=args.workers)
        else:
            index = book.build(".", scale=args.scale, force=args.force, scheduler=args.scheduler, workers=args.workers)
            print(f"\nThe book is built: {index}")
            print(f"Open it in a browser (file://{index}), or serve it with")
            print(f"    python3 -m http.server --directory {index.parent} 8000   # then visit http://localhost:8000")
    except KeyboardInterrupt:
        print(f"backprop {args.command}: interrupted; finished runs are kept and reused next time", file=sys.stderr)
        return 130
    except (ClaimsError, NotebookError, UnknownParameterError, FileNotFoundError, RuntimeError, ValueError, ImportError) as exc:
        print(f"backprop {args.command}: error: {exc}", file=sys.stderr)
        return 1
    return 0


def _run(args, parameters: dict) -> int:
    """``backprop run``: one notebook, once, or once per seed with their summary."""
    if "seed" in parameters and args.seeds:
        raise ValueError("give either -p seed N or --seeds, not both")
    path = args.notebook.resolve()
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {args.notebook}")
    try:
        root = book.find_root(path.parent)
        notebook = path.relative_to(root).as_posix()
    except FileNotFoundError:  # a notebook outside any book: named by its full path (workers on this machine)
        root, notebook = path.parent, str(path)
    seeds = parse_seeds(args.seeds) if args.seeds else [parameters.get("seed")]
    tasks = [Task(notebook, {**parameters, **({"seed": s} if s is not None else {})}) for s in seeds]
    outcomes = run_all(root, tasks, args.cache_dir, force=args.force, scheduler=args.scheduler, workers=args.workers)
    failed = [o for o in outcomes if o.error is not None]
    for o in failed:
        print(f"{o.task.label} failed: {o.error}", file=sys.stderr)
    good = [o for o in outcomes if o.error is None]
    if len(outcomes) == 1 and good:
        print(json.dumps(good[0].result.metrics, indent=2, sort_keys=True))
    elif good:
        summary, spread = summarise([{"seed": o.task.seed, "metrics": o.result.metrics} for o in good])
        print(json.dumps({"seeds": [o.task.seed for o in good], "summary": summary, "spread": spread,
                          "per_seed": {str(o.task.seed): o.result.metrics for o in good}}, indent=2, sort_keys=True))
    for o in good:
        print(f"executed notebook ({o.task.label}): {o.result.notebook}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
