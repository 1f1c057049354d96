"""The student's path in a real browser: JupyterLab at the repository root (the README's
course command), notebook 02 run through the UI, then its exercise notebook opened from the
link in its last cell.

The server runs on 127.0.0.1 with a token, with autosave off (the notebooks on disk must not
change) and its own settings, workspace, checkpoint and runtime folders; it is stopped by its process at
the end, within a bounded time.
"""
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import nbformat
import pytest

from _browser import ROOT, chromium, free_port

NOTEBOOK = "notebooks/02_elman_rnn.ipynb"
EXERCISE = "exercises/02_elman_rnn_exercises.ipynb"
NOTEBOOK_DIRS = ["notebooks", "exercises", "solutions"]
START_TIMEOUT_S = 120
RUN_TIMEOUT_S = 480
STOP_TIMEOUT_S = 20
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")

# JupyterLab user settings for the test: no autosave (running the cells must not rewrite the
# course's files), every cell rendered (no windowing, so all outputs are in the page), no news.
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
}


def digest(path):
    return hashlib.sha256((ROOT / path).read_bytes()).hexdigest()


@contextmanager
def jupyter_lab(tmp_path):
    """``jupyter lab`` at the repository root; yields (base URL, token)."""
    settings = tmp_path / "settings"
    for plugin, values in LAB_SETTINGS.items():
        path = settings / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port, token = free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    log = open(tmp_path / "jupyter.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
         "--ServerApp.port_retries=0", "--ServerApp.ip=127.0.0.1",
         f"--IdentityProvider.token={token}", "--allow-root",
         f"--LabApp.user_settings_dir={settings}", f"--LabApp.workspaces_dir={tmp_path / 'workspaces'}",
         "--LabApp.extension_manager=readonly",
         # Opening a notebook makes a checkpoint; keep it out of the repository.
         f"--FileCheckpoints.checkpoint_dir={tmp_path / 'checkpoints'}"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True)  # its own process group: the kernels it starts go with it
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if server.poll() is not None:
                raise AssertionError("jupyter lab exited:\n" + (tmp_path / "jupyter.log").read_text()[-3000:])
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"jupyter lab did not answer within {START_TIMEOUT_S} s")
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        try:
            os.killpg(server.pid, signal.SIGKILL)  # the group is this server's, and its kernels'
        except ProcessLookupError:
            pass
        server.wait(timeout=STOP_TIMEOUT_S)
        log.close()


def relative_links(path):
    """(link, resolved path) of every relative link in a notebook's markdown cells."""
    from test_links import links_in_markdown

    notebook = nbformat.read(ROOT / path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for link in links_in_markdown(cell.source):
                target = urllib.parse.unquote(urllib.parse.urlsplit(link).path)
                if target and not urllib.parse.urlsplit(link).scheme:
                    yield link, os.path.normpath(os.path.join(os.path.dirname(path), target))


def expected_figures(path):
    notebook = nbformat.read(ROOT / path, as_version=4)
    return sum(any(m in out.get("data", {}) for m in IMAGE_MIMES)
               for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []) if out.get("output_type") in ("display_data", "execute_result"))


