"""The built book in a real browser, with the network off.

Debian's Chromium (``/usr/bin/chromium``, or ``$CHROMIUM``; ``make test`` installs it),
driven by Playwright, opens every page of the smoke-scale book three times: served by a
local ``http.server`` at a laptop's width (1280 px) and a phone's (390 px), and straight
from the file system at 1280 px. Every request that would leave the machine goes to a
closed port, and is reported. On each page: the page is no wider than the window (the
main column does not overflow it), no console errors or uncaught exceptions, no failed
or non-local request, every image loads (and, in the text, says what it shows), every
equation is typeset by MathJax, every audio element has a playable source, and axe-core
finds no serious or critical accessibility violation (at both widths). Search, page
navigation, the light/dark switch, the download menu and the scoreboard's filters are
used as a reader would; at both widths every column of the scoreboard is on screen.
Screenshots of the landing page, the scoreboard and a reproduction at both widths go to
``_build/screenshots/``.

The first tests run the same checks on small pages broken on purpose, so that a
check that stopped seeing anything would fail.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import math
import os
import struct
import threading
import wave
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from backprop_book import build as book

from .conftest import ROOT, need

pytestmark = pytest.mark.slow

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# The height a full-page screenshot has: the document's, in CSS pixels (the device scale is 1).
HEIGHT_JS = "() => Math.ceil(document.documentElement.scrollHeight)"
SCREENSHOTS = ROOT / "_build" / "screenshots"
# As root, in a container, headless; no traffic of Chromium's own (updates, sync, ...);
# and the network off: every request not to loopback goes to a proxy on a closed port.
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=http://127.0.0.1:9"]
LOCAL = ("file:", "data:", "blob:", "about:", "http://127.0.0.1:", "http://localhost:")

# Every page the book has: the table of contents, the landing redirect, search and index.
PAGES = ["index.html", *(entry + ".html" for entry in book.toc_files(ROOT)), "search.html", "genindex.html"]
NOTEBOOK_PAGE = next(p for p in PAGES if p.startswith("notebooks/"))
SCOREBOARD = "notebooks/scoreboard.html"
REPRODUCTION = "notebooks/rhw1986_pdp_xor.html"
WIDTHS = {"laptop": 1280, "phone": 390}


# ---------------------------------------------------------------- what is checked on a page

IMAGES_JS = """async () => {
  const images = [...document.images];
  images.forEach((i) => { i.loading = "eager"; });
  const settled = (i) => i.complete ? null : new Promise((done) => {
    i.addEventListener("load", done); i.addEventListener("error", done); setTimeout(done, 10000);
  });
  await Promise.all(images.map(settled));
  return images.map((i) => ({src: i.getAttribute("src"), loaded: i.complete && i.naturalWidth > 0,
                             alt: i.getAttribute("alt"), inText: !!i.closest("article")}));
}"""

MATH_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  const maths = [...document.querySelectorAll(".math")];
  return {total: maths.length,
          typeset: maths.filter((m) => m.querySelector("mjx-container")).length,
          errors: [...document.querySelectorAll("mjx-merror")].map((e) => e.textContent)};
}"""

AUDIO_JS = """async () => Promise.all([...document.querySelectorAll("audio")].map((a) => new Promise((done) => {
  const sources = [a.getAttribute("src"), ...[...a.querySelectorAll("source")].map((s) => s.getAttribute("src"))]
    .filter((s) => s);
  if (!sources.length) return done({src: null, ok: false, why: "no source"});
  const report = (ok, why) => done({src: a.currentSrc || sources[0], ok, why});
  if (a.readyState >= 1) return report(a.duration > 0, "duration " + a.duration);
  a.addEventListener("loadedmetadata", () => report(a.duration > 0, "duration " + a.duration), {once: true});
  a.addEventListener("error", () => report(false, "media error " + (a.error && a.error.code)), {once: true});
  setTimeout(() => report(false, "no playable source (network state " + a.networkState + ")"), 10000);
  a.preload = "metadata";
  a.load();
})))"""

# How far the page, and its main column, reach beyond the window (a wide block that scrolls
# inside itself, like a long line of code, is no overflow).
OVERFLOW_JS = """() => {
  const main = document.querySelector("main") || document.body;
  return {page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
          main: main.scrollWidth - main.clientWidth,
          width: document.documentElement.clientWidth};
}"""

