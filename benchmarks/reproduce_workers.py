"""``backprop reproduce`` on one Dask worker against two, in one run, on this machine.

    .venv/bin/python benchmarks/reproduce_workers.py [--scale full] [--paper rhw1986_pdp] [--seeds 2]
                                                     [--workers 1,2] [--out result.json]

Each setting runs the same reproductions from an empty cache (nothing reused), one after
the other in this process, with the embedded cluster of ``--workers`` processes; the result
is each wall time and the speed-up of the most workers over one (target on a 2-core
machine: at least 1.7). The records the runs write go to a scratch copy of the claims and
records, never to the repository's. Every kernel computes with one BLAS thread, so the
speed-up is that of the workers alone.

The default is the PDP chapter's nine notebooks at full scale with two seeds each (18 runs,
a few minutes a setting on 2 cores): the whole ``make reproduce`` over one worker would take
well over an hour.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from common import machine  # noqa: E402


def _scratch_book(tmp: Path) -> Path:
    """A copy of the book's root with the notebooks, claims and records (records are rewritten there)."""
    book = tmp / "book"
    book.mkdir()
    for name in ("_config.yml", "_toc.yml", "references.bib"):
        shutil.copy2(ROOT / name, book / name)
    for name in ("notebooks", "reproductions", "book"):
        shutil.copytree(ROOT / name, book / name, symlinks=True)
    (book / "lib").symlink_to(ROOT / "lib")  # the library, as installed
    return book


def run(scale: str, papers: list[str], seeds: int, workers: list[int]) -> dict:
    from backprop_book.reproduce import reproduce

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-reproduce-", dir=ROOT.parent if (ROOT.parent / "shared").is_dir() else None) as tmp:
        book = _scratch_book(Path(tmp))
        for n in workers:
            cache = Path(tmp) / f"cache-{n}"
            log, out = io.StringIO(), io.StringIO()
            start = time.perf_counter()
            status = reproduce(book, scale=scale, papers=papers, seeds=list(range(seeds)), workers=n, cache_dir=cache,
                               log=log, out=out)
            seconds = time.perf_counter() - start
            runs = sum(1 for ln in log.getvalue().splitlines() if ln.startswith("["))
            print(f"{n} worker(s): {seconds:.1f} s for {runs} runs (exit {status})", file=sys.stderr, flush=True)
            rows.append({"workers": n, "seconds": seconds, "runs": runs, "status": status})
    one = next(r for r in rows if r["workers"] == min(workers))
    most = max(rows, key=lambda r: r["workers"])
    return {"scale": scale, "papers": papers, "seeds": seeds, "rows": rows,
            "speedup": one["seconds"] / most["seconds"], "most_workers": most["workers"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", default="full", choices=("smoke", "full"))
    parser.add_argument("--paper", action="append", default=None, help="claims files to run (default: rhw1986_pdp)")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--workers", default="1,2", help="the worker counts to compare, e.g. 1,2")
    parser.add_argument("--device", default="numpy", help="ignored: each notebook's own device (run_all passes it)")
    parser.add_argument("--out", default=None)
    args = parser.parse_args(argv)
    workers = sorted({int(w) for w in args.workers.split(",")})
    result = {"machine": machine(), **run(args.scale, args.paper or ["rhw1986_pdp"], args.seeds, workers)}
    text = json.dumps(result, indent=1)
    if args.out:
        Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
