"""`make data` rebuilds data/ byte-identically; the generator is deterministic."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from spanbert_lab.cli.data import main
from spanbert_lab.data.corpus import gzip_bytes
from spanbert_lab.runtime import repo_root
from spanbert_lab.world.build import MANAGED, BuildConfig, build

SHIPPED = repo_root() / "data"


def _files(folder: Path) -> dict[str, bytes]:
    """The files `build` owns (other engineers' checkpoints/ and results/ are not compared)."""
    owned = [folder / "README.md"] if (folder / "README.md").is_file() else []
    for name in MANAGED:
        owned += sorted(p for p in (folder / name).rglob("*") if p.is_file())
    return {str(p.relative_to(folder)): p.read_bytes() for p in owned}


def _assert_same(a: Path, b: Path) -> None:
    fa, fb = _files(a), _files(b)
    assert sorted(fa) == sorted(fb), f"file lists differ: {sorted(set(fa) ^ set(fb))}"
    differ = [name for name in fa if fa[name] != fb[name]]
    assert not differ, f"{len(differ)} files differ between {a} and {b}: {differ}"


def test_small_build_is_deterministic(tmp_path: Path) -> None:
    # One build through the CLI, one through the function: same bytes.
    assert main(["build", "--output", str(tmp_path / "a"), "--scale", "0.02", "--no-tasks"]) == 0
    (tmp_path / "b" / "corpus").mkdir(parents=True)
    (tmp_path / "b" / "corpus" / "stale.txt").write_text("left over from an older build")
    (tmp_path / "b" / "checkpoints").mkdir()
    (tmp_path / "b" / "checkpoints" / "keep.bin").write_bytes(b"another engineer's")
    build(tmp_path / "b", BuildConfig(scale=0.02, tasks=False))
    _assert_same(tmp_path / "a", tmp_path / "b")  # the stale file is gone
    assert (tmp_path / "b" / "checkpoints" / "keep.bin").read_bytes() == b"another engineer's"
    assert (tmp_path / "a" / "tokenizer" / "tokenizer.json").is_file()


def test_gzip_is_reproducible() -> None:
    data = b"one sentence per line\n"
    blob = gzip_bytes(data)
    assert blob == gzip_bytes(data)
    assert blob[4:8] == b"\x00\x00\x00\x00", "gzip header must carry mtime = 0"
    assert gzip.decompress(blob) == data


def test_config_validation() -> None:
    with pytest.raises(ValueError, match="scale"):
        BuildConfig(scale=0)
    with pytest.raises(ValueError, match="vocab_size"):
        BuildConfig(vocab_size=10)


def test_scale_changes_corpus_size_only() -> None:
    small, big = BuildConfig(scale=0.5), BuildConfig(scale=2)
    assert big.train_docs == 4 * small.train_docs
    assert big.dev_docs > small.dev_docs


@pytest.mark.slow
def test_shipped_data_equals_fresh_default_build(tmp_path: Path) -> None:
    """The `make data` promise: a fresh default build reproduces every shipped byte (~40 s CPU)."""
    if not (SHIPPED / "corpus" / "train.txt.gz").is_file():
        pytest.fail(f"no shipped data in {SHIPPED}; run `make data`")
    build(tmp_path / "data")
    _assert_same(SHIPPED, tmp_path / "data")
