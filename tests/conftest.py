"""Shared fixtures: the backends to run on, the CUDA marker, and the book built once at smoke scale."""

from __future__ import annotations

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

BACKENDS = ["numpy"] + (["cpu"] if torch_available() else [])


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
