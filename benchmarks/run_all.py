"""The benchmark command: every benchmark of the book in one run, one JSON report.

    .venv/bin/python benchmarks/run_all.py [--quick] [--device numpy|cpu|cuda] [--only NAME ...]
                                           [--out benchmarks/reports/cpu.json]

Each benchmark compares ours with a reference measured in the same process on the
same machine and reports a ratio; this command runs them one after another,
keeps their full results, and adds a headline per benchmark (the ratio, its
target, and whether it was met: ``met`` is null for a row reported without a
target, which cannot be met). The book's Performance appendix is generated
from the report. Exit status 1 when a target is missed, so that a regression
shows; the report is written either way.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from common import machine  # noqa: E402

REPORT_ONLY = "report"  # the target of a row reported without one: its verdict is "—", never "met"


def _mlp(r):
    rows = [x for x in r["rows"] if x["target_applies"]]
    worst = min(rows, key=lambda x: x["speedup"])
    return [
        ("numpy MLP step vs torch (layers <= 256 wide), worst case", worst["speedup"], ">= 1", worst["speedup"] >= 1,
         f"{worst['network']}, batch {worst['batch']}"),
        ("large dense step, fraction of GEMM FLOP/s", r["flops"]["fraction_of_gemm"], ">= 0.7",
         r["flops"]["fraction_of_gemm"] >= 0.7, "1024-wide, batch 1024, float32"),
    ]


def _gradient_cost(r):
    rows = r["sizes"] if "sizes" in r else r.get("rows", [])
    out = []
    for which in ("matrix", "engine"):
        worst = max(rows, key=lambda x: x[f"ratio_{which}"])
        out.append((f"reverse / forward time, {'matrix form' if which == 'matrix' else 'graph engine'}, worst size",
                    worst[f"ratio_{which}"], "<= 3", worst[f"ratio_{which}"] <= 3, f"P = {worst['n_params']:,}"))
    if rows and all("ratio_autograd" in x for x in rows):  # the reference general engine, reported alongside
        worst = max(rows, key=lambda x: x["ratio_autograd"])
        out.append(("reverse / forward time, PyTorch autograd (reference), worst size", worst["ratio_autograd"],
                    REPORT_ONLY, None, f"P = {worst['n_params']:,}"))
    return out


def _batched(r):
    return [("batched seeds vs a loop over seeds, smallest speed-up", r["min_speedup"], ">= 20", r["min_speedup"] >= 20,
             ", ".join(r["cases"]))]


def _lenet(r):
    ratio = r["ratio_torch_over_ours_diag_lm"]
    return [("faithful LeNet pass vs idiomatic torch, batch 1", ratio, ">= 2", ratio >= 2, f"{r['examples']} examples")]


def _tdgammon(r):
    rows = r.get("self_play", r.get("rows", []))
    best = max(rows, key=lambda x: x["games_per_second"]) if rows else None
    out = [("TD-Gammon self-play games per second (best batch)", best["games_per_second"], REPORT_ONLY, None,
            f"{best['batch']} games side by side")] if best else []
    if "scoring" in r:
        out.append(("all candidates in one forward pass vs one per game", r["scoring"]["speedup"], "> 1",
                    r["scoring"]["speedup"] > 1, f"{r['scoring']['games']} positions"))
    return out


def _workers(r):
    papers = ", ".join(r["papers"])
    return [(f"backprop reproduce, {r['most_workers']} Dask workers vs 1", r["speedup"], ">= 1.7", r["speedup"] >= 1.7,
             f"{papers} at {r['scale']} scale, {r['seeds']} seeds, {r['rows'][0]['runs']} runs")]


# name: (arguments for a quick run, arguments for a full run, headline extractor)
SUITE = {
    "mlp_step": (["--quick"], [], _mlp),
    "gradient_cost": (["--quick"], [], _gradient_cost),
    "batched_seeds": (["--seeds", "256"], [], _batched),
    "lenet1989_speed": (["--examples", "300", "--repeats", "2"], [], _lenet),
    "tdgammon_speed": (["--games", "60"], [], _tdgammon),
    "reproduce_workers": (["--scale", "smoke", "--seeds", "2"], [], _workers),
}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (a few minutes in all)")
    parser.add_argument("--device", default="numpy", help="numpy (our CPU path), cpu (torch) or cuda")
    parser.add_argument("--only", nargs="*", choices=sorted(SUITE), help="run only these benchmarks")
    parser.add_argument("--out", default=str(HERE / "reports" / "cpu.json"))
    args = parser.parse_args(argv)
    report = {"machine": machine(), "device": args.device, "quick": args.quick, "benchmarks": {}, "headlines": []}
    failed = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.only or SUITE:
            quick, full, headline = SUITE[name]
            out = Path(tmp) / f"{name}.json"
            command = [sys.executable, str(HERE / f"{name}.py"), *(quick if args.quick else full),
                       "--out", str(out), "--device", args.device]
            print(f"== {name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
            start = time.perf_counter()
            done = subprocess.run(command, stdout=subprocess.DEVNULL)
            seconds = time.perf_counter() - start
            if not out.is_file():
                failed.append(name)
                print(f"   {name} wrote no result (exit {done.returncode})", file=sys.stderr)
                continue
            result = json.loads(out.read_text())
            report["benchmarks"][name] = {"seconds": seconds, "result": result}
            for measure, value, target, met, detail in headline(result):
                report["headlines"].append({"benchmark": name, "measure": measure, "value": value,
                                            "target": target, "met": None if met is None else bool(met), "detail": detail})
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1, sort_keys=True))
    print(f"\n{'measure':<62} {'value':>10}  target   ", file=sys.stderr)
    for h in report["headlines"]:
        mark = "   (report only)" if h["met"] is None else "" if h["met"] else "   <-- missed"
        print(f"{h['measure']:<62} {h['value']:>10.3g}  {h['target']:<8}{mark}", file=sys.stderr)
    print(f"\nreport: {args.out}", file=sys.stderr)
    missed = [h for h in report["headlines"] if h["met"] is False]
    return 1 if missed or failed else 0


if __name__ == "__main__":
    sys.exit(main())
