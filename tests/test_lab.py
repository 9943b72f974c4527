"""``make lab``: JupyterLab on the notebooks, where a MyST notebook opens, runs and saves as one.

The server is started as the Makefile's ``lab`` target starts it (its ``LAB_FLAGS``), on
127.0.0.1 with a token and without a browser. Through its REST API a MyST notebook of
``notebooks/`` is opened as a notebook (jupytext's contents manager), a session starts the
book's kernel beside it and runs the notebook's parameters cell and a cell that imports the
library over the kernel's websocket, and the notebook, with a cell added, is saved to a
scratch folder under ``_build/``: what lands on disk is MyST markdown again. JupyterLab's
own settings make the jupytext notebook the default viewer of ``.md`` files, and its
jupytext extension is enabled. Every wait is bounded; the server is stopped afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from .conftest import ROOT, need

pytestmark = pytest.mark.slow

JUPYTER = Path(sys.executable).parent / "jupyter"
NOTEBOOK = "notebooks/rhw1986_pdp_negation.md"
SCRATCH = ROOT / "_build" / "lab-test"


def lab_flags() -> list[str]:
    """The flags ``make lab`` gives ``jupyter lab`` (the Makefile's LAB_FLAGS), with $(CURDIR) filled in."""
    line = re.search(r"^LAB_FLAGS\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert line, "the Makefile has no LAB_FLAGS"
    return line.group(1).replace("$(CURDIR)", str(ROOT)).split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lab:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None, timeout: float = 30):
        request = urllib.request.Request(self.base + path, method=method,
                                         data=None if body is None else json.dumps(body).encode(),
                                         headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    need("jupyterlab", "make lab runs it")
    need("jupytext", "it opens the MyST notebooks as notebooks")
    need("websocket", "the test talks to the kernel over its websocket (websocket-client)")
    port, token = free_port(), uuid.uuid4().hex
    home = tmp_path_factory.mktemp("lab-home")  # the server's own runtime and user settings, not the reader's
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
           "JUPYTERLAB_SETTINGS_DIR": str(home / "user-settings"), "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces")}
    log = (home / "server.log").open("w")
    server = subprocess.Popen([str(JUPYTER), "lab", *lab_flags(), "--no-browser", "--ip", "127.0.0.1", "--port", str(port),
                               f"--ServerApp.token={token}", "--ServerApp.port_retries=0",
                               *(["--allow-root"] if os.geteuid() == 0 else [])],  # (CI containers run as root)
                              cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    client = Lab(f"http://127.0.0.1:{port}", token)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                client.call("GET", "/api/status", timeout=5)
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start (exit {server.poll()}):\n{(home / 'server.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield client
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
        try:  # the server and whatever it left running (its kernels run in sessions of their own)
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        server.wait(timeout=15)
        log.close()
        shutil.rmtree(SCRATCH, ignore_errors=True)


class Kernel:
    """The kernel's websocket, as JupyterLab talks to it; every wait on it is bounded."""

    def __init__(self, lab: Lab, kernel_id: str, timeout: float = 90):
        import websocket

        self.websocket = websocket
        self.session = uuid.uuid4().hex
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{lab.base.rsplit(':', 1)[1]}/api/kernels/{kernel_id}/channels",
                                              header=[f"Authorization: token {lab.token}"], timeout=10)
        self.ws.settimeout(2)  # each read waits 2 s at most; the loops below keep the deadlines
        # A message sent before the server has connected the kernel's channels is lost, so, as
        # JupyterLab does, ask for the kernel's info until it answers.
        deadline = time.monotonic() + timeout
        while True:
            msg_id = self.send("kernel_info_request", {})
            try:
                self.replies(msg_id, min(deadline, time.monotonic() + 5))
                return
            except TimeoutError:
                if time.monotonic() > deadline:
                    self.ws.close()
                    raise TimeoutError(f"the kernel did not answer a kernel_info_request within {timeout} s") from None

    def send(self, kind: str, content: dict) -> str:
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({"header": {"msg_id": msg_id, "username": "test", "session": self.session, "msg_type": kind,
                                            "version": "5.3", "date": ""},
                                 "parent_header": {}, "metadata": {}, "channel": "shell", "content": content, "buffers": []}))
        return msg_id

    def replies(self, msg_id: str, deadline: float) -> tuple[str, list[str]]:
        """Read until the kernel has replied to ``msg_id`` and gone idle: ``(status, [stream text, results, errors])``.

        The reply (shell channel) and the idle status (iopub channel) come on different sockets,
        in either order; the outputs come before the idle status.
        """
        seen, status, idle = [], None, False
        while time.monotonic() < deadline:
            try:
                msg = json.loads(self.ws.recv())
            except self.websocket.WebSocketTimeoutException:
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                seen.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                seen.append(content["data"].get("text/plain", ""))
            elif kind == "error":
                seen.append(f"{content['ename']}: {content['evalue']}")
            elif kind.endswith("_reply"):
                status = content["status"]
            elif kind == "status" and content["execution_state"] == "idle":
                idle = True
            if status and idle:
                return status, seen
        raise TimeoutError(f"no reply to {msg_id} before the deadline; its output so far: {seen}")

    def execute(self, code: str, timeout: float = 120) -> tuple[str, list[str]]:
        msg_id = self.send("execute_request", {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                                               "allow_stdin": False, "stop_on_error": True})
        return self.replies(msg_id, time.monotonic() + timeout)

    def close(self):
        self.ws.close()


def test_jupytext_makes_md_files_notebooks_in_jupyterlab(lab):
    listed = subprocess.run([str(JUPYTER), "labextension", "list"], capture_output=True, text=True, timeout=120)
    lines = [ln for ln in (listed.stdout + listed.stderr).splitlines() if "jupyterlab-jupytext" in ln]
    assert lines and "enabled" in lines[0] and "OK" in lines[0], listed.stdout + listed.stderr
    settings = lab.call("GET", "/lab/api/settings/@jupyterlab/docmanager-extension:plugin")
    # (binder/lab/settings/overrides.json becomes the schema's default; a reader's own choice still wins)
    viewers = settings["schema"]["properties"]["defaultViewers"].get("default", {})
    assert viewers.get("markdown") == viewers.get("myst") == "Jupytext Notebook", settings["schema"]["properties"]["defaultViewers"]


def test_a_myst_notebook_opens_runs_with_the_books_kernel_and_saves_as_myst(lab):
    model = lab.call("GET", f"/api/contents/{NOTEBOOK}?type=notebook&content=1")
    assert model["type"] == "notebook" and model["format"] == "json"
    notebook = model["content"]
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    parameters = next(c for c in code if "parameters" in c["metadata"].get("tags", []))

    session = lab.call("POST", "/api/sessions", {"path": NOTEBOOK, "type": "notebook", "name": Path(NOTEBOOK).name,
                                                 "kernel": {"name": "python3"}})
    kernel = None
    try:
        kernel = Kernel(lab, session["kernel"]["id"])
        source = parameters["source"]
        status, seen = kernel.execute("".join(source) if isinstance(source, list) else source)
        assert status == "ok", seen
        status, seen = kernel.execute("import os, sys, backprop, backprop_book\n"
                                      "from backprop_book.notebook import setup\n"
                                      "run = setup(scale, seed, device)\n"
                                      "print(sys.executable, backprop.__file__, backprop_book.__file__, os.getcwd(), sep='\\n')")
        assert status == "ok", seen
        executable, core, book, cwd = "".join(seen).split()
        assert Path(executable).resolve() == Path(sys.executable).resolve(), "the kernel is not the book's environment"
        for module in (core, book):
            assert Path(module).resolve().is_relative_to(ROOT / "lib"), f"the kernel imports the library from {module}"
        assert Path(cwd).resolve() == (ROOT / NOTEBOOK).parent, "the kernel does not run beside the notebook"
    finally:
        if kernel:
            kernel.close()
        lab.call("DELETE", f"/api/sessions/{session['id']}")

    SCRATCH.mkdir(parents=True, exist_ok=True)
    saved = SCRATCH / Path(NOTEBOOK).name
    notebook["cells"].append({"cell_type": "code", "metadata": {}, "source": "added = 'in JupyterLab'", "outputs": [],
                              "execution_count": None})
    lab.call("PUT", f"/api/contents/{saved.relative_to(ROOT).as_posix()}", {"type": "notebook", "format": "json", "content": notebook})
    text = saved.read_text()
    assert text.startswith("---\n") and "format_name: myst" in text and "```{code-cell} ipython3\nadded = 'in JupyterLab'\n```" in text, text[:400]
    assert not saved.with_suffix(".ipynb").exists(), "saving wrote an .ipynb beside the MyST file"
    import jupytext

    original, again = jupytext.read(ROOT / NOTEBOOK), jupytext.read(saved)
    assert [c.source for c in again.cells] == [c.source for c in original.cells] + ["added = 'in JupyterLab'"]
