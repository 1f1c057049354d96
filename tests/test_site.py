"""The course website (``jupyter-book build .``) as a reader sees it, in a real browser.

Every page of ``_build/html`` is opened in the system Chromium from a local HTTP server and must
load without console errors or failed requests, with its math typeset by MathJax (no raw
``$...$`` left, no MathJax error), every image loaded, every notebook figure shown, every
internal link and anchor resolving to a page of the site, and the sidebar listing every chapter.
The site is served from 127.0.0.1 and may fetch nothing from anywhere else.
"""
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from _browser import ROOT, SCREENSHOTS, chromium, ensure_site, serve

# The pages the site is made of, by source file (_toc.yml: the README, the three notebook
# folders by glob, the reference pages). A new notebook needs no change here.
NOTEBOOK_DIRS = ["notebooks", "exercises", "solutions"]
REFERENCE_PAGES = ["benchmarks/README.md", "rnncore/datasets/data/README.md", "CONTRIBUTING.md"]
SOURCES = (["README.md"]
           + [f"{d}/{p.name}" for d in NOTEBOOK_DIRS for p in sorted((ROOT / d).glob("*.ipynb"))]
           + REFERENCE_PAGES)
EXTRA_PAGES = ["index.html", "genindex.html", "search.html"]  # made by Sphinx / Jupyter Book
PARTS = ["Foundations", "Biology", "Exercises", "Solutions", "Reference"]
SCREENSHOT_PAGES = {"README.html": "site_landing.png",
                    "notebooks/10_splice_sites.html": "site_biology_chapter.png"}

# Raw TeX that MathJax left alone: $...$, $$, \( or \[ outside code.
RAW_MATH = re.compile(r"(?<![\\\w])\$(?=\S)[^$\n]+?(?<=\S)\$|\$\$|\\\(|\\\[")
IMAGE_MIMES = ("image/png", "image/jpeg", "image/svg+xml", "image/gif")


def html_path(source):
    return str(Path(source).with_suffix(".html"))


def expected_figures(source):
    """The number of image outputs a notebook page must show."""
    notebook = nbformat.read(ROOT / source, as_version=4)
    count = 0
    for cell in notebook.cells:
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type != "code" or tags & {"remove-output", "remove-cell", "hide-output"}:
            continue
        for output in cell.get("outputs", []):
            if output.get("output_type") in ("display_data", "execute_result"):
                count += any(m in output.get("data", {}) for m in IMAGE_MIMES)
    return count


@pytest.fixture(scope="module")
def site():
    return ensure_site()


@pytest.fixture(scope="module")
def browser_context(site):
    with serve(site) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 800})
        outside = []

        def only_local(route):
            # The course reads offline: a request that leaves this machine is a bug.
            if urllib.parse.urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_local)
        yield base, context, outside
        context.close()


_ids_cache = {}


def ids_in(path):
    if path not in _ids_cache:
        _ids_cache[path] = set(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8")))
    return _ids_cache[path]


def check_link(site, base, href):
    """Why the internal link ``href`` does not resolve, or None."""
    parts = urllib.parse.urlsplit(href)
    path = urllib.parse.unquote(parts.path[len(urllib.parse.urlsplit(base).path):].lstrip("/"))
    target = site / path
    if path == "" or path.endswith("/"):
        target = target / "index.html"
    if not target.is_file():
        return f"{href}: no such file in the site"
    if target.suffix == ".ipynb" and "_sources" not in target.parts:
        return f"{href}: a link to a notebook file, not to its page"
    fragment = urllib.parse.unquote(parts.fragment)
    if fragment and target.suffix == ".html" and fragment not in ids_in(target):
        return f"{href}: no element with id {fragment!r} in {path}"
    return None


@pytest.fixture(scope="module")
def tab(browser_context):
    """One browser tab for every page, and the problems it reports (cleared per page).

    One tab rather than a new one per page: the pages share their scripts (the theme's 1.5 MB
    Font Awesome, MathJax's 1.2 MB), and a new tab parses and compiles them again. Measured
    (6 pages, idle machine): 1.27-1.30 s per page with a new tab each, 0.75 s in one tab."""
    base, context, outside = browser_context
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    yield page, problems
    page.close()


def open_page(tab, base, page_path):
    """``tab`` at ``page_path``, loaded, with an empty problem list. Each page is left for
    about:blank when its test ends (``leave_page``), so that whatever the previous page still
    had in flight is cancelled there, not reported against this one."""
    page, problems = tab
    problems.clear()
    page.goto(f"{base}/{page_path}", wait_until="load")
    return page, problems


def leave_page(tab):
    tab[0].goto("about:blank")


def wait_for_math(page):
    """Wait for MathJax's first typesetting; True where the page has math."""
    if page.locator(".math").count() == 0:
        return False
    page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                           timeout=30_000)
    page.evaluate("() => MathJax.startup.promise.then(() => true)")
    return True


def wait_for_images(page):
    page.evaluate("() => { for (const img of document.images) img.loading = 'eager'; }")
    page.wait_for_function("() => Array.from(document.images).every(img => img.complete)",
                           timeout=30_000)


def test_every_page_is_checked(site):
    built = {str(p.relative_to(site)) for p in site.rglob("*.html")
             if not {"_static", "_sources", "_images", "_downloads"} & set(p.relative_to(site).parts)}
    assert built == {html_path(s) for s in SOURCES} | set(EXTRA_PAGES)


