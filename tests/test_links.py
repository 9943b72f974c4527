"""Every internal link of the built book leads somewhere: to a file that exists and, for
``page.html#anchor``, to an element with that id.

A small checker over the HTML, not linkchecker: linkchecker drops root privileges to
``nobody`` (who cannot read pytest's temporary folders) and paces its requests to a local
server at a few a second. External links are checked by ``make linkcheck-external``, which
needs the network and is not part of the tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# The attributes that point at another file, by element.
LINKS = {"a": "href", "link": "href", "img": "src", "script": "src", "source": "src",
         "audio": "src", "video": "src", "track": "src", "iframe": "src", "embed": "src"}
EXTERNAL = ("http", "https", "mailto", "data", "javascript", "tel")


@dataclass
class Page:
    ids: set = field(default_factory=set)
    links: list = field(default_factory=list)  # (line, url)


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.page = Page()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if attrs.get(key):
                self.page.ids.add(attrs[key])
        url = attrs.get(LINKS.get(tag, ""))
        if url is not None:
            self.page.links.append((self.getpos()[0], url))

    handle_startendtag = handle_starttag


def parse(path: Path) -> Page:
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser.page


def broken_links(html_dir: Path) -> list[str]:
    """Every internal link of every page below ``html_dir`` that leads nowhere, as readable lines."""
    html_dir = Path(html_dir).resolve()
    pages = {p: parse(p) for p in sorted(html_dir.rglob("*.html")) if "_static" not in p.relative_to(html_dir).parts}
    problems = []
    for path, page in pages.items():
        where = path.relative_to(html_dir)
        for line, url in page.links:
            parts = urlsplit(url)
            if parts.scheme in EXTERNAL or parts.netloc or url.startswith("//"):
                continue
            if parts.scheme:
                problems.append(f"{where}:{line}: {url}: a {parts.scheme}: link cannot work once the book is published")
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if html_dir not in (target, *target.parents):
                problems.append(f"{where}:{line}: {url}: leads outside the book")
                continue
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                problems.append(f"{where}:{line}: {url}: no such file")
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html":
                ids = (pages.get(target) or parse(target)).ids
                if fragment not in ids:
                    problems.append(f"{where}:{line}: {url}: no element with id {fragment!r} in {target.relative_to(html_dir)}")
    return problems


def test_the_checker_finds_broken_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "img.png").write_bytes(b"\x89PNG")
    (tmp_path / "sub" / "index.html").write_text('<h1 id="top">Sub</h1>')
    (tmp_path / "index.html").write_text(
        '<a href="sub/">ok</a> <a href="sub/index.html#top">ok</a> <a href="#here" id="here">ok</a>\n'
        '<a href="https://example.org/missing">external: not checked here</a> <img src="img.png" alt="ok">\n'
        '<a href="missing.html">1</a> <a href="sub/index.html#nowhere">2</a> <img src="gone.png" alt="3">\n'
        '<a href="#nowhere">4</a> <script src="../outside.js"></script> <a href="file:///etc/passwd">6</a>\n'
    )
    problems = broken_links(tmp_path)
    assert len(problems) == 6, problems
    assert all(p.startswith(("index.html:3:", "index.html:4:")) for p in problems), problems


@pytest.mark.slow
def test_the_book_has_no_broken_internal_links(smoke_book):
    pages = list(smoke_book.rglob("*.html"))
    assert len(pages) >= 5
    problems = broken_links(smoke_book)
    assert not problems, "broken links:\n" + "\n".join(problems)
