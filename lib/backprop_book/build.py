"""Builds the executed book: run the notebooks, stage the sources, call Jupyter Book.

The table of contents (``_toc.yml``) says which pages exist. Pages under
``notebooks/`` are executed by :mod:`backprop_book.runner` (cached), and the
executed ``.ipynb`` files are staged, with the chapter pages of ``book/`` and the
configuration, into ``_build/source``; Jupyter Book then renders that folder
with execution off, ``-n -W --keep-going``: a warning or a broken reference
fails the build, and a notebook that raises has already stopped it.

Two things are staged for the reader's browser rather than for Sphinx, in a
folder that ``html_extra_path`` copies verbatim into the HTML: MathJax (from
the npm package, so that equations render with the network off) and each
notebook's MyST source, offered for download beside the executed ``.ipynb``.
This module is also the small Sphinx extension (named in ``_config.yml``) that
wires both into the pages; see :func:`setup`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from backprop_book.runner import NotebookError

STAGED = ("_config.yml", "_toc.yml", "book", "references.bib")
STATIC = Path("book") / "_static"  # the book's CSS and JS, staged as _static (Jupyter Book links each file in it)
EXTRA = "_extra"  # staged folder copied verbatim into the HTML (html_extra_path in _config.yml)
MATHJAX = Path("node_modules") / "mathjax" / "es5"  # `npm ci` puts it there (package.json)
MATHJAX_ENTRY = "tex-mml-chtml.js"  # the combined component that _config.yml's mathjax_path names
THUMBNAILS = Path("book") / "thumbnails"  # staged: images glued as "<name>_thumbnail" by the executed notebooks
# The repository's public address, where the committed _config.yml leaves it empty (see stage_config)
REPOSITORY_URL = "BACKPROP_BOOK_REPOSITORY_URL"
REPOSITORY_BRANCH = "BACKPROP_BOOK_REPOSITORY_BRANCH"
_REPOSITORY = re.compile(r"^https://(github\.com|gitlab\.com)/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def find_root(start: Path | str = ".") -> Path:
    """The book's root: the first folder upwards from ``start`` with ``_config.yml`` and ``_toc.yml``."""
    start = Path(start).resolve()
    for d in (start, *start.parents):
        if (d / "_config.yml").is_file() and (d / "_toc.yml").is_file():
            return d
    raise FileNotFoundError(f"no _config.yml and _toc.yml in {start} or above: run this inside the book's repository")


def toc_files(root: Path) -> list[str]:
    """Every ``file:`` entry of ``_toc.yml``, in order."""
    import yaml

    def walk(node):
        if isinstance(node, dict):
            for key in ("root", "file"):
                if key in node:
                    yield node[key]
            for value in node.values():
                if isinstance(value, (list, dict)):
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return list(walk(yaml.safe_load((root / "_toc.yml").read_text())))


def notebooks(root: Path) -> list[Path]:
    """The executable notebooks the book contains (``notebooks/*.md`` named in the toc)."""
    found = []
    for entry in toc_files(root):
        path = root / (entry if entry.endswith(".md") else entry + ".md")
        if path.parts[len(root.parts)] == "notebooks":
            if not path.is_file():
                raise FileNotFoundError(f"_toc.yml names {entry}, but {path} does not exist")
            found.append(path)
    return found


def registered_parameters(root: Path) -> dict[str, dict]:
    """``{notebook: parameters}`` of every notebook a claims file names: the book runs each one
    as its reproduction does (the same corpus, the same settings), so the page shows the run the
    scoreboard judges, and the two share one cached run."""
    from backprop_book import claims

    return {nb: params for paper in claims.load_all(root) for nb, params in paper.notebooks().items()}


