"""Many notebook runs at once, fanned out on Dask distributed.

Each (notebook, parameters, seed) is one :class:`Task`, planned on the client
(:func:`backprop_book.runner.plan`: the parameters checked, the cache entry found). A task
whose entry is complete is reused; the others are submitted to Dask workers, which execute
the notebook from their own copy of the book (the library installed, the same commit) and
send back its metrics and the executed notebook's bytes; the client stores each entry as it
arrives (:func:`backprop_book.runner.store`, atomically). So workers need no shared file
system, a worker that dies costs only the task it held (the scheduler gives it to another;
``retries`` covers a task that raised for a reason of the machine's), and an interrupted run
(Ctrl-C, a killed client) keeps every finished task for the next.

Where the work runs:

- ``scheduler=None`` and no ``BACKPROP_SCHEDULER`` in the environment: an embedded
  ``LocalCluster`` with one single-threaded worker process per core (``workers`` to choose),
  nothing to set up; a single task runs in this process, without a cluster.
- ``scheduler="tcp://HOST:PORT"`` (or ``BACKPROP_SCHEDULER``): an existing cluster, e.g.
  ``dask scheduler`` and ``dask worker tcp://HOST:PORT --nthreads 1`` (the README says how, and
  how to get workers on Slurm with dask-jobqueue). A task whose ``device`` parameter asks for
  CUDA needs the worker resource ``GPU`` (``dask worker ... --resources GPU=1``).

The same seed gives the same metrics whatever the number of workers or the order in which
tasks finish: a task's randomness comes from its own seed only, and every kernel computes
with one BLAS thread (:data:`backprop_book.runner.ONE_THREAD`).

Progress: a line per finished task (notebook, seed, seconds, worker) with the tasks done of
the total and an estimate of the time left, from the previous run's time of each notebook
(kept in ``timings.json`` in the cache) where there is one; on a terminal, a live line
saying which cell each running notebook is on.

Non-goals: choosing what to run (:mod:`backprop_book.reproduce` and :mod:`backprop_book.build`
do), retrying a notebook that raised (that is a bug to fix, reported as such).
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from backprop_book import runner

TOPIC = "backprop-progress"  # the Dask event topic on which workers report a notebook's cells
ENV_SCHEDULER = "BACKPROP_SCHEDULER"
CONNECT_TIMEOUT = 10  # seconds to reach a scheduler before saying it cannot be reached


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be reached, or the cluster cannot run the tasks."""


@dataclass
class Task:
    """One run: a notebook (relative to the book's root) with its parameters (the seed among them)."""

    notebook: str
    parameters: dict = field(default_factory=dict)

    @property
    def seed(self):
        return self.parameters.get("seed")

    @property
    def label(self) -> str:
        stem = Path(self.notebook).stem
        return stem + (f" seed {self.seed}" if self.seed is not None else "")

    @property
    def needs_gpu(self) -> bool:
        return str(self.parameters.get("device", "")).startswith("cuda")


@dataclass
class Outcome:
    """What became of a task: its result, or the error that stopped it."""

    task: Task
    result: runner.Result | None = None
    error: Exception | None = None
    worker: str = "here"


