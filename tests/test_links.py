"""Every relative link of the course resolves to a file inside the repository.

The course is opened with ``jupyter lab`` at the repository root (README), so a link such as
``../exercises/02_elman_rnn_exercises.ipynb`` from a notebook in notebooks/ opens only if the
file exists and lies under the root. Links are read from the markdown cells of every notebook in
notebooks/, exercises/ and solutions/ and from the markdown pages (README, CONTRIBUTING, the
benchmarks and data pages), parsed as CommonMark: code spans and code blocks hold no links.
"""
import os
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(str(p.relative_to(ROOT)) for d in ("notebooks", "exercises", "solutions")
                   for p in (ROOT / d).glob("*.ipynb"))
PAGES = ["README.md", "CONTRIBUTING.md", "benchmarks/README.md", "rnncore/datasets/data/README.md"]
HTML_LINK = re.compile(r"""<(?:a|img)\b[^>]*?\b(?:href|src)\s*=\s*["']([^"']+)["']""", re.I)
_md = MarkdownIt("commonmark").enable("table")


def links_in_markdown(text):
    """The link and image targets of a markdown text, raw HTML ``<a>``/``<img>`` included."""
    found = []

    def walk(tokens):
        for token in tokens:
            if token.type == "link_open":
                found.append(token.attrGet("href"))
            elif token.type == "image":
                found.append(token.attrGet("src"))
            elif token.type in ("html_inline", "html_block"):
                found.extend(HTML_LINK.findall(token.content))
            if token.children:
                walk(token.children)

    walk(_md.parse(text))
    return found


def broken_links(path, text):
    problems = []
    for link in links_in_markdown(text):
        parts = urllib.parse.urlsplit(link)
        if parts.scheme or parts.netloc or not parts.path:  # a URL, or an anchor in the same page
            continue
        target = (ROOT / path).parent / urllib.parse.unquote(parts.path)
        resolved = Path(os.path.normpath(target))
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{path}: {link} points outside the repository")
        elif not resolved.exists():
            problems.append(f"{path}: {link} -> {resolved.relative_to(ROOT)} does not exist")
    return problems


def markdown_of(path):
    if path.endswith(".ipynb"):
        cells = nbformat.read(ROOT / path, as_version=4).cells
        return "\n\n".join(c.source for c in cells if c.cell_type == "markdown")
    return (ROOT / path).read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS + PAGES)
def test_relative_links_resolve(path):
    problems = broken_links(path, markdown_of(path))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", sorted(str(p.relative_to(ROOT)) for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_every_chapter_links_its_exercises(path):
    """The student's path: each chapter points to its exercise notebook."""
    exercise = f"../exercises/{Path(path).stem}_exercises.ipynb"
    assert (ROOT / "notebooks" / exercise).exists()
    assert exercise in links_in_markdown(markdown_of(path))


def test_the_link_reader_finds_links_and_skips_code():
    text = ("See [a](../exercises/x.ipynb), ![fig](img/f.png) and <img src='raw.png'>.\n\n"
            "`kernel[grid](args)` is code, not a link.\n\n```\n[b](not/a/link.md)\n```\n"
            "| table | [c](c.md) |\n|---|---|\n| 1 | 2 |\n")
    assert links_in_markdown(text) == ["../exercises/x.ipynb", "img/f.png", "raw.png", "c.md"]
    assert broken_links("notebooks/02_elman_rnn.ipynb", "[x](../nothing/here.ipynb)")
    assert broken_links("README.md", "[x](../outside.md)") == ["README.md: ../outside.md points outside the repository"]
    assert broken_links("notebooks/02_elman_rnn.ipynb",
                        "[x](../exercises/02_elman_rnn_exercises.ipynb#Exercise-1)") == []
