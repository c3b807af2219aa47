"""Every file in ``malformed/`` must fail with a one-line error naming the field at fault.

Each file starts with ``# expect: <text>``: the field path (or position) the message must name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from racetrack.manifest import ManifestError, load_manifest

CORPUS = sorted((Path(__file__).parent / "malformed").glob("*.yaml"))


def expected_text(path: Path) -> str:
    first_line = path.read_text(encoding="utf-8").splitlines()[0]
    prefix = "# expect: "
    assert first_line.startswith(prefix), f"{path.name} must start with '{prefix}<field path>'"
    return first_line[len(prefix) :].strip()


def test_corpus_has_at_least_thirty_manifests() -> None:
    assert len(CORPUS) >= 30


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_malformed_manifest_is_rejected_naming_the_field(path: Path) -> None:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    message = str(info.value)
    assert message.startswith(f"invalid manifest {path}: ")
    assert expected_text(path) in message
    assert "\n" not in message
    for leak in ("Traceback", "pydantic", "Input should be", "errors.pydantic.dev", "Value error,"):
        assert leak.lower() not in message.lower()
