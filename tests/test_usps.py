"""The USPS loader and the data cache: tiny generated files in the real layout, and every way they go wrong."""

from __future__ import annotations

import bz2
import hashlib

import numpy as np
import pytest

from backprop.datafiles import DataFile, DataFileError, DataFileMissing
from backprop import datafiles as cache
from backprop.papers.lecun1989 import usps

from .conftest import need

h5py = need("h5py", "the USPS file is HDF5")


def _write_h5(path, n_train=12, n_test=5, seed=0, **override):
    """An HDF5 file in the layout of the real one; ``override`` replaces datasets by name."""
    rng = np.random.default_rng(seed)
    sets = {
        "train/data": rng.uniform(0, 1, (n_train, 256)).astype(np.float32),
        "train/target": (np.arange(n_train) % 10).astype(np.int32),
        "test/data": rng.uniform(0, 1, (n_test, 256)).astype(np.float32),
        "test/target": (np.arange(n_test) % 10).astype(np.int32),
    }
    sets.update(override)
    with h5py.File(path, "w") as f:
        for name, value in sets.items():
            if value is not None:
                f[name] = value
    return path


def test_a_file_in_the_layout_loads_as_columns_scaled_to_plus_minus_one(tmp_path):
    path = _write_h5(tmp_path / "usps.h5")
    train, test = usps.load(path)
    assert train.x.shape == (256, 12) and test.x.shape == (256, 5)
    assert train.x.dtype == np.float32 and -1 <= train.x.min() and train.x.max() <= 1
    with h5py.File(path) as f:
        raw = f["train/data"][()]
    np.testing.assert_allclose(train.x[:, 3], 2 * raw[3] - 1, rtol=1e-6)  # image 3 is column 3
    np.testing.assert_array_equal(train.labels, np.arange(12) % 10)
    y = train.targets()
    assert y.shape == (10, 12) and set(np.unique(y)) == {-1.0, 1.0}
    assert np.all(y.argmax(axis=0) == train.labels) and np.all((y == 1).sum(axis=0) == 1)
    assert train.images().shape == (12, 16, 16) and len(train.subset(4)) == 4
    assert "12 images" in repr(train)


@pytest.mark.parametrize(
    "override, message",
    [
        ({"train/data": np.zeros((12, 255), np.float32)}, r"train/data has shape \(12, 255\); expected \(m, 256\)"),
        ({"test/data": np.zeros((5, 16, 16), np.float32)}, r"test/data has shape \(5, 16, 16\)"),
        ({"train/target": np.zeros(11, np.int32)}, r"train/target has shape \(11,\); expected \(12,\)"),
        ({"train/target": np.full(12, 10, np.int32)}, r"train/target must hold digits 0..9; 12 labels are outside"),
        ({"test/target": np.array([0, 1, -1, 3, 4], np.int32)}, r"-1.* at index 2"),
        ({"test/target": np.array([0, 1, 2.5, 3, 4])}, "must hold whole numbers"),
        ({"train/data": np.full((12, 256), 255, np.float32)}, r"pixel values in 0..1, found 255..255"),
        ({"test/target": None}, "no dataset test/target"),
        ({"train/data": np.zeros((0, 256), np.float32), "train/target": np.zeros(0, np.int32)}, "holds no images"),
    ],
)
def test_wrong_shapes_or_labels_are_named(tmp_path, override, message):
    path = _write_h5(tmp_path / "bad.h5", **override)
    with pytest.raises(ValueError, match=message) as info:
        usps.load(path)
    assert str(path) in str(info.value)


def test_a_corrupt_or_truncated_file_is_named(tmp_path):
    garbage = tmp_path / "garbage.h5"
    garbage.write_bytes(b"not an hdf5 file at all" * 100)
    with pytest.raises(DataFileError, match="garbage.h5 is not a readable HDF5 file"):
        usps.load(garbage)
    whole = _write_h5(tmp_path / "whole.h5", n_train=400).read_bytes()
    cut = tmp_path / "cut.h5"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(DataFileError, match="cut.h5.*(truncated|corrupt)"):
        usps.load(cut)
    with pytest.raises(DataFileMissing, match="nowhere.h5: no such file"):
        usps.load(tmp_path / "nowhere.h5")


