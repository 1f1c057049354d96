"""Sphinx extension of the course website (loaded by _config.yml as a local extension).

* MathJax is served by the site itself: the files come from the ``sphinx-mathjax-offline``
  wheel (MathJax 3), so the pages render their math without reaching a CDN.
* Long code cells are folded (``read_notebook``, myst-nb's reader for .ipynb files).
* ``site_static/site.css``: on a wide screen, no second search field in a top bar.
* The pages carry no Thebe (live code through a Binder): Jupyter Book always loads
  sphinx-thebe, whose inline script declares a ``const`` that its second copy (added again on
  incremental builds) redeclares, a JavaScript error on every page; the site has no Binder.
"""
import importlib.util
import os

import nbformat

from sphinx.util.fileutil import copy_asset

MATHJAX_PACKAGE = "sphinx-mathjax-offline"  # the wheel's module name has hyphens


def _mathjax_dir():
    spec = importlib.util.find_spec(MATHJAX_PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the course website serves MathJax itself: pip install sphinx-mathjax-offline "
            "(it is in rnncore's test extra)")
    return os.path.join(os.path.dirname(spec.origin), "static", "mathjax")


def _use_local_mathjax(app, config):
    _mathjax_dir()  # fail at the start of the build, not at its end
    config.mathjax_path = "mathjax/tex-chtml.js"
    config.html_static_path = [*config.html_static_path, os.path.join(os.path.dirname(__file__), "site_static")]


def _copy_mathjax(app, exc):
    if exc is None and app.builder.format == "html":
        copy_asset(_mathjax_dir(), os.path.join(app.outdir, "_static", "mathjax"))


def read_notebook(text, fold_lines=25):
    """Read a .ipynb file, tagging code cells longer than ``fold_lines`` lines ``hide-input``.

    myst-nb renders such a cell folded, behind a "Show code cell source" toggle. The file
    itself is not changed: JupyterLab still shows the whole cell. Used as myst-nb's reader
    for .ipynb (``nb_custom_formats`` in _config.yml).
    """
    notebook = nbformat.reads(text, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or cell.source.count("\n") + 1 <= fold_lines:
            continue
        tags = cell.metadata.setdefault("tags", [])
        if not {"hide-input", "hide-cell", "remove-input", "remove-cell"} & set(tags):
            tags.append("hide-input")
    return notebook


def _drop_thebe(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if scripts:
        # str() of a Sphinx script names its file and inline body
        context["script_files"] = [js for js in scripts
                                   if "sphinx-thebe" not in str(js) and "THEBE_JS_URL" not in str(js)]


def setup(app):
    app.connect("config-inited", _use_local_mathjax)
    app.connect("build-finished", _copy_mathjax)
    app.connect("html-page-context", _drop_thebe)
    app.add_css_file("site.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
