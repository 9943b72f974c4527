"""The benchmark command runs and writes a report the Performance appendix can read.

These tests never look at how fast anything is (timings are the benchmarks' job,
compared as ratios within one run); they check that the benchmarks run, that
their reports have the fields the appendix reads, and that the headline
verdicts follow from the numbers.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from backprop_book.timing import per_call

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import mlp_step  # noqa: E402
import run_all  # noqa: E402


@pytest.fixture(scope="module")
def mlp_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "mlp_step.json"
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "mlp_step.py"), "--quick", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert out.is_file(), done.stderr[-2000:]
    return json.loads(out.read_text())


def test_mlp_step_report_has_every_size_and_a_spread(mlp_report):
    rows = mlp_report["rows"]
    assert {(r["network"], r["batch"]) for r in rows} == {(n, b) for n in mlp_step.NETWORKS for b in mlp_step.BATCHES}
    for r in rows:
        assert r["ours_s"]["median"] > 0 and r["torch_s"]["median"] > 0
        assert r["speedup_q25"] <= r["speedup"] <= r["speedup_q75"]
        assert r["slower_than_reference"] == (r["speedup"] < 1)
    assert 0 < mlp_report["flops"]["fraction_of_gemm"]
    assert mlp_report["device"] and mlp_report["machine"]["cores"] >= 1


def test_headline_verdicts_follow_the_numbers(mlp_report):
    (worst, flops) = run_all._mlp(mlp_report)
    applicable = [r["speedup"] for r in mlp_report["rows"] if r["target_applies"]]
    assert worst[1] == min(applicable) and worst[3] == (min(applicable) >= 1)
    assert flops[3] == (mlp_report["flops"]["fraction_of_gemm"] >= 0.7)


def test_flagged_rows_are_the_slow_ones(mlp_report):
    flagged = {f.split(":")[0] for f in mlp_report["flags"] if "slower" in f}
    slow = {f"{r['network']} batch {r['batch']}" for r in mlp_report["rows"] if r["slower_than_reference"] and r["target_applies"]}
    assert flagged == slow


def test_per_call_settles_before_each_block_without_timing_the_pause():
    calls = []
    t = per_call({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, rounds=2,
                 timer=time.perf_counter, seconds=1e-4, settle=0.05)
    assert set(t) == {"a", "b"} and all(len(v) == 2 for v in t.values())
    assert all(np.all(v < 0.04) for v in t.values())  # 50 ms pauses, none of them counted


def test_unknown_device_is_refused_with_a_clear_message():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "mlp_step.py"), "--device", "tpu"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "invalid choice: 'tpu'" in done.stderr


def test_a_row_without_a_target_has_no_verdict():
    (row,) = run_all._tdgammon({"self_play": [{"games_per_second": 40.0, "batch": 8}]})
    assert row[2] == run_all.REPORT_ONLY and row[3] is None  # shown as "—", never counted as met
    rows = run_all._gradient_cost({"sizes": [{"ratio_matrix": 2, "ratio_engine": 4, "ratio_autograd": 3, "n_params": 10}]})
    assert [r[3] for r in rows] == [True, False, None]