AXE_JS = """async () => {
  // The theme's Font Awesome turns <i> icons into inline SVG asynchronously; let it
  // finish first, or axe may judge a button (the colour-mode switch) half-converted.
  if (window.FontAwesome && FontAwesome.dom && FontAwesome.dom.i2svg) await FontAwesome.dom.i2svg();
  await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}×, e.g. ${v.nodes[0].target.join(" ")})`);
}"""


def looks_like_a_file_name(alt: str) -> bool:
    return alt.strip().lower().endswith((".png", ".jpg", ".jpeg", ".svg", ".gif", ".webp"))


def open_page(context, url: str, problems: list):
    """A new tab on ``url``, loaded, with everything that goes wrong while it loads added to ``problems``."""
    page = context.new_page()
    page.on("console", lambda m: m.type == "error" and problems.append(f"console error: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"uncaught exception: {e}"))
    # (a request cancelled because the page moved on, net::ERR_ABORTED, is no failure)
    page.on("requestfailed", lambda r: r.failure == "net::ERR_ABORTED"
            or problems.append(f"request failed: {r.url} ({r.failure})"))
    page.on("request", lambda r: r.url.startswith(LOCAL) or problems.append(f"request to the network: {r.url}"))
    page.on("response", lambda r: r.status >= 400 and problems.append(f"HTTP {r.status}: {r.url}"))
    page.goto(url, wait_until="load")
    return page


def check_page(context, url: str, accessibility: bool = True, lands_on: str | None = None) -> list[str]:
    """Everything wrong with the page at ``url``, as readable lines (empty: nothing).

    ``lands_on``: the page forwards the reader there (a glob for the URL); that page is checked.
    """
    problems: list[str] = []
    page = open_page(context, url, problems)
    if lands_on:
        page.wait_for_url(lands_on)
        page.wait_for_load_state("load")
    overflow = page.evaluate(OVERFLOW_JS)
    if overflow["page"] > 0 or overflow["main"] > 0:
        problems.append(f"wider than the window ({overflow['width']} px): the page by {overflow['page']} px, "
                        f"its main column by {overflow['main']} px")
    math_report = page.evaluate(MATH_JS)
    if math_report["typeset"] < math_report["total"]:
        problems.append(f"{math_report['total'] - math_report['typeset']} of {math_report['total']} equations not typeset")
    problems += [f"TeX error in an equation: {e}" for e in math_report["errors"]]
    for image in page.evaluate(IMAGES_JS):
        if not image["loaded"]:
            problems.append(f"image does not load: {image['src']}")
        if image["alt"] is None:
            problems.append(f"image without alt text: {image['src']}")
        elif image["inText"] and (not image["alt"].strip() or looks_like_a_file_name(image["alt"])):
            problems.append(f"figure whose alt text does not say what it shows: {image['src']} (alt={image['alt']!r})")
    for audio in page.evaluate(AUDIO_JS):
        if not audio["ok"]:
            problems.append(f"audio without a playable source: {audio['src']} ({audio['why']})")
    if accessibility:
        page.add_script_tag(content=AXE.read_text())
        problems += [f"accessibility: {v}" for v in page.evaluate(AXE_JS)]
    page.wait_for_timeout(200)  # let late console messages arrive
    page.close()
    return problems


# ---------------------------------------------------------------- fixtures

@contextlib.contextmanager
def serve(folder: Path):
    """``python -m http.server`` on a free loopback port, in a thread; yields its base URL."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def copyfile(self, source, outputfile):
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser moved on
                super().copyfile(source, outputfile)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser():
    need("chromium", f"none at {CHROMIUM}: `make test` installs Debian's package, or set CHROMIUM to one",
         present=CHROMIUM.is_file())
    need("playwright", "it drives Chromium")
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): run `npm ci` in the repository root (`make test` does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    yield context
    context.close()


@pytest.fixture(scope="module")
def contexts(browser):
    """One context per width, shared by the module's tests (a tab is opened per page)."""
    made = {name: browser.new_context(viewport={"width": width, "height": 800}) for name, width in WIDTHS.items()}
    yield made
    for context in made.values():
        context.close()


@pytest.fixture(scope="module")
def site(smoke_book):
    with serve(smoke_book) as base:
        yield base


def url_of(page: str, mode: str, site: str, html: Path) -> str:
    if mode == "http":
        return site + page
    path, _, query = page.partition("?")
    return (html / path).as_uri() + ("?" + query if query else "")


# ---------------------------------------------------------------- the checks see what they should

def _tone(path: Path, seconds: float = 0.25, rate: int = 8000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * t / rate)))
                               for t in range(int(seconds * rate))))