def check_seeds(seeds) -> list[int]:
    """``seeds`` as a list of distinct non-negative integers, or a clear error."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("no seeds asked for: give at least one (e.g. --seeds 5, or --seeds 0,1,2)")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ValueError(f"a seed must be a non-negative integer, got {s!r}")
    twice = sorted({s for s in seeds if seeds.count(s) > 1})
    if twice:
        raise ValueError(f"the seeds overlap: {', '.join(map(str, twice))} asked for twice; each seed is one run")
    return seeds


def parse_seeds(text: str) -> list[int]:
    """``"5"`` is the seeds 0..4; ``"0,3,7"`` and ``"10-14"`` are those seeds."""
    text = str(text).strip()
    try:
        if "," not in text and "-" not in text:
            n = int(text)
            if n < 1:
                raise ValueError(f"--seeds {text}: ask for at least one seed")
            return list(range(n))
        seeds = []
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            seeds += list(range(int(lo), int(hi) + 1)) if hi else [int(lo)]
    except ValueError as exc:
        if "at least one" in str(exc):
            raise
        raise ValueError(f"--seeds {text!r}: give a count (5) or seeds (0,1,2 or 0-4)") from None
    return check_seeds(seeds)


def book_root() -> Path:
    """The book this process can run: ``BACKPROP_BOOK_ROOT``, or the checkout the library is installed from."""
    from backprop_book.build import find_root

    given = os.environ.get("BACKPROP_BOOK_ROOT")
    return find_root(given or Path(runner.__file__).resolve().parents[2])


def _remote(notebook: str, parameters: dict, fingerprint: str, library: str, client_root: str) -> dict:
    """What a worker does with one task: execute it from the client's book where this machine sees
    it (a worker beside the client), else from its own copy, after checking that the copy is the
    client's (same notebook code, same library); return the result."""
    import tempfile

    root = Path(client_root) if (Path(client_root) / notebook).is_file() else book_root()
    planned = runner.plan(root / notebook, parameters, Path(tempfile.gettempdir()) / "backprop-worker")
    here = runner.source_hash(*runner.LIBRARY_DIRS)
    if runner.code_fingerprint(planned.nb) != fingerprint or here != library:
        what = "notebook" if here == library else "library"
        raise SchedulerError(f"the worker on {socket.gethostname()} has another version of the {what} than the client "
                             f"({root}); check out the same commit there")
    try:
        from distributed import get_worker

        worker = get_worker()
        address = worker.address
    except (ImportError, ValueError):
        worker, address = None, "here"

    def on_cell(index, count, source):
        if worker is not None:
            worker.log_event(TOPIC, {"task": f"{notebook}:{parameters.get('seed')}", "cell": index, "cells": count,
                                     "loop": source if index is None else None})

    with tempfile.TemporaryDirectory(prefix="backprop-task-") as work:
        done = runner.execute(planned, work, on_cell=on_cell)
    done.update(worker=address, host=socket.gethostname())
    return done


class _Progress:
    """Lines for the person waiting: one per finished task, and on a terminal a live status line."""

    def __init__(self, total: int, expected: dict, workers: int, log):
        self.total, self.expected, self.workers, self.log = total, expected, max(1, workers), log
        self.done, self.start, self.running = 0, time.monotonic(), {}
        self.live = hasattr(log, "isatty") and log.isatty()
        self.last_status = 0.0

    def eta(self, remaining: list[Task]) -> str:
        elapsed = time.monotonic() - self.start
        mean = elapsed * self.workers / self.done if self.done else None
        guesses = [self.expected.get(t.label.split(" seed")[0], mean) for t in remaining]
        if any(g is None for g in guesses):
            return "time left unknown yet"
        return f"about {_duration(sum(guesses) / self.workers)} left"

    def finished(self, outcome: Outcome, remaining: list[Task]) -> None:
        self.done += 1
        t = outcome.task
        self.running.pop(f"{t.notebook}:{t.seed}", None)
        what = (f"{outcome.result.seconds:.1f} s on {outcome.worker}" if outcome.error is None
                else f"FAILED on {outcome.worker}: {str(outcome.error).splitlines()[0]}")
        self._clear()
        print(f"[{self.done}/{self.total}] {t.label}: {what}; {self.eta(remaining)}", file=self.log, flush=True)

    def event(self, message: dict) -> None:
        self.running[message["task"]] = message if message.get("loop") is None else {**self.running.get(message["task"], {}), "loop": message["loop"]}
        now = time.monotonic()
        if self.live and now - self.last_status > 0.5:
            self.last_status = now
            parts = []
            for key, m in sorted(self.running.items()):
                stem, seed = key.rsplit(":", 1)
                text = f"{Path(stem).stem}{'' if seed == 'None' else ' s' + seed}"
                if m.get("cell"):
                    text += f" cell {m['cell']}/{m['cells']}"
                if m.get("loop"):
                    text += f" {m['loop'].get('desc') or 'loop'} {m['loop']['n']}/{m['loop']['total']}"
                parts.append(text)
            line = f"[{self.done}/{self.total}] {_duration(now - self.start)}: " + "; ".join(parts)
            width = 160
            print("\r" + line[:width].ljust(width), end="", file=self.log, flush=True)

    def _clear(self) -> None:
        if self.live:
            print("\r" + " " * 160 + "\r", end="", file=self.log)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def _timings(cache_dir: Path) -> dict:
    try:
        return json.loads((cache_dir / "timings.json").read_text())
    except (OSError, ValueError):
        return {}


