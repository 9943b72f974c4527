"""Checkpoints: a round trip, atomic writes, and clear refusals of corrupt, foreign or pickled files."""

from __future__ import annotations

import io
import pickle
import zipfile

import numpy as np
import pytest

from backprop import checkpoint
from backprop.dense import DenseNet


@pytest.fixture
def net():
    return DenseNet([6, 3, 2], activations="logistic")


@pytest.fixture
def saved(tmp_path, net, rng):
    params = net.init_params(rng)
    path = checkpoint.save(tmp_path / "run-5.npz", params, checkpoint.architecture(net, encoding="toy"),
                           games=5, rng=rng.bit_generator.state, history=[{"games": 5, "win_rate": 0.5}])
    return path, params


def test_round_trip(saved, net, rng):
    path, params = saved
    loaded, header = checkpoint.load_params(path, net, encoding="toy")
    assert all(np.array_equal(loaded[k], params[k]) for k in params)
    assert header["games"] == 5 and header["history"] == [{"games": 5, "win_rate": 0.5}]
    assert [p.name for p in path.parent.iterdir()] == ["run-5.npz"]  # no temporary file left behind


def test_generator_state_survives(tmp_path, net, rng):
    rng.random(7)
    path = checkpoint.save(tmp_path / "c.npz", net.init_params(rng), checkpoint.architecture(net), rng=rng.bit_generator.state)
    restored = np.random.default_rng()
    restored.bit_generator.state = checkpoint.load(path)[1]["rng"]
    assert restored.random() == rng.random()


def test_a_failed_write_leaves_the_previous_checkpoint(saved, net, monkeypatch):
    path, params = saved
    before = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # killed in the middle of writing

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save(path, params, checkpoint.architecture(net, encoding="toy"))
    assert path.read_bytes() == before and [p.name for p in path.parent.iterdir()] == ["run-5.npz"]


def test_truncated_or_damaged_files_are_reported_as_corrupt(saved, net):
    path, _ = saved
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(checkpoint.CheckpointError, match="corrupt or truncated"):
        checkpoint.load(path)
    damaged = bytearray(data)
    damaged[200] ^= 0xFF  # one flipped byte inside the first array's data
    path.write_bytes(bytes(damaged))
    with pytest.raises(checkpoint.CheckpointError, match="corrupt"):
        checkpoint.load(path)
    path.write_bytes(b"this is not a checkpoint at all")
    with pytest.raises(checkpoint.CheckpointError, match="not a .npz"):
        checkpoint.load(path)
    with pytest.raises(FileNotFoundError):
        checkpoint.load(path.parent / "missing.npz")


def test_a_checksum_mismatch_is_caught(tmp_path, net, rng):
    path = checkpoint.save(tmp_path / "c.npz", net.init_params(rng), checkpoint.architecture(net))
    arrays = dict(np.load(path))
    arrays["W1"] = arrays["W1"] + 1  # changed weights under the old header
    np.savez(path, **arrays)
    with pytest.raises(checkpoint.CheckpointError, match="checksum"):
        checkpoint.load(path)


def test_another_architecture_is_named(saved):
    path, _ = saved
    other = DenseNet([6, 4, 2], activations="logistic")
    with pytest.raises(checkpoint.ArchitectureMismatch, match=r"sizes: checkpoint has \[6, 3, 2\], expected \[6, 4, 2\]"):
        checkpoint.load_params(path, other, encoding="toy")
    same_sizes = DenseNet([6, 3, 2], activations="tanh")
    with pytest.raises(checkpoint.ArchitectureMismatch, match="activations"):
        checkpoint.load_params(path, same_sizes, encoding="toy")
    with pytest.raises(checkpoint.ArchitectureMismatch, match="encoding"):
        checkpoint.load_params(path, DenseNet([6, 3, 2], activations="logistic"), encoding="other")


class _Boom:
    """Unpickling this would create a file: the proof that code ran."""

    def __init__(self, flag):
        self.flag = flag

    def __reduce__(self):
        return (open, (self.flag, "w"))


def test_pickles_are_refused_without_running_them(tmp_path):
    flag = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Boom(str(flag))))
    with pytest.raises(checkpoint.CheckpointError, match="pickle"):
        checkpoint.load(path)
    inside = tmp_path / "evil_inside.npz"  # an npz whose member is an object array
    with zipfile.ZipFile(inside, "w") as z:
        buf = io.BytesIO()
        np.save(buf, np.array([_Boom(str(flag))], dtype=object), allow_pickle=True)
        z.writestr("W1.npy", buf.getvalue())
    with pytest.raises(checkpoint.CheckpointError, match="pickle"):
        checkpoint.load(inside)
    assert not flag.exists()


def test_files_that_are_not_ours(tmp_path):
    plain = tmp_path / "plain.npz"
    np.savez(plain, W1=np.zeros(3))
    with pytest.raises(checkpoint.CheckpointError, match="no '__header__'"):
        checkpoint.load(plain)


def test_numbered_checkpoints_are_sorted_and_temporary_files_ignored(tmp_path, net, rng):
    params, arch = net.init_params(rng), checkpoint.architecture(net)
    for n in (20, 3, 100):
        checkpoint.save(tmp_path / f"run-{n}.npz", params, arch)
    (tmp_path / ".run-200.npz.abc.tmp").write_bytes(b"half a file")
    assert [n for n, _ in checkpoint.numbered(tmp_path, "run")] == [3, 20, 100]
