"""The public functions a notebook calls from :mod:`backprop_book.notebook`."""

from __future__ import annotations

import pytest

from backprop_book.notebook import checkpoint_folder


@pytest.fixture
def root(tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("title: demo\n")
    (tmp_path / "_toc.yml").write_text("root: intro\n")
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")  # a notebook runs in its own folder
    return tmp_path


def test_a_checkpoint_folder_follows_the_settings_and_only_them(root):
    settings = {"seed": 0, "every": 2500, "hidden": 40}
    first = checkpoint_folder("tdgammon", settings, "full")
    assert first.is_dir() and first.parent == root / "_build" / "checkpoints"
    assert first.name.startswith("tdgammon-") and len(first.name) == len("tdgammon-") + 12
    assert checkpoint_folder("tdgammon", dict(reversed(list(settings.items()))), "full") == first
    other = checkpoint_folder("tdgammon", {**settings, "seed": 1}, "full")
    assert other != first and other.is_dir()
    assert checkpoint_folder("other", settings, "full") != first


def test_a_smoke_run_gets_a_fresh_folder_outside_the_book(root):
    a = checkpoint_folder("tdgammon", {"seed": 0}, "smoke")
    b = checkpoint_folder("tdgammon", {"seed": 0}, "smoke")
    assert a != b and a.is_dir() and root not in a.parents
    assert not (root / "_build").exists()


def test_bad_checkpoint_arguments_are_named(root):
    with pytest.raises(ValueError, match="unknown scale 'huge'"):
        checkpoint_folder("tdgammon", {}, "huge")
    with pytest.raises(ValueError, match="plain folder name"):
        checkpoint_folder("../x", {}, "full")
    with pytest.raises(TypeError, match="plain JSON"):
        checkpoint_folder("tdgammon", {"x": object()}, "full")