def _remember(cache_dir: Path, task: Task, seconds: float) -> None:
    timings = _timings(cache_dir)
    timings[Path(task.notebook).stem + ":" + str(task.parameters.get("scale"))] = round(seconds, 1)
    tmp = cache_dir / "timings.json.tmp"
    tmp.write_text(json.dumps(timings, indent=1, sort_keys=True))
    tmp.replace(cache_dir / "timings.json")


def connect(scheduler: str | None = None, workers: int | None = None):
    """A Dask client: of the cluster at ``scheduler`` (or ``BACKPROP_SCHEDULER``), else of a new
    ``LocalCluster`` with ``workers`` single-threaded worker processes (default: one per core)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError("running notebooks on Dask needs distributed: `pip install -e '.[book]'` "
                          "(or `make venv`)") from None
    address = scheduler or os.environ.get(ENV_SCHEDULER)
    if address:
        try:
            return Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(
                f"cannot reach the Dask scheduler at {address} ({type(exc).__name__}: {exc}); start one with "
                f"`dask scheduler --port PORT` and workers with `dask worker {address} --nthreads 1`, "
                f"or leave out --scheduler (and {ENV_SCHEDULER}) to run on this machine"
            ) from None
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    from backprop.backend import cuda_available

    import logging

    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                           dashboard_address=":0", silence_logs=logging.WARNING,  # a free port: no warning when 8787 is taken
                           resources={"GPU": 1} if cuda_available() else None)
    return Client(cluster)


def run_all(root: Path | str, tasks: list[Task], cache_dir: Path | str, force: bool = False,
            scheduler: str | None = None, workers: int | None = None, log=sys.stderr,
            expected: dict | None = None, on_done=None) -> list[Outcome]:
    """Run every task (or reuse its cached run); returns an :class:`Outcome` per task, in order.

    ``expected``: seconds a run of each notebook (by stem) is expected to take, e.g. from its
    last record; the longest start first, and the estimate of the time left uses them.
    ``on_done(outcome)`` is called as each task is settled (cached ones first), e.g. to write
    a record as soon as a notebook's seeds are all done. A task that fails is reported in its
    outcome and does not stop the others. Ctrl-C stops the cluster's work; what finished is
    stored and reused next time.
    """
    on_done = on_done or (lambda outcome: None)
    root, cache_dir = Path(root).resolve(), Path(cache_dir).resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    outcomes = [Outcome(t) for t in tasks]
    todo = []
    for i, task in enumerate(tasks):
        try:
            planned = runner.plan(root / task.notebook, task.parameters, cache_dir)
        except (runner.NotebookError, runner.UnknownParameterError, FileNotFoundError) as exc:
            outcomes[i].error = exc
            print(f"{task.label}: {exc}", file=log)
            continue
        cached = None if force else planned.cached()
        if cached is not None:
            outcomes[i].result, outcomes[i].worker = cached, "cache"
        else:
            todo.append((i, planned))
    reused = sum(o.worker == "cache" for o in outcomes)
    if reused:
        print(f"reusing {reused} finished run{'s' if reused > 1 else ''} from {cache_dir}", file=log)
    for o in outcomes:
        if o.result is not None or o.error is not None:
            on_done(o)
    if not todo:
        return outcomes
    timings = _timings(cache_dir)
    expected = {**{k.split(":")[0]: v for k, v in timings.items() if k.endswith(":" + str(tasks[0].parameters.get("scale")))},
                **(expected or {})}
    todo.sort(key=lambda item: -expected.get(Path(tasks[item[0]].notebook).stem, 0))  # the longest first

    if len(todo) == 1 and not (scheduler or os.environ.get(ENV_SCHEDULER)):
        (i, planned), = todo
        progress = _Progress(1, expected, 1, log)
        print(f"running {tasks[i].label} here ...", file=log, flush=True)
        key = f"{tasks[i].notebook}:{tasks[i].seed}"
        try:
            result = runner.run_notebook(root / tasks[i].notebook, tasks[i].parameters, cache_dir, force=True, log=open(os.devnull, "w"),
                                         on_cell=lambda idx, n, src: progress.event({"task": key, "cell": idx, "cells": n, "loop": src if idx is None else None}))
            outcomes[i].result = result
            _remember(cache_dir, tasks[i], result.seconds)
        except runner.NotebookError as exc:
            outcomes[i].error = exc
        progress.finished(outcomes[i], [])
        on_done(outcomes[i])
        return outcomes

    client = connect(scheduler, workers)
    try:
        return _on_cluster(client, root, tasks, todo, outcomes, expected, cache_dir, log, on_done)
    finally:
        cluster = client.cluster
        client.close()
        if cluster is not None and scheduler is None and not os.environ.get(ENV_SCHEDULER):
            cluster.close()


def _on_cluster(client, root, tasks, todo, outcomes, expected, cache_dir, log, on_done) -> list[Outcome]:
    from distributed import as_completed

    n_workers = len(client.scheduler_info(n_workers=-1).get("workers", {})) if hasattr(client, "scheduler_info") else 1
    if n_workers == 0:
        raise SchedulerError(f"the scheduler at {client.scheduler.address} has no workers; start some with "
                             f"`dask worker {client.scheduler.address} --nthreads 1`")
    progress = _Progress(len(todo), expected, n_workers, log)
    client.subscribe_topic(TOPIC, lambda event: progress.event(event[1]))
    library = runner.source_hash(*runner.LIBRARY_DIRS)
    print(f"running {len(todo)} notebook run{'s' if len(todo) > 1 else ''} on {n_workers} Dask worker"
          f"{'s' if n_workers > 1 else ''} ({client.scheduler.address})", file=log, flush=True)
    futures = {}
    root = Path(root)
    for i, planned in todo:
        task = tasks[i]
        future = client.submit(
            _remote, task.notebook, task.parameters, runner.code_fingerprint(planned.nb), library, str(root),
            key=f"{planned.path.stem}-seed{task.seed}-{planned.key.rsplit('-', 1)[-1]}", pure=False, retries=1,
            priority=int(expected.get(planned.path.stem, 0)),
            resources={"GPU": 1} if task.needs_gpu else None,
        )
        futures[future] = (i, planned)
    pending = set(futures)
    try:
        for future in as_completed(list(futures)):
            i, planned = futures[future]
            pending.discard(future)
            try:
                done = future.result()
                outcomes[i].result = runner.store(planned, done, worker=done["worker"], host=done["host"])
                outcomes[i].worker = done["worker"]
                _remember(cache_dir, tasks[i], done["seconds"])
            except (runner.NotebookError, SchedulerError, runner.UnknownParameterError, FileNotFoundError) as exc:
                outcomes[i].error = exc
            except Exception as exc:  # a worker's failure that is not the notebook's: say what it was
                outcomes[i].error = RuntimeError(f"{type(exc).__name__}: {exc}")
            progress.finished(outcomes[i], [tasks[futures[f][0]] for f in pending])
            on_done(outcomes[i])
    except KeyboardInterrupt:
        client.cancel(list(pending))
        done = sum(o.result is not None for o in outcomes)
        print(f"\ninterrupted: {done} of {len(outcomes)} runs are stored in {cache_dir} and will be reused", file=log)
        raise
    return outcomes