def test_the_checks_pass_a_good_page(context, tmp_path):
    _tone(tmp_path / "tone.wav")
    (tmp_path / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle cx="4" cy="4" r="4"/></svg>')
    (tmp_path / "good.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Good</title><link rel="icon" href="data:,"></head><body><main>'
        '<article><h1>Good</h1><img src="dot.svg" alt="a black dot">'
        '<audio controls><source src="tone.wav" type="audio/wav"></audio></article></main></body></html>')
    with serve(tmp_path) as base:
        assert check_page(context, base + "good.html") == []


def test_the_checks_find_a_page_wider_than_the_window(contexts, tmp_path):
    (tmp_path / "wide.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Wide</title><link rel="icon" href="data:,"></head>'
        '<body><main><article><h1>Wide</h1><table><tr><td style="white-space: nowrap">' + "a very long line " * 20
        + '</td></tr></table><pre style="overflow-x: auto">' + "code that scrolls inside itself " * 20
        + '</pre></article></main></body></html>')
    with serve(tmp_path) as base:
        problems = check_page(contexts["phone"], base + "wide.html", accessibility=False)
    assert len(problems) == 1 and problems[0].startswith("wider than the window (390 px)"), problems


def test_the_checks_find_what_is_broken(context, tmp_path):
    (tmp_path / "dot.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><circle cx="4" cy="4" r="4"/></svg>')
    (tmp_path / "bad.html").write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Bad</title><link rel="icon" href="data:,"></head><body><main><article>'
        '<h1>Bad</h1><script>console.error("deliberate")</script><script>undefinedFunction()</script>'
        '<img src="missing.png" alt="a missing image"><img src="dot.svg"><img src="dot.svg" alt="../_images/dot.png">'
        '<img src="https://example.org/remote.png" alt="a remote image">'
        '<span class="math">\\(x^2\\)</span>'
        '<audio controls><source src="missing.wav" type="audio/wav"></audio><audio controls></audio>'
        '</article></main></body></html>')
    with serve(tmp_path) as base:
        problems = check_page(context, base + "bad.html")
    expected = {
        "console error: deliberate": "a console error",
        "uncaught exception: undefinedFunction": "an uncaught exception",
        "image does not load: missing.png": "a missing image",
        "request to the network: https://example.org/remote.png": "a request off the machine",
        "image without alt text: dot.svg": "an image without alt text",
        "figure whose alt text does not say": "alt text that is a file name",
        "1 of 1 equations not typeset": "an equation MathJax did not typeset",
        "audio without a playable source: None (no source)": "an audio element with no source",
        "audio without a playable source: ": "an audio element whose source is missing",
        "accessibility: critical image-alt": "axe-core's image-alt rule",
    }
    for start, what in expected.items():
        assert any(p.startswith(start) for p in problems), f"{what} was not reported: {problems}"


# ---------------------------------------------------------------- the book

def test_the_page_list_is_complete(smoke_book):
    built = {p.relative_to(smoke_book).as_posix() for p in smoke_book.rglob("*.html") if "_static" not in p.parts}
    assert built == set(PAGES)


@pytest.mark.parametrize("mode,width", [("http", "laptop"), ("http", "phone"), ("file", "laptop")])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_offline(contexts, site, smoke_book, page, mode, width):
    # axe-core looks at the DOM, the same served or from the disk: run it on the served page, at both widths
    lands_on = "**/" + book.toc_files(ROOT)[0] + ".html" if page == "index.html" else None
    problems = check_page(contexts[width], url_of(page, mode, site, smoke_book), accessibility=mode == "http", lands_on=lands_on)
    assert not problems, f"{page} ({mode}, {WIDTHS[width]} px):\n" + "\n".join(problems)


def test_equations_are_typeset_by_the_books_own_mathjax(context, site):
    problems: list[str] = []
    page = open_page(context, site + NOTEBOOK_PAGE, problems)
    report = page.evaluate(MATH_JS)
    scripts = page.evaluate("[...document.scripts].map((s) => s.src).filter((s) => s.includes('mathjax'))")
    assert report["total"] >= 3 and report["typeset"] == report["total"], report
    assert scripts and all(s.startswith(site + "_static/mathjax/") for s in scripts), scripts
    assert not problems, problems


@pytest.mark.parametrize("mode", ["http", "file"])
def test_search_finds_a_notebook(context, site, smoke_book, mode):
    problems: list[str] = []
    page = open_page(context, url_of("search.html?q=network", mode, site, smoke_book), problems)
    results = page.locator("#search-results ul.search li a")
    results.first.wait_for(timeout=10000)
    hrefs = [results.nth(i).get_attribute("href") for i in range(results.count())]
    assert any(h.startswith("notebooks/") and h.endswith(".html") for h in hrefs), hrefs
    assert not problems, problems


def test_the_search_box_leads_to_results(context, site):
    problems: list[str] = []
    page = open_page(context, site + "book/intro.html", problems)
    page.keyboard.press("Control+k")
    box = page.locator("#pst-search-dialog input[name=q]")
    box.fill("network")
    box.press("Enter")
    page.wait_for_url("**/search.html?q=network*")
    page.locator("#search-results ul.search li").first.wait_for(timeout=10000)
    assert not problems, problems


def test_next_and_previous_lead_through_the_book(context, site):
    problems: list[str] = []
    page = open_page(context, site + "book/intro.html", problems)
    toc = [entry + ".html" for entry in book.toc_files(ROOT)]
    for following in toc[1:]:
        page.locator("a.right-next").click()
        page.wait_for_url(site + following)
    for preceding in reversed(toc[:-1]):
        page.locator("a.left-prev").click()
        page.wait_for_url(site + preceding)
    assert not problems, problems


def test_dark_mode_is_readable(context, site):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    page = open_page(context, site + NOTEBOOK_PAGE, problems)
    for _ in range(3):  # the switch cycles through light, dark and the system's choice
        if page.evaluate("document.documentElement.dataset.theme") == "dark":
            break
        page.locator(".theme-switch-button").first.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert sum(int(c) for c in background[background.index("(") + 1:-1].split(",")[:3]) < 3 * 80, background
    page.evaluate(MATH_JS)
    page.evaluate(IMAGES_JS)
    page.screenshot(path=SCREENSHOTS / "reproduction-dark.png", full_page=True)
    page.add_script_tag(content=AXE.read_text())
    violations = page.evaluate(AXE_JS)
    assert not violations, violations
    assert not problems, problems


def test_the_system_dark_preference_is_followed(browser, site):
    context = browser.new_context(color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(site + "book/intro.html")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    finally:
        context.close()


def test_a_notebook_page_offers_its_ipynb_and_md(context, site):
    problems: list[str] = []
    page = open_page(context, site + NOTEBOOK_PAGE, problems)
    page.locator(".dropdown-download-buttons > button").click()
    links = page.locator(".dropdown-download-buttons .dropdown-menu a")
    links.first.wait_for(state="visible")
    hrefs = {links.nth(i).inner_text().strip(): links.nth(i).get_attribute("href") for i in range(links.count())}
    assert {".ipynb", ".md"} <= set(hrefs), hrefs
    absolute = {suffix: page.evaluate("(h) => new URL(h, location.href).href", h) for suffix, h in hrefs.items()}
    notebook = context.request.get(absolute[".ipynb"])
    assert notebook.ok, absolute[".ipynb"]
    cells = json.loads(notebook.body())["cells"]
    assert any(c.get("outputs") for c in cells if c["cell_type"] == "code"), "the .ipynb offered is not the executed one"
    source = context.request.get(absolute[".md"])
    assert source.ok, absolute[".md"]
    expected = (ROOT / NOTEBOOK_PAGE).with_suffix(".md").read_text()
    assert source.text() == expected, "the .md offered is not the notebook's source"
    assert not problems, problems


# Where each cell of the scoreboard's rows lies, against the window.
COLUMNS_JS = """() => {
  const rows = [...document.querySelectorAll("table.scoreboard-claims tbody tr")].filter((r) => !r.hidden);
  const width = document.documentElement.clientWidth;
  return {width, rows: rows.length, off: rows.flatMap((r) => [...r.cells].map((c) => {
    const box = c.getBoundingClientRect();
    return {claim: r.dataset.claim, column: c.dataset.label, left: box.left, right: box.right, w: box.width};
  })).filter((c) => c.left < 0 || c.right > width + 0.5 || c.w < 20)};
}"""


@pytest.mark.parametrize("width", WIDTHS)
def test_the_scoreboard_shows_every_column(contexts, site, width):
    problems: list[str] = []
    page = open_page(contexts[width], site + SCOREBOARD, problems)
    report = page.evaluate(COLUMNS_JS)
    assert report["rows"] > 0, "the scoreboard has no claims"
    assert not report["off"], f"cells off the screen or squeezed at {report['width']} px: {report['off'][:5]}"
    row = page.locator("table.scoreboard-claims tbody tr").first
    for column in ("claim", "ours", "paper", "verdict", "seeds"):
        assert row.locator(f'td[data-label="{column}"]').is_visible(), column
    # the wording, source and rule are one click away
    details = row.locator("details")
    assert not details.locator("dl").is_visible()
    details.locator("summary").click()
    assert details.locator("dl").is_visible() and "the paper says" in details.inner_text() and "rule" in details.inner_text()
    assert not problems, problems


def test_the_scoreboard_filters_by_verdict_and_paper(contexts, site):
    problems: list[str] = []
    page = open_page(contexts["laptop"], site + SCOREBOARD, problems)
    rows = page.locator("table.scoreboard-claims tbody tr")
    total = rows.count()

    def shown():
        return page.evaluate("[...document.querySelectorAll('table.scoreboard-claims tbody tr')].filter((r) => !r.hidden)"
                             ".map((r) => [r.dataset.paper, r.dataset.verdict])")

    verdicts = {v for _, v in shown()}
    papers = {p for p, _ in shown()}
    for verdict in verdicts:
        page.select_option("select[name=verdict]", verdict)
        assert shown() and {v for _, v in shown()} == {verdict}
        count = page.locator(f'table.scoreboard-summary tr:last-child [data-verdict="{verdict}"]').inner_text()
        assert len(shown()) == int(count), (verdict, count)
    page.locator(".scoreboard-filters button", has_text="Show all").click()
    assert len(shown()) == total
    paper = sorted(papers)[0]
    page.select_option("select[name=paper]", paper)
    assert {p for p, _ in shown()} == {paper}
    assert str(len(shown())) in page.locator(".scoreboard-status").inner_text()
    # a count of the summary is a filter too: the claims of one paper with one verdict
    button = page.locator("table.scoreboard-summary button.count[data-paper][data-verdict]").first
    expected = int(button.inner_text())
    button.click()
    assert len(shown()) == expected
    assert not problems, problems


@pytest.mark.parametrize("width", WIDTHS)
def test_screenshots_of_the_landing_the_scoreboard_and_a_reproduction(contexts, site, width):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    context, viewport = contexts[width], WIDTHS[width]
    page = open_page(context, site + "index.html", problems)
    page.wait_for_url(site + book.toc_files(ROOT)[0] + ".html")  # index.html forwards to the first page
    page.evaluate(IMAGES_JS)
    shots = {f"landing-{viewport}.png": page}
    for name, path in ((f"scoreboard-{viewport}.png", SCOREBOARD), (f"reproduction-{viewport}.png", REPRODUCTION)):
        shots[name] = open_page(context, site + path, problems)
        shots[name].evaluate(MATH_JS)
        shots[name].evaluate(IMAGES_JS)
    pixels = {}
    for name, shot in shots.items():
        height = shot.evaluate(HEIGHT_JS)
        shot.screenshot(path=SCREENSHOTS / name, full_page=True)
        with Image.open(SCREENSHOTS / name) as image:
            pixels[name] = np.asarray(image.convert("RGB"))
        # the whole page (full_page: the document's height, at least the viewport's), at the viewport's width
        rows, columns = pixels[name].shape[:2]
        assert columns == viewport and abs(rows - max(height, 800)) <= 2, (name, pixels[name].shape, height)
        colours, counts = np.unique(pixels[name][:4000].reshape(-1, 3), axis=0, return_counts=True)
        # drawn, not blank: besides the background, text and figures cover part of the page in many shades
        assert 0.02 < 1 - counts.max() / counts.sum() < 0.9 and len(colours) > 50, (name, len(colours))
        shot.close()
    first, *others = pixels.values()
    assert all(first.shape != other.shape or np.any(first != other) for other in others), "two screenshots are the same page"
    assert not problems, problems
