"""What the browser tests share: the system Chromium, a local HTTP server, the site build.

The tests drive Debian's Chromium (``apt-get install chromium``) through Playwright; they
never download a browser build. Everything they open is served from 127.0.0.1.
"""
import functools
import http.server
import os
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"

CHROMIUM = os.environ.get("RNNCORE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# What the site is built from: a build older than any of these is rebuilt.
SITE_SOURCES = ["_config.yml", "_toc.yml", "tools/site_ext.py", "tools/site_static", "README.md",
                "CONTRIBUTING.md", "benchmarks/README.md", "benchmarks/bench_rnn.png", "benchmarks/busy.png",
                "benchmarks/coldstart.png", "benchmarks/fit.png",
                "rnncore/datasets/data/README.md", "notebooks", "exercises", "solutions", "docs/img"]
BUILD_COMMAND = ["-c", "from jupyter_book.cli.main import main; main()",
                 "build", ".", "-W", "-n", "--keep-going"]


@contextmanager
def chromium():
    """The system Chromium, headless, under Playwright."""
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"no Chromium at {CHROMIUM}: install Debian's (apt-get install chromium) "
                           "or point RNNCORE_CHROMIUM at one")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                             headless=True)
        try:
            yield browser
        finally:
            browser.close()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serve(directory):
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _newest_source_mtime():
    newest = 0.0
    for name in SITE_SOURCES:
        path = ROOT / name
        files = path.rglob("*") if path.is_dir() else [path]
        for f in files:
            if f.is_file() and ".ipynb_checkpoints" not in f.parts:
                newest = max(newest, f.stat().st_mtime)
    return newest


def ensure_site():
    """Build the site (warnings are errors) unless ``_build/html`` is newer than every source.

    ``.ci/run`` builds it from scratch just before the tests, so there this is a check only.
    """
    index = SITE / "index.html"
    if index.exists() and index.stat().st_mtime >= _newest_source_mtime():
        return SITE
    result = subprocess.run([sys.executable, *BUILD_COMMAND], cwd=ROOT, capture_output=True,
                            text=True, timeout=900)
    if result.returncode != 0 or not index.exists():
        raise AssertionError("the site build failed (jupyter-book build . -W -n --keep-going):\n"
                             + (result.stdout + result.stderr)[-6000:])
    index.touch()
    return SITE