def wait_for_kernel(base, token, path):
    """Wait until the notebook's session has a started, idle kernel (REST API)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    request = urllib.request.Request(f"{base}/api/sessions", headers={"Authorization": f"token {token}"})
    while True:
        with urllib.request.urlopen(request, timeout=30) as answer:
            states = [s["kernel"]["execution_state"] for s in json.load(answer)
                      if s.get("path") == path and s.get("kernel")]
        if states == ["idle"]:
            return
        assert time.monotonic() < deadline, f"no idle kernel for {path} after {START_TIMEOUT_S} s: {states}"
        time.sleep(0.5)


def click_menu(page, menu, item):
    dialogs = page.locator(".jp-Dialog").all_inner_texts()
    assert not dialogs, f"a JupyterLab dialog is open before {menu} > {item}: {dialogs}"
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    with jupyter_lab(tmp_path_factory.mktemp("jupyterlab")) as server:
        yield server


def panel(page, path):
    """The notebook panel of ``path`` that is showing."""
    return page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")


def test_every_notebook_link_is_served_by_jupyter_lab(lab):
    """With ``jupyter lab`` at the repository root, every relative link of every notebook opens."""
    base, token = lab
    missing = []
    checked = 0
    for folder in NOTEBOOK_DIRS:
        for nb in sorted((ROOT / folder).glob("*.ipynb")):
            for link, target in relative_links(f"{folder}/{nb.name}"):
                url = f"{base}/api/contents/{urllib.parse.quote(target)}?content=0"
                request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
                try:
                    with urllib.request.urlopen(request, timeout=30) as answer:
                        assert json.load(answer)["path"] == target
                    checked += 1
                except urllib.error.HTTPError as e:
                    missing.append(f"{folder}/{nb.name}: {link} -> {target} (HTTP {e.code})")
    assert not missing, "\n".join(missing)
    assert checked >= len(list((ROOT / "notebooks").glob("*.ipynb")))  # each chapter links its exercises


def test_notebook_02_runs_in_jupyter_lab_and_opens_its_exercises(lab):
    before = {p: digest(p) for p in (NOTEBOOK, EXERCISE)}
    checkpoints = set(ROOT.glob("*/.ipynb_checkpoints/*"))
    cells = nbformat.read(ROOT / NOTEBOOK, as_version=4).cells
    n_cells, n_code = len(cells), sum(c.cell_type == "code" for c in cells)
    n_figures = expected_figures(NOTEBOOK)
    assert n_figures > 0
    base, token = lab
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{base}/lab/tree/{NOTEBOOK}?reset&token={token}")
        notebook = panel(page, NOTEBOOK)
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').length === n",
            arg=n_cells, timeout=START_TIMEOUT_S * 1000)
        wait_for_kernel(base, token, NOTEBOOK)
        page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').wait_for(
            timeout=START_TIMEOUT_S * 1000)

        # Clear the stored outputs first, so every figure checked below comes from this run.
        click_menu(page, "Edit", "Clear Outputs of All Cells")
        page.wait_for_function(
            """() => document.querySelectorAll('.jp-OutputArea-output').length === 0 &&
                     Array.from(document.querySelectorAll('.jp-CodeCell .jp-InputPrompt'))
                          .every(p => !/\\d/.test(p.textContent))""")
        click_menu(page, "Run", "Run All Cells")
        page.wait_for_function(
            """n => {
                const prompts = Array.from(document.querySelectorAll(
                    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt'));
                const idle = document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
                return idle && prompts.length === n && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", arg=n_code, timeout=RUN_TIMEOUT_S * 1000, polling=1000)

        counts = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-CodeCell .jp-InputPrompt')).map(p => parseInt(p.textContent.match(/\\d+/)[0]))")
        assert counts == list(range(1, n_code + 1)), counts  # one fresh run, in order
        errors = notebook.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]')
        assert errors.count() == 0, errors.all_inner_texts()
        tracebacks = [t for t in notebook.locator(".jp-OutputArea-output").all_inner_texts()
                      if "Traceback (most recent call last)" in t]
        assert not tracebacks, tracebacks
        images = page.evaluate(
            "() => Array.from(document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
            ".jp-OutputArea-output img')).map(img => img.naturalWidth)")
        assert len(images) == n_figures and all(w > 0 for w in images), images

        # The student's next step: the exercises, through the link in the last cell.
        last = notebook.locator(".jp-Cell").last
        last.scroll_into_view_if_needed()
        link = last.locator(f'a[href*="{EXERCISE}"]')
        assert link.count() == 1
        dialogs = page.locator(".jp-Dialog").all_inner_texts()
        assert not dialogs, f"a JupyterLab dialog is open: {dialogs}"
        link.click()
        tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current",
                           has_text=os.path.basename(EXERCISE))
        tab.wait_for(timeout=60_000)
        exercise_cells = nbformat.read(ROOT / EXERCISE, as_version=4).cells
        page.wait_for_function(
            "n => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell').length === n",
            arg=len(exercise_cells), timeout=60_000)
        first = panel(page, EXERCISE).locator(".jp-Cell").first.inner_text()
        heading = exercise_cells[0].source.splitlines()[0].lstrip("# ").strip()
        assert heading[:30] in first
        assert page.locator(".jp-Dialog").count() == 0  # no "cannot open" error dialog
        page.close()
    # Running the cells changed nothing on disk (autosave is off).
    assert {p: digest(p) for p in (NOTEBOOK, EXERCISE)} == before
    assert set(ROOT.glob("*/.ipynb_checkpoints/*")) == checkpoints
