"""The notebook runner: parameters, errors that name the cell, and a cache that knows the library."""

from __future__ import annotations

import io
import json
import textwrap

import pytest

from backprop_book import cli
from backprop_book.runner import NotebookError, UnknownParameterError, parameters_of, read_notebook, run_notebook

from .conftest import NOTEBOOK_HEADER as HEADER


def _notebook(tmp_path, body: str, name="nb.md"):
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return path


PARAMS = """
```{code-cell} ipython3
:tags: [parameters]

scale = "smoke"
factor = 2
metrics_path = ""
```
"""

WRITES = PARAMS + """
```{code-cell} ipython3
from backprop_book.notebook import record
record(metrics_path, doubled=21 * factor, scale=scale)
```
"""


@pytest.fixture
def lib(tmp_path):
    d = tmp_path / "lib"
    d.mkdir()
    (d / "core.py").write_text("x = 1\n")
    return d


def test_parameters_are_read_from_the_tagged_cell(tmp_path):
    nb = read_notebook(_notebook(tmp_path, PARAMS))
    assert parameters_of(nb) == {"scale": "smoke", "factor": 2, "metrics_path": ""}


def test_runs_and_caches_until_notebook_parameters_or_library_change(tmp_path, lib):
    path = _notebook(tmp_path, WRITES)
    cache, log = tmp_path / "cache", io.StringIO()
    first = run_notebook(path, {"factor": 3}, cache, library_dirs=[lib], log=log)
    assert first.metrics == {"doubled": 63, "scale": "smoke"} and not first.cached
    assert first.notebook.is_file() and "metrics_path" not in first.notebook.read_text().split("injected-parameters")[1][:400]
    assert run_notebook(path, {"factor": 3}, cache, library_dirs=[lib], log=log).cached
    assert not run_notebook(path, {"factor": 4}, cache, library_dirs=[lib], log=log).cached
    (lib / "core.py").write_text("x = 2\n")  # an edit in the library
    again = run_notebook(path, {"factor": 3}, cache, library_dirs=[lib], log=log)
    assert not again.cached and again.metrics["doubled"] == 63
    path.write_text(path.read_text().replace("21 * factor", "22 * factor"))  # an edit in the notebook
    assert run_notebook(path, {"factor": 3}, cache, library_dirs=[lib], log=log).metrics["doubled"] == 66


def test_unknown_parameter_is_named(tmp_path):
    path = _notebook(tmp_path, WRITES)
    with pytest.raises(UnknownParameterError, match=r"unknown parameter\(s\) sclae; it takes factor, metrics_path, scale"):
        run_notebook(path, {"sclae": "full"}, tmp_path / "cache")


def test_a_cell_that_raises_is_reported_with_notebook_cell_and_exception(tmp_path):
    path = _notebook(tmp_path, PARAMS + """
```{code-cell} ipython3
ok = 1
```

```{code-cell} ipython3
ratio = factor / 0
```
""")
    with pytest.raises(NotebookError) as info:
        run_notebook(path, {}, tmp_path / "cache", log=io.StringIO())
    message = str(info.value)
    assert str(path) in message
    assert "cell 3 raised ZeroDivisionError: division by zero" in message  # cells: parameters, injected, ok, ratio
    assert "ratio = factor / 0" in message


def test_a_notebook_without_parameters_or_metrics(tmp_path):
    with pytest.raises(NotebookError, match="exactly one cell tagged 'parameters', found 0"):
        run_notebook(_notebook(tmp_path, "# nothing\n"), {}, tmp_path / "cache")
    with pytest.raises(NotebookError, match="wrote no metrics"):
        run_notebook(_notebook(tmp_path, PARAMS, "silent.md"), {}, tmp_path / "cache", log=io.StringIO())
    with pytest.raises(FileNotFoundError, match="no notebook at"):
        run_notebook(tmp_path / "missing.md", {}, tmp_path / "cache")


def test_command_line(tmp_path, capsys):
    path = _notebook(tmp_path, WRITES)
    assert cli.main(["run", str(path), "-p", "factor", "5", "--cache-dir", str(tmp_path / "c")]) == 0
    assert json.loads(capsys.readouterr().out) == {"doubled": 105, "scale": "smoke"}
    assert cli.main(["run", str(path), "-p", "colour", "red", "--cache-dir", str(tmp_path / "c")]) == 1
    assert "unknown parameter(s) colour" in capsys.readouterr().err


def test_declared_inputs_take_part_in_the_cache_key(tmp_path, lib):
    data = tmp_path / "records"
    data.mkdir()
    (data / "a.json").write_text("1")
    path = _notebook(tmp_path, WRITES)
    path.write_text(path.read_text().replace("---\nkernelspec", "---\nbackprop:\n  inputs: [records]\nkernelspec", 1))
    cache, log = tmp_path / "cache", io.StringIO()
    assert not run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
    assert run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
    (data / "a.json").write_text("2")
    assert not run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
    path.write_text(path.read_text().replace("inputs: [records]", "inputs: [missing]"))
    with pytest.raises(NotebookError, match="declares the input .*missing"):
        run_notebook(path, {}, cache, library_dirs=[lib], log=log)


def test_the_environment_is_read_once_and_names_the_packages_and_the_auto_device():
    import importlib.metadata

    from backprop.backend import get_backend
    from backprop_book import runner

    env = json.loads(runner.environment())
    assert runner.environment() is runner.environment()  # computed once per process
    assert f"numpy=={importlib.metadata.version('numpy')}" in env["packages"]
    assert f"papermill=={importlib.metadata.version('papermill')}" in env["packages"]
    assert env["auto"] == repr(get_backend("auto"))


def test_a_run_cached_in_another_environment_is_not_reused(tmp_path, lib, monkeypatch):
    """Another numpy, or a machine where device="auto" means CUDA: the cache key changes."""
    from backprop_book import runner

    path = _notebook(tmp_path, WRITES)
    cache, log = tmp_path / "cache", io.StringIO()
    assert not run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
    assert run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
    here = json.loads(runner.environment())
    for changed in ({**here, "packages": [p for p in here["packages"] if not p.startswith("numpy==")] + ["numpy==0.0.1"]},
                    {**here, "auto": "Backend('torch', device='cuda')"}):
        monkeypatch.setattr(runner, "environment", lambda changed=changed: json.dumps(changed))
        assert not run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
        assert run_notebook(path, {}, cache, library_dirs=[lib], log=log).cached