def build(root: Path | str = ".", scale: str = "full", output_root: Path | str | None = None, force: bool = False,
          scheduler: str | None = None, workers: int | None = None, log=sys.stderr) -> Path:
    """Execute every notebook at ``scale`` and build the HTML; returns the path of index.html.

    The notebooks run as tasks of :func:`backprop_book.executor.run_all` (Dask: an embedded
    cluster, or ``scheduler``), each with its default seed. Everything is written below
    ``output_root/_build`` (``output_root`` defaults to the root).
    """
    from backprop_book.executor import Task, run_all

    root = find_root(root)
    build_dir = Path(output_root or root).resolve() / "_build"
    source = build_dir / "source"
    registered = registered_parameters(root)
    # a reproduction's page is the first seed of its record (seed 0): the same task, so one cached run
    tasks = [Task(nb.relative_to(root).as_posix(), {**registered[rel], "scale": scale, "seed": 0} if (rel := nb.relative_to(root).as_posix()) in registered
                  else {"scale": scale}) for nb in notebooks(root)]
    outcomes = run_all(root, tasks, build_dir / "executed", force=force, scheduler=scheduler, workers=workers, log=log)
    failed = [o for o in outcomes if o.error is not None]
    if failed:
        raise NotebookError("\n".join(f"{o.task.notebook} failed: {o.error}" for o in failed))
    results = [o.result for o in outcomes]

    shutil.rmtree(source, ignore_errors=True)
    source.mkdir(parents=True)
    for name in STAGED:
        if (root / name).is_dir():
            shutil.copytree(root / name, source / name, ignore=shutil.ignore_patterns("_static"))
        elif (root / name).is_file():
            shutil.copy2(root / name, source / name)
    stage_config(root, source / "_config.yml")
    if (root / STATIC).is_dir():
        shutil.copytree(root / STATIC, source / "_static")
    stage_mathjax(root, source / EXTRA / "_static" / "mathjax")
    write_index(root, source / EXTRA / "index.html")
    (source / "notebooks").mkdir()
    from backprop_book import spread

    for result in results:
        staged = source / "notebooks" / (result.source.stem + ".ipynb")
        shutil.copy2(result.notebook, staged)
        spread.add_to(staged, root, result.source.relative_to(root).as_posix())  # a reproduction's seeds, from its record
        # the MyST source lands beside the executed notebook in the HTML's _sources/
        markdown = source / EXTRA / "_sources" / "notebooks" / result.source.name
        markdown.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(result.source, markdown)
    stage_thumbnails(source / "notebooks", source / THUMBNAILS)

    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(source), "--path-output", str(build_dir.parent),
               "--builder", "html", "-n", "-W", "--keep-going"]
    print("building the HTML: " + " ".join(command), file=log, flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        print(done.stdout, file=log)
        raise RuntimeError(f"jupyter-book failed (exit {done.returncode}); its output is above")
    return build_dir / "html" / "index.html"


def stage_thumbnails(executed: Path, dest: Path) -> list[Path]:
    """Write each PNG that an executed notebook in ``executed`` glues under a name ending in
    ``_thumbnail`` to ``dest/<name>.png`` (the landing page shows the timeline's this way:
    myst-nb cannot give a figure pasted from another page its alt text). Returns the files."""
    import base64

    import nbformat

    written = []
    for path in sorted(Path(executed).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            for output in cell.get("outputs", []):
                glued = output.get("metadata", {}).get("scrapbook", {})
                png = output.get("data", {}).get(glued.get("mime_prefix", "") + "image/png")
                if glued.get("name", "").endswith("_thumbnail") and png:
                    dest.mkdir(parents=True, exist_ok=True)
                    written.append(dest / f"{glued['name']}.png")
                    written[-1].write_bytes(base64.b64decode(png))
    return written


def stage_config(root: Path, dest: Path, environ=os.environ) -> dict:
    """Stage ``_config.yml`` at ``dest`` with the repository's address from the environment.

    ``BACKPROP_BOOK_REPOSITORY_URL`` (``https://github.com/OWNER/REPO``) sets ``repository.url``,
    and ``BACKPROP_BOOK_REPOSITORY_BRANCH`` its branch; with the address, the pages get their
    repository, source, issue and Binder buttons (see :func:`setup`). Unset, the committed
    file is copied as it is. Returns the repository settings staged.
    """
    import yaml

    text = (root / "_config.yml").read_text()
    config = yaml.safe_load(text)
    url, branch = environ.get(REPOSITORY_URL, "").strip(), environ.get(REPOSITORY_BRANCH, "").strip()
    if url:
        url = url.rstrip("/").removesuffix(".git")
        if not _REPOSITORY.match(url):
            raise ValueError(f"{REPOSITORY_URL}={environ[REPOSITORY_URL]!r}: expected a repository's address, "
                             "https://github.com/OWNER/REPO (or gitlab.com)")
        config.setdefault("repository", {})["url"] = url
    if branch:
        config.setdefault("repository", {})["branch"] = branch
    dest.parent.mkdir(parents=True, exist_ok=True)
    if url or branch:
        dest.write_text(f"# {root / '_config.yml'}, with the repository from ${REPOSITORY_URL} / ${REPOSITORY_BRANCH}\n"
                        + yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    else:
        dest.write_text(text)
    return config.get("repository", {})


def stage_mathjax(root: Path, dest: Path) -> None:
    """Copy MathJax 3 (its entry point and every component it may load) to ``dest``.

    The other combined entry points are left out: the book loads only ``MATHJAX_ENTRY``.
    """
    es5 = root / MATHJAX
    if not (es5 / MATHJAX_ENTRY).is_file():
        raise FileNotFoundError(
            f"MathJax is missing ({es5 / MATHJAX_ENTRY}): the book serves it itself so that equations "
            "render offline; install it with `npm ci` in the repository root (`make book` does)"
        )
    unused = {p.name for p in es5.glob("*.js")} - {MATHJAX_ENTRY}
    shutil.copytree(es5, dest, ignore=lambda folder, names: unused if Path(folder) == es5 else ())


def write_index(root: Path, dest: Path) -> None:
    """The HTML's ``index.html``: a complete page that forwards to the root page of ``_toc.yml``.

    Written before Sphinx runs, it replaces the bare one-line redirect that
    Jupyter Book would write (a page with no language or title).
    """
    import html

    import yaml

    title = html.escape(str(yaml.safe_load((root / "_config.yml").read_text()).get("title", "")))
    first = yaml.safe_load((root / "_toc.yml").read_text())["root"]
    target = html.escape(first.removesuffix(".md") + ".html")
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(  # (an empty icon: otherwise browsers ask the server for /favicon.ico)
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        '<link rel="icon" href="data:,">\n'
        f'<meta http-equiv="refresh" content="0; url={target}">\n</head>\n'
        f'<body>\n<main><p><a href="{target}">{title}</a></p></main>\n</body>\n</html>\n'
    )


def setup(app):
    """Sphinx extension: a notebook page's source is its MyST ``.md``, not the staged ``.ipynb``.

    A notebook page is rendered from the executed ``notebooks/NAME.ipynb``, which
    Sphinx copies to ``_sources/``; its source in the repository is
    ``notebooks/NAME.md``, which :func:`build` stages beside it. Before
    sphinx-book-theme makes its header buttons (priority 501) the page's source
    suffix becomes ``.md``, so that "show source" and "edit" point at the
    ``.md`` in the repository, and the executed notebook becomes the theme's
    ``ipynb_source``; afterwards the "download source" button is pointed at the
    ``.md``. The download menu then offers both.

    Repository, source, issue and launch (Binder) links all come from one setting,
    ``repository.url`` in ``_config.yml`` (or ``$BACKPROP_BOOK_REPOSITORY_URL``, see
    :func:`stage_config`); while it is empty they are left out, rather than pointing
    somewhere wrong. The theme points the launch links at the staged ``.ipynb``, which the
    repository does not have: Binder's is pointed at the ``.md``, which the ``binder/``
    environment opens as a notebook (jupytext); Colab's is dropped, since Colab opens
    only ``.ipynb`` files from a repository.
    """
    app.connect("config-inited", _repository_links)
    app.connect("html-page-context", _unique_scripts)
    app.connect("html-page-context", _markdown_source, priority=500)
    app.connect("html-page-context", _download_markdown, priority=502)
    app.connect("html-page-context", _launch_markdown, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def _repository_links(app, config) -> None:
    options = config.html_theme_options
    if options.get("repository_url"):
        # Jupyter Book's defaults set these to False, so a False here says nothing of the book's wish
        options.update(use_repository_button=True, use_source_button=True, use_issues_button=True)
    else:
        options.pop("launch_buttons", None)  # the theme cannot make launch links without a repository


def _launch_markdown(app, pagename, templatename, context, doctree) -> None:
    if not _has_markdown_source(app, pagename, context):
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        kept = []
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                continue
            if button.get("text") == "Binder" and button["url"].endswith(pagename + ".ipynb"):
                button["url"] = button["url"].removesuffix(".ipynb") + ".md"
            kept.append(button)
        group["buttons"] = kept
    context["header_buttons"] = [g for g in context.get("header_buttons", []) if g.get("label") != "launch-buttons" or g["buttons"]]


def _unique_scripts(app, pagename, templatename, context, doctree) -> None:
    """Drop repeated inline scripts.

    Sphinx 7.4 lists an inline script that an extension adds after the builder
    starts twice (once named None, once ''); sphinx-thebe's ``const THEBE_JS_URL``
    then throws "has already been declared" on every page.
    """
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for js in scripts:
            key = (js.filename or "", js.priority, tuple(sorted(js.attributes.items())))
            if key not in seen:
                seen.add(key)
                unique.append(js)
        scripts[:] = unique


def _has_markdown_source(app, pagename, context) -> bool:
    staged = Path(app.srcdir) / EXTRA / "_sources" / (pagename + ".md")
    return context.get("sourcename", "").endswith(".ipynb") and staged.is_file()


def _markdown_source(app, pagename, templatename, context, doctree) -> None:
    if _has_markdown_source(app, pagename, context):
        context["ipynb_source"] = context["sourcename"]
        context["page_source_suffix"] = ".md"


def _download_markdown(app, pagename, templatename, context, doctree) -> None:
    if not _has_markdown_source(app, pagename, context):
        return
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []):
            if button.get("label") == "download-source-button":
                button["url"] = f"{context['pathto']('_sources', 1)}/{pagename}.md"
                button["tooltip"] = "Download the notebook's source (MyST markdown)"
