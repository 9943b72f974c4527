"""Runs fanned out on Dask: a real scheduler and workers, a worker killed mid-run, the embedded
cluster, and the errors a user meets (an unreachable scheduler, seeds that overlap, no seeds)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_book import cli, executor, runner
from backprop_book.executor import Task

from .conftest import ROOT, need
from .test_runner import _notebook

pytestmark = pytest.mark.slow
DASK = Path(sys.executable).parent / "dask"

# Two registered reproductions, cheap at smoke scale, three seeds each.
NOTEBOOKS = ("notebooks/rhw1986_pdp_negation.md", "notebooks/rhw1986_pdp_encoder_1of4.md")
SEEDS = (0, 1, 2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(*args) -> subprocess.Popen:
    # its own session, so that killing it kills its notebook kernels too
    return subprocess.Popen([str(DASK), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _kill(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


@pytest.fixture
def cluster():
    """A real ``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, torn down after."""
    need("distributed")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler = _start("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard")
    workers = [_start("worker", address, "--nthreads", "1", "--no-nanny", "--no-dashboard", "--name", f"w{i}") for i in range(2)]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address, workers
    finally:
        for proc in workers + [scheduler]:
            _kill(proc)


def _tasks(scale="smoke"):
    return [Task(nb, {"scale": scale, "seed": s}) for nb in NOTEBOOKS for s in SEEDS]


def _kill_a_busy_worker(address: str, workers: list, done: list) -> None:
    """Once both workers hold a task, kill the process of one of them (while its task runs)."""
    from distributed import Client

    with Client(address, timeout=30) as client:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if tasks]
            if len(busy) == 2:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the workers never both held a task")
        names = {w: info["name"] for w, info in client.scheduler_info(n_workers=-1)["workers"].items()}
    time.sleep(1.0)  # the kernel is running the notebook now
    victim = names[busy[0]]
    _kill(workers[int(str(victim).removeprefix("w"))])
    done.append(victim)


def test_a_killed_worker_costs_only_its_task_and_the_metrics_equal_a_sequential_run(cluster, tmp_path):
    import threading

    address, workers = cluster
    killed = []
    killer = threading.Thread(target=_kill_a_busy_worker, args=(address, workers, killed))
    killer.start()
    log = io.StringIO()
    outcomes = executor.run_all(ROOT, _tasks(), tmp_path / "dask", scheduler=address, log=log)
    killer.join()
    assert killed, "no worker was killed"
    assert [o.error for o in outcomes] == [None] * len(outcomes), log.getvalue()
    # every task completed once: one stored entry and one progress line each
    assert len([e for e in (tmp_path / "dask").iterdir() if e.is_dir() and (e / "run.json").is_file()]) == len(outcomes)
    lines = [ln for ln in log.getvalue().splitlines() if ln.startswith("[")]
    assert sorted(ln.split("]")[0] for ln in lines) == sorted(f"[{k}/{len(outcomes)}" for k in range(1, len(outcomes) + 1))
    survivors = {o.worker for o in outcomes}
    assert len(survivors) >= 1 and all(w.startswith("tcp://127.0.0.1:") for w in survivors)

    # the same tasks one after another in this process: the same metrics, whatever ran where
    for o in outcomes:
        alone = runner.run_notebook(ROOT / o.task.notebook, o.task.parameters, tmp_path / "sequential", log=io.StringIO())
        assert alone.metrics == o.result.metrics, o.task.label
    # the seeds are distinct runs, not copies
    first = [o.result.metrics for o in outcomes if o.task.notebook == NOTEBOOKS[0]]
    assert first[0] != first[1]

    # a second run reuses every finished task
    again = executor.run_all(ROOT, _tasks(), tmp_path / "dask", scheduler=address, log=io.StringIO())
    assert all(o.worker == "cache" for o in again)


TINY = """
```{code-cell} ipython3
:tags: [parameters]

scale = "smoke"
seed = 0
metrics_path = ""
```

```{code-cell} ipython3
import numpy as np
from backprop.progress import progress_bar
from backprop_book.notebook import record

bar = progress_bar(3, desc="steps")
for _ in range(3):
    bar.update()
bar.close()
record(metrics_path, draw=float(np.random.default_rng(seed).standard_normal()), seed=seed)
```
"""


def test_the_embedded_cluster_runs_each_seed_once_and_pages_hold_no_progress_bar(tmp_path):
    need("distributed")
    path = _notebook(tmp_path, TINY, "tiny.md")
    tasks = [Task(str(path), {"seed": s}) for s in (3, 4, 5)]
    log = io.StringIO()
    outcomes = executor.run_all(ROOT, tasks, tmp_path / "cache", workers=2, log=log)
    assert [o.result.metrics["seed"] for o in outcomes] == [3, 4, 5]
    assert len({o.result.metrics["draw"] for o in outcomes}) == 3
    assert "on 2 Dask workers" in log.getvalue()
    page = outcomes[0].result.notebook.read_text()
    assert "steps" not in page.split('"outputs"', 1)[1] or "it/s" not in page  # no tqdm bar in the page
    assert "without encryption" not in log.getvalue()


def test_an_unreachable_scheduler_is_named(tmp_path, monkeypatch):
    need("distributed")
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 2)
    address = f"tcp://127.0.0.1:{_free_port()}"
    path = _notebook(tmp_path, TINY, "tiny.md")
    with pytest.raises(executor.SchedulerError, match=rf"cannot reach the Dask scheduler at {address}.*dask scheduler"):
        executor.run_all(ROOT, [Task(str(path), {"seed": 0}), Task(str(path), {"seed": 1})], tmp_path / "c", scheduler=address)
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert cli.main(["run", str(path), "--seeds", "2", "--scheduler", address, "--cache-dir", str(tmp_path / "c")]) == 1
    assert "cannot reach the Dask scheduler" in err.getvalue()


@pytest.mark.parametrize("text, message", [
    ("0", "at least one seed"),
    ("1,2,1", "the seeds overlap: 1 asked for twice"),
    ("0-2,2", "the seeds overlap: 2"),
    ("x", "give a count"),
])
def test_bad_seed_lists_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        executor.parse_seeds(text)


def test_seed_lists_and_counts():
    assert executor.parse_seeds("3") == [0, 1, 2]
    assert executor.parse_seeds("0,5,7") == [0, 5, 7]
    assert executor.parse_seeds("10-12") == [10, 11, 12]
    with pytest.raises(ValueError, match="non-negative"):
        executor.check_seeds([-1])


def test_backprop_run_over_seeds_prints_each_and_the_summary(tmp_path, capsys):
    need("distributed")
    path = _notebook(tmp_path, TINY, "tiny.md")
    assert cli.main(["run", str(path), "--seeds", "0,1", "--workers", "2", "--cache-dir", str(tmp_path / "c")]) == 0
    out = capsys.readouterr().out
    assert '"seeds": [\n    0,\n    1\n  ]' in out and '"per_seed"' in out and '"summary"' in out
    assert cli.main(["run", str(path), "--seeds", "0", "-p", "seed", "1"]) == 1
    assert "either -p seed N or --seeds" in capsys.readouterr().err
