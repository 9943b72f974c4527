"""Shared fixtures: the backends to run on, the CUDA marker, the dependencies a test needs,
and the book built once at smoke scale.

A test that needs an optional dependency (torch, gnubg-nn, h5py, Chromium, espeak-ng) says so
with :func:`need` or ``@pytest.mark.needs(...)``: where it is missing the test is skipped on
a workstation but fails under CI (``CI=true``), so that a failed install cannot silently drop
tests. A CUDA GPU is not a dependency but a machine: the ``cuda`` tests are skipped without one,
in CI too.
"""

from __future__ import annotations

import faulthandler
import importlib
import os
import shutil
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from backprop.backend import cuda_available, get_backend, torch_available

ROOT = Path(__file__).resolve().parents[1]

# The front matter every MyST notebook written by a test starts with.
NOTEBOOK_HEADER = """\
---
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""



def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def need(what: str, why: str = "", *, present: bool | None = None):
    """The dependency ``what``, or a skip (on a workstation) or a failure (under CI) that names it.

    ``what`` is a Python module (imported and returned) or a program on the PATH (its path
    returned); ``present`` gives the answer for a dependency that is neither (Chromium found
    through playwright). Called in a test, a fixture, or at module level (the whole module).
    """
    found = present
    if found is None:
        try:
            found = importlib.import_module(what)
        except ImportError:
            found = shutil.which(what)
    if found:
        return found
    message = f"needs {what}, which is not installed" + (f" ({why})" if why else "")
    if under_ci():
        pytest.fail(f"{message}: under CI a missing dependency fails the run; install it (make test)", pytrace=False)
    pytest.skip(message, allow_module_level=True)


def pytest_configure(config):
    config.addinivalue_line("markers", "needs(what, why=''): the test needs a module or program (see conftest.need)")


# No phase of a test (its setup, with the session's smoke book; its call; its teardown) may
# hang the run: after PHASE_LIMIT seconds every thread's stack is printed and the phase fails,
# so CI reports where it stuck instead of running out of time. The slowest phase here, the
# smoke book's build, takes about 4 minutes on 2 cores.
PHASE_LIMIT = float(os.environ.get("BACKPROP_TEST_PHASE_LIMIT", 900))


class PhaseTimeout(Exception):
    pass


def _over_time(signum, frame):
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    raise PhaseTimeout(f"this test phase ran past {PHASE_LIMIT:.0f} s (BACKPROP_TEST_PHASE_LIMIT); the stacks are printed above")


def _bounded():
    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGALRM, _over_time)
    signal.setitimer(signal.ITIMER_REAL, PHASE_LIMIT)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    for mark in item.iter_markers("needs"):
        need(*mark.args, **mark.kwargs)
    yield from _bounded()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    yield from _bounded()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item):
    yield from _bounded()


# The torch backend is always listed: without torch its tests skip here and fail under CI.
BACKENDS = ["numpy", pytest.param("cpu", marks=pytest.mark.needs("torch", "the torch CPU backend"))]


def pytest_collection_modifyitems(config, items):
    if cuda_available():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU")
    for item in items:
        if "cuda" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=BACKENDS)
def backend(request):
    return get_backend(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory):
    """One notebook cache for the whole session, so the book build reuses the notebook tests' runs."""
    return tmp_path_factory.mktemp("build")


@pytest.fixture(scope="session")
def smoke_book(cache_dir):
    """The book built once per session at smoke scale: the folder of its HTML (``_build/html``).

    The notebook tests and the build share ``cache_dir``, so notebooks they ran are not run again.
    """
    from backprop_book import build as book

    return book.build(ROOT, scale="smoke", output_root=cache_dir).parent