def test_libsvm_files_read_the_same_way(tmp_path):
    rows = ["3 1:-1 2:0.5 256:1", "10 1:1"]  # label 10 is the digit 0; missing pixels are background
    path = tmp_path / "tiny.bz2"
    path.write_bytes(bz2.compress("\n".join(rows).encode()))
    split = usps.read_libsvm(path, "train")
    np.testing.assert_array_equal(split.labels, [2, 9])
    assert split.x.shape == (256, 2) and split.x[1, 0] == 0.5 and split.x[255, 0] == 1 and split.x[2, 1] == -1
    bad = tmp_path / "bad.bz2"
    bad.write_bytes(bz2.compress(b"11 1:0.5"))
    with pytest.raises(ValueError, match="digits 0..9"):
        usps.read_libsvm(bad, "train")


def test_random_shifts_move_each_image_by_at_most_one_pixel():
    rng = np.random.default_rng(0)
    x = np.full((256, 50), -1.0, np.float32)
    x[8 * 16 + 8] = 1.0  # one ink pixel in the middle of every image
    shifted = usps.random_shifts(x, rng, max_shift=1)
    assert shifted.shape == x.shape and np.all((shifted == 1).sum(axis=0) == 1)
    rows, cols = np.divmod(shifted.argmax(axis=0), 16)
    assert np.all(np.abs(rows - 8) <= 1) and np.all(np.abs(cols - 8) <= 1)
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 1  # not all the same shift
    np.testing.assert_array_equal(usps.random_shifts(x, rng, max_shift=0), x)


# the cache --------------------------------------------------------------------------------


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """BACKPROP_DATA and the user cache in tmp_path; the shared folder cannot hold these names."""
    monkeypatch.setenv("BACKPROP_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


def _datafile(content: bytes, name="tests/blob.bin", url=None):
    return DataFile(name, sha256=hashlib.sha256(content).hexdigest(), size=len(content), url=url)


def test_locate_finds_a_verified_file_in_backprop_data(isolated):
    content = b"digits" * 100
    target = isolated / "data" / "tests" / "blob.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(content)
    assert cache.locate(_datafile(content)) == target
    assert cache.search_path()[0] == isolated / "data"
    assert cache.search_path()[-1] == isolated / "cache" / "backprop"


def test_locate_names_a_truncated_or_corrupt_file(isolated):
    content = b"digits" * 100
    target = isolated / "data" / "tests" / "blob.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(content[:-10])
    with pytest.raises(DataFileError, match=r"blob.bin is truncated: 590 bytes, expected 600"):
        cache.locate(_datafile(content))
    target.write_bytes(content.replace(b"d", b"D", 1))
    with pytest.raises(DataFileError, match=r"blob.bin is corrupt: its sha256 is [0-9a-f]{64}, expected"):
        cache.locate(_datafile(content))


def test_locate_names_every_place_it_looked(isolated):
    with pytest.raises(DataFileMissing, match=r"tests/blob.bin not found \(looked in .*data/tests/blob.bin.*cache/backprop/tests/blob.bin\); set BACKPROP_DATA"):
        cache.locate(_datafile(b"x"))


def test_download_is_checked_before_it_is_kept(isolated):
    content = b"zip codes" * 50
    source = isolated / "server" / "blob.bin"
    source.parent.mkdir()
    source.write_bytes(content)
    good = _datafile(content, url=source.as_uri())
    path = cache.locate(good)
    assert path == isolated / "cache" / "backprop" / "tests" / "blob.bin" and path.read_bytes() == content
    assert cache.locate(good) == path  # found in the cache the second time

    wrong = DataFile("tests/other.bin", sha256="0" * 64, url=source.as_uri())
    with pytest.raises(DataFileError, match=r"download of file:.*failed its check: .*is corrupt"):
        cache.locate(wrong)
    assert list((isolated / "cache" / "backprop" / "tests").iterdir()) == [path]  # nothing half-written left

    unreachable = DataFile("tests/gone.bin", sha256="0" * 64, url=(isolated / "no" / "such").as_uri())
    with pytest.raises(DataFileError, match="could not download"):
        cache.locate(unreachable)


def test_a_data_file_needs_a_checksum():
    with pytest.raises(ValueError, match="needs a sha256"):
        DataFile("x.bin")


def test_the_real_split_when_present():
    try:
        train, test = usps.load(download=False)
    except DataFileMissing:
        pytest.skip("the USPS file is not in any data folder")
    assert (len(train), len(test)) == (7291, 2007)
    assert tuple(np.bincount(train.labels)) == usps.COUNTS["train"]
    assert train.x.min() == -1 and train.x.max() == 1
