"""Plugin bundles: the manifest's rules, the upload check (unsafe ZIP entries refused before
anything is written), extraction, and what the bundler packs."""

from __future__ import annotations

import io
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from racetrack.core.errors import InvalidInputError
from racetrack.core.plugin_bundle import (
    BundleLimits,
    bundle_plugin,
    extract_bundle,
    parse_manifest,
    read_bundle,
)

MANIFEST = b"name: my-plugin\nversion: 1.2.0\n"


def zip_of(entries: dict[str, bytes], *, link: str | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        if link is not None:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def valid(extra: dict[str, bytes] | None = None) -> bytes:
    return zip_of({"plugin-manifest.yaml": MANIFEST, "plugin.py": b"class Plugin: pass\n", **(extra or {})})


def test_a_valid_bundle_is_read_with_its_manifest() -> None:
    bundle = read_bundle(valid())
    assert (bundle.manifest.name, bundle.manifest.version, bundle.manifest.key) == (
        "my-plugin",
        "1.2.0",
        "my-plugin-1.2.0",
    )
    assert bundle.manifest.loads_in("lifecycle")


@pytest.mark.parametrize(
    ("entries", "link", "error"),
    [
        (
            {"../escape.py": b"x"},
            None,
            "plugin bundle entry '../escape.py' rejected: path leaves the plugin directory",
        ),
        ({"a/../../escape.py": b"x"}, None, "path leaves the plugin directory"),
        ({"/etc/cron.d/evil": b"x"}, None, "plugin bundle entry '/etc/cron.d/evil' rejected: absolute path"),
        ({"C:/evil": b"x"}, None, "absolute path"),
        ({"dir\\evil": b"x"}, None, "backslashes are not allowed in paths"),
        ({}, "link", "plugin bundle entry 'link' rejected: symbolic links are not allowed"),
    ],
)
def test_unsafe_entries_are_refused(entries: dict[str, bytes], link: str | None, error: str) -> None:
    data = zip_of({"plugin-manifest.yaml": MANIFEST, "plugin.py": b"", **entries}, link=link)
    with pytest.raises(
        InvalidInputError, match=error.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")
    ):
        read_bundle(data)


def test_an_oversized_bundle_is_refused_before_extraction() -> None:
    with pytest.raises(InvalidInputError, match="plugin bundle exceeds 1 MiB unpacked"):
        read_bundle(valid({"big.bin": b"x" * (2 * 1024 * 1024)}), BundleLimits(max_bytes=1024 * 1024))


@pytest.mark.parametrize(
    ("entries", "error"),
    [
        ({"plugin.py": b""}, "plugin bundle has no plugin-manifest.yaml at its root"),
        ({"plugin-manifest.yaml": MANIFEST}, "plugin bundle has no plugin.py at its root"),
        ({"sub/plugin-manifest.yaml": MANIFEST, "plugin.py": b""}, "no plugin-manifest.yaml at its root"),
    ],
)
def test_required_files_are_named_when_missing(entries: dict[str, bytes], error: str) -> None:
    with pytest.raises(InvalidInputError, match=error):
        read_bundle(zip_of(entries))


def test_something_else_than_a_zip_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="plugin bundle is not a ZIP file"):
        read_bundle(b"\x1f\x8b not a zip")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("name: x\nversion: 1.0\n", "version: version '1.0' must be a semantic version X.Y.Z[-label]"),
        ("version: 1.0.0\n", "name: Field required"),
        (
            "name: x\nversion: 1.0.0\nextra: 1\n",
            "extra: unknown field (allowed: name, version, url, priority",
        ),
        ("name: ../x\nversion: 1.0.0\n", "name: String should match pattern"),
        (
            "name: x\nversion: 1.0.0\ncategory: magic\n",
            "category: Input should be 'job-type', 'infrastructure' or 'core'",
        ),
        (
            "name: x\nversion: 1.0.0\ncomponents: [pub]\n",
            "components.0: Input should be 'lifecycle' or 'image-builder'",
        ),
        ("- a list\n", "plugin-manifest.yaml must be a mapping with at least name and version"),
        ("name: [unclosed\n", "plugin-manifest.yaml is not valid YAML"),
    ],
)
def test_manifest_errors_name_the_field(text: str, error: str) -> None:
    with pytest.raises(InvalidInputError) as info:
        parse_manifest(text)
    assert error in info.value.message


def test_components_decide_where_hooks_run() -> None:
    manifest = parse_manifest("name: x\nversion: 1.0.0\ncomponents: [image-builder]\n")
    assert not manifest.loads_in("lifecycle") and manifest.loads_in("image-builder")


def test_extraction_writes_only_inside_the_destination(tmp_path: Path) -> None:
    extract_bundle(valid({"pkg/helper.py": b"X = 1\n"}), tmp_path / "out")
    assert sorted(
        p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()
    ) == [
        "pkg/helper.py",
        "plugin-manifest.yaml",
        "plugin.py",
    ]
    with pytest.raises(InvalidInputError):
        extract_bundle(zip_of({"../escape.py": b"x"}), tmp_path / "out2")
    assert not (tmp_path / "escape.py").exists()


def test_the_bundler_packs_the_directory_minus_ignored_files(tmp_path: Path) -> None:
    source = tmp_path / "plugin"
    (source / "templates").mkdir(parents=True)
    (source / "__pycache__").mkdir()
    (source / "plugin-manifest.yaml").write_text(
        "name: my-plugin\nversion: 1.0.0\nurl: https://example.org\n"
    )
    (source / "plugin.py").write_text("class Plugin: pass\n")
    (source / "templates" / "job.Dockerfile").write_text("FROM x\n")
    (source / "__pycache__" / "plugin.cpython-311.pyc").write_bytes(b"\0")
    (source / "secrets.env").write_text("TOKEN=1\n")
    (source / "old.zip").write_bytes(b"PK")
    (source / ".racetrackignore").write_text("*.env\n")

    path, manifest = bundle_plugin(
        source,
        out_dir=tmp_path / "dist",
        plugin_version="1.1.0",
        now=lambda: datetime(2026, 11, 28, 12, 0, tzinfo=UTC),
    )

    assert path == tmp_path / "dist" / "my-plugin-1.1.0.zip"
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["plugin-manifest.yaml", "plugin.py", "templates/job.Dockerfile"]
        assert all(info.compress_type == zipfile.ZIP_DEFLATED for info in archive.infolist())
        written = parse_manifest(archive.read("plugin-manifest.yaml"))
    assert written == manifest
    assert (written.version, written.build_date, written.url) == (
        "1.1.0",
        "2026-11-28T120000Z",
        "https://example.org",
    )
    named, _ = bundle_plugin(source, out_dir=tmp_path / "dist", out_filename="custom")
    assert named.name == "custom.zip"


def test_the_bundler_names_what_is_missing(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="plugin-manifest.yaml not found: a plugin directory needs"):
        bundle_plugin(tmp_path)
    (tmp_path / "plugin-manifest.yaml").write_text(MANIFEST.decode())
    with pytest.raises(InvalidInputError, match="plugin.py not found: a plugin defines class Plugin there"):
        bundle_plugin(tmp_path)
