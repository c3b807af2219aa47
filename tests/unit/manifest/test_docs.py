"""docs/manifest.md documents every field and its examples are valid manifests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from racetrack.manifest import GitSpec, Manifest, Resources, parse_manifest_yaml
from racetrack.manifest.legacy import DEPRECATED
from racetrack.manifest.model import DockerSpec
from racetrack.manifest.quantity import SUFFIXES

DOC = Path(__file__).parents[3] / "docs" / "manifest.md"
TEXT = DOC.read_text(encoding="utf-8")
YAML_BLOCKS = re.findall(r"```yaml\n(.*?)```", TEXT, flags=re.DOTALL)
COMPLETE_EXAMPLES = [block for block in YAML_BLOCKS if "owner_email:" in block and "extends:" not in block]

FIELDS = [
    *Manifest.model_fields,
    *(f"git.{name}" for name in GitSpec.model_fields),
    *(f"docker.{name}" for name in DockerSpec.model_fields),
    *(f"resources.{name}" for name in Resources.model_fields),
    *DEPRECATED,
]


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_is_in_the_reference_table(field: str) -> None:
    assert f"| `{field}` |" in TEXT or f"`{field}`" in TEXT


@pytest.mark.parametrize("field", list(Manifest.model_fields))
def test_every_top_level_field_has_a_table_row(field: str) -> None:
    assert f"\n| `{field}` |" in TEXT


def test_every_quantity_suffix_is_documented() -> None:
    for suffix in (s for s in SUFFIXES if s):
        assert f"`{suffix}`" in TEXT


def test_docs_have_complete_examples() -> None:
    assert len(COMPLETE_EXAMPLES) >= 3


@pytest.mark.parametrize("block", COMPLETE_EXAMPLES)
def test_complete_examples_are_valid_manifests(block: str) -> None:
    parse_manifest_yaml(block)


def test_overlay_example_applies_to_the_complete_example(tmp_path: Path) -> None:
    from racetrack.manifest import load_manifest

    base = next(block for block in COMPLETE_EXAMPLES if "churn-model" in block)
    overlay = next(block for block in YAML_BLOCKS if "extends:" in block)
    (tmp_path / "job.yaml").write_text(base, encoding="utf-8")
    (tmp_path / "envs" / "test").mkdir(parents=True)
    (tmp_path / "envs" / "test" / "job.yaml").write_text(overlay, encoding="utf-8")
    manifest = load_manifest(tmp_path / "envs" / "test").manifest
    assert manifest.name == "churn-model-test"
    assert manifest.git.branch == "develop"
    assert manifest.resources is not None and str(manifest.resources.memory_min) == "512Mi"
