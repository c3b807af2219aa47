"""Writes plugin directories and bundles for the tests of ZIP plugins."""

from __future__ import annotations

import textwrap
from pathlib import Path

from racetrack.core.plugin_bundle import bundle_plugin

JOB_TYPE_PLUGIN = """
from pathlib import Path

from helper import GREETING
from racetrack.plugins.interfaces import LocalRecipe


class JobType:
    def __init__(self, name, version):
        self.name, self.version = name, version

    def local_recipe(self, manifest, workspace):
        return LocalRecipe(python="3.11", packages=[], copy_packages=[], requirements_files=[], command=[])


class Plugin:
    def __init__(self):
        # plugin_dir, plugin_manifest and config_path are usable in __init__
        self.seen = (Path(self.plugin_dir).is_dir(), self.plugin_manifest.name, Path(self.config_path).name)
        self.greeting = GREETING

    def racetrack_job_types(self, register, context):
        register(JobType("{job_type}", self.plugin_manifest.version))

    def markdown_docs(self):
        return "# {job_type}\\n" + self.greeting

    def run_action(self, **kwargs):
        return {{"echo": kwargs, "greeting": self.greeting}}
"""


def write_plugin(
    root: Path,
    name: str,
    version: str,
    *,
    plugin_py: str | None = None,
    job_type: str = "golang",
    greeting: str = "hello",
    extra_manifest: str = "",
    files: dict[str, str] | None = None,
) -> Path:
    """A plugin directory with a job type ``<job_type>:<version>`` and a local ``helper`` module."""
    directory = root / f"{name}-src-{version}"
    directory.mkdir(parents=True)
    (directory / "plugin-manifest.yaml").write_text(
        f"name: {name}\nversion: {version}\ncategory: job-type\n{extra_manifest}"
    )
    source = plugin_py if plugin_py is not None else JOB_TYPE_PLUGIN.format(job_type=job_type)
    (directory / "plugin.py").write_text(textwrap.dedent(source))
    (directory / "helper.py").write_text(f"GREETING = {greeting!r}\n")
    for relative, content in (files or {}).items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(content)
    return directory


def make_bundle(root: Path, name: str, version: str, **options: object) -> bytes:
    directory = write_plugin(root, name, version, **options)  # type: ignore[arg-type]
    path, _ = bundle_plugin(directory, out_dir=root / "bundles")
    return path.read_bytes()