@pytest.mark.parametrize("page_path", [html_path(s) for s in SOURCES] + EXTRA_PAGES)
def test_page(site, browser_context, tab, page_path):
    base, context, outside = browser_context
    page, problems = open_page(tab, base, page_path)
    try:
        if page_path == "index.html":  # Jupyter Book's redirect to the landing page
            page.wait_for_url(f"{base}/README.html", timeout=10_000)
            page.wait_for_load_state("load")
        has_math = wait_for_math(page)
        wait_for_images(page)

        if has_math:
            unrendered = page.evaluate(
                "() => Array.from(document.querySelectorAll('.math'))"
                ".filter(m => !m.querySelector('mjx-container')).map(m => m.textContent)")
            problems += [f"math not typeset: {t[:80]}" for t in unrendered]
            errors = page.evaluate("() => Array.from(document.querySelectorAll('mjx-merror'))"
                                   ".map(e => e.getAttribute('data-mjx-error') || e.textContent)")
            problems += [f"MathJax error: {e}" for e in errors]
            # An unknown macro is not an error to MathJax: it shows it in red, as text.
            unknown = page.evaluate(
                "() => Array.from(document.querySelectorAll('mjx-assistive-mml mtext[mathcolor=red]'))"
                ".map(e => e.textContent).filter(t => t.startsWith('\\\\'))")
            problems += [f"MathJax does not know {u}" for u in unknown]
        prose = page.evaluate("""() => {
            const main = document.querySelector('main') || document.body;
            const copy = main.cloneNode(true);
            copy.querySelectorAll('pre, code, mjx-container, script, style, textarea, .highlight')
                .forEach(e => e.remove());
            return copy.innerText; }""")
        problems += [f"raw TeX left in the text: ...{prose[max(0, m.start() - 40):m.end() + 40]}..."
                     for m in RAW_MATH.finditer(prose)]

        images = page.evaluate("() => Array.from(document.images).map(img => "
                               "({src: img.currentSrc || img.src, width: img.naturalWidth}))")
        problems += [f"image not loaded: {i['src']}" for i in images if i["width"] <= 0]
        source = next((s for s in SOURCES if html_path(s) == page_path), "")
        if source.endswith(".ipynb"):
            shown = page.locator(".cell_output img").count()
            expected = expected_figures(source)
            if shown != expected:
                problems.append(f"{shown} figures shown, the notebook has {expected}")

        hrefs = page.evaluate("() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)")
        for href in hrefs:
            if href.startswith(base + "/"):
                why = check_link(site, base, href)
                if why:
                    problems.append(f"broken link {why}")

        sidebar = page.evaluate(
            "() => Array.from(document.querySelectorAll('nav.bd-docs-nav a.reference.internal'))"
            ".map(a => a.href)")
        listed = {urllib.parse.urlsplit(h).path.lstrip("/") for h in sidebar}
        problems += [f"sidebar does not list {html_path(s)}" for s in SOURCES[1:]
                     if html_path(s) not in listed]
        captions = page.locator("nav.bd-docs-nav .caption-text").all_inner_texts()
        if [c.strip() for c in captions] != PARTS:
            problems.append(f"sidebar parts are {captions}, expected {PARTS}")
        home = page.locator(".navbar-brand, .sidebar-brand").first.get_attribute("href")
        if not home:
            problems.append("no link to the landing page in the sidebar")

        if page_path in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / SCREENSHOT_PAGES[page_path]))
        found = list(problems)
    finally:
        leave_page(tab)
    found += [f"request to outside the machine: {u}" for u in outside]
    outside.clear()
    assert not found, f"{page_path}:\n" + "\n".join(found)


def test_chapter_links_open_the_exercise_and_solution_pages(site):
    """The ``../exercises/x.ipynb`` links of the notebooks point at the built pages."""
    html = (site / "notebooks" / "02_elman_rnn.html").read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"]+)"', html))
    assert "../exercises/02_elman_rnn_exercises.html" in hrefs
    assert "../solutions/02_elman_rnn_exercises.html" in hrefs


def test_long_code_cells_are_folded(site):
    """A code cell longer than the fold limit (_config.yml) is shown behind a toggle."""
    import yaml

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    fold_lines = config["sphinx"]["config"]["nb_custom_formats"][".ipynb"][1]["fold_lines"]
    for source in SOURCES:
        if not source.endswith(".ipynb"):
            continue
        cells = nbformat.read(ROOT / source, as_version=4).cells
        long_cells = sum(c.cell_type == "code" and c.source.count("\n") + 1 > fold_lines
                         for c in cells)
        html = (site / html_path(source)).read_text(encoding="utf-8")
        folded = len(re.findall(r'class="[^"]*\btag_hide-input\b', html))
        assert folded >= long_cells, f"{source}: {long_cells} long cells, {folded} folded"


def test_site_takes_nothing_from_a_cdn(site):
    """MathJax and the theme are served by the site (the course reads offline)."""
    for page in (site / "notebooks").glob("*.html"):
        scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page.read_text(encoding="utf-8"))
        assert not [s for s in scripts if re.match(r"(https?:)?//", s)], page.name
    assert (site / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert set(SCREENSHOT_PAGES) <= {html_path(s) for s in SOURCES}
