from __future__ import annotations

import base64
import io
import os
import tarfile
from pathlib import Path

import pytest

from racetrack.client.context import FileMatcher, pack_build_context


def make_tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"content of {name}\n")


def tar_members(encoded: str) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(encoded)), mode="r:gz") as tar:
        return sorted(member.name for member in tar.getmembers())


@pytest.mark.parametrize(
    ("pattern", "path", "included"),
    [
        ("*.log", "app.log", False),
        ("*.log", "deep/dir/app.log", False),
        ("build", "build/out.bin", False),
        ("build", "src/build/out.bin", False),
        ("/build", "src/build/out.bin", True),
        ("/build", "build/out.bin", False),
        ("docs/build", "docs/build/index.html", False),
        ("docs/build", "x/docs/build/index.html", False),
        ("docs/build", "docs/index.html", True),
        ("cache/", "cache/file", False),
        ("cache/", "cache", True),
        ("a/**/z.txt", "a/b/c/z.txt", False),
        ("a/**/z.txt", "a/z.txt", False),
        ("a/**/z.txt", "b/z.txt", True),
        ("secret?.env", "secret1.env", False),
        ("[ab].txt", "c.txt", True),
    ],
)
def test_ignore_pattern_semantics(pattern: str, path: str, included: bool) -> None:
    assert FileMatcher([pattern], apply_defaults=False).included(path) is included


def test_later_patterns_can_reinclude_and_exclude_again() -> None:
    matcher = FileMatcher(
        ["-data", "+data/keep", "-data/keep/*.tmp", "!data/keep/x.tmp"], apply_defaults=False
    )
    assert not matcher.included("data/drop.csv")
    assert matcher.included("data/keep/model.bin")
    assert not matcher.included("data/keep/y.tmp")
    assert matcher.included("data/keep/x.tmp")


def test_defaults_always_exclude_git_and_bytecode_even_if_reincluded() -> None:
    matcher = FileMatcher(["+.git", "+*.pyc"])
    assert not matcher.included(".git/config")
    assert not matcher.included("pkg/__pycache__/m.cpython-311.pyc")
    assert not matcher.included("bundle.zip")
    assert not matcher.included(".gitignore")
    assert matcher.included("sub/plugin-manifest.yaml")
    assert not matcher.included("plugin-manifest.yaml")


def test_pack_build_context_honours_gitignore_and_defaults(tmp_path: Path) -> None:
    make_tree(
        tmp_path,
        [
            "job.yaml",
            "adder.py",
            "requirements.txt",
            "models/big.bin",
            "models/README.md",
            "logs/today.log",
            "nested/app.log",
            ".git/HEAD",
            "__pycache__/adder.cpython-311.pyc",
            "dist.zip",
            ".venv/lib/site.py",
            "src/build/keep.txt",
            "build/drop.txt",
        ],
    )
    (tmp_path / ".gitignore").write_text(
        "# comments and blank lines are skipped\n\n*.log\n.venv/\n/build\nmodels/*\n!models/README.md\n"
    )
    context = pack_build_context(tmp_path)
    expected = ["adder.py", "job.yaml", "models/README.md", "requirements.txt", "src/build/keep.txt"]
    assert context.files == expected
    assert tar_members(context.encoded) == expected
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(context.encoded)), mode="r:gz") as tar:
        member = tar.getmember("adder.py")
        assert member.uid == 0 and member.uname == ""
        extracted = tar.extractfile(member)
        assert extracted is not None and extracted.read() == b"content of adder.py\n"


def test_pack_build_context_skips_symlinks(tmp_path: Path) -> None:
    make_tree(tmp_path, ["job.yaml", "real/data.txt"])
    os.symlink("/etc/passwd", tmp_path / "passwd")
    os.symlink(tmp_path / "real", tmp_path / "linked-dir")
    skipped: list[str] = []
    context = pack_build_context(tmp_path, on_skip=skipped.append)
    assert context.files == ["job.yaml", "real/data.txt"]
    assert sorted(skipped) == ["linked-dir", "passwd"]


def test_pack_build_context_never_packs_the_secret_env_files(tmp_path: Path) -> None:
    make_tree(tmp_path, ["job.yaml", "main.py", ".secrets/runtime.env", "build.env", "notes/build.env"])
    outside = tmp_path.parent / "elsewhere.env"

    context = pack_build_context(
        tmp_path, secret_files=[Path(".secrets/runtime.env"), tmp_path / "build.env", outside]
    )

    assert context.files == ["job.yaml", "main.py", "notes/build.env"]
    with tarfile.open(fileobj=io.BytesIO(base64.b64decode(context.encoded)), mode="r:gz") as tar:
        assert sorted(tar.getnames()) == ["job.yaml", "main.py", "notes/build.env"]
