"""ZIP plugins: stored, extracted, imported and reloaded by the plugin engine; a broken one is
listed with its error while the others work."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from racetrack.core.errors import NotFoundError
from racetrack.core.plugin_bundle import read_bundle
from racetrack.plugins.bundles import PluginStore
from racetrack.plugins.engine import PLUGINS_ENV_VAR, PluginEngine
from tests.integration.plugins.plugin_kit import make_bundle

Engine = Callable[[], PluginEngine]


def identity(data: bytes) -> bytes:
    return data


@pytest.fixture(autouse=True)
def _no_entry_point_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PLUGINS_ENV_VAR, "")


@pytest.fixture
def store(tmp_path: Path) -> PluginStore:
    return PluginStore(tmp_path / "plugins")


@pytest.fixture
def engine(tmp_path: Path, store: PluginStore) -> Engine:
    return lambda: PluginEngine(tmp_path / "data", {}, identity, identity, store=store)


def install(
    store: PluginStore, tmp_path: Path, name: str, version: str, *, replace: bool = False, **options: object
) -> None:
    store.save(read_bundle(make_bundle(tmp_path / "src", name, version, **options)), replace=replace)
    store.mark_changed()


def test_a_bundle_provides_its_job_type_and_sees_its_attributes_in_init(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    install(store, tmp_path, "golang-job-type", "1.2.0")
    plugins = engine()
    assert sorted(plugins.job_types()) == ["golang:1.2.0"]
    (loaded,) = plugins.bundles()
    assert loaded.error is None
    assert loaded.instance.seen == (True, "golang-job-type", "config.yaml")
    assert loaded.config_path == store.root / "config" / "golang-job-type-1.2.0" / "config.yaml"
    assert loaded.config_path.is_file()
    assert (store.root / "extracted" / "golang-job-type-1.2.0" / "plugin.py").is_file()
    assert plugins.job_type_providers() == {"golang:1.2.0": "golang-job-type-1.2.0"}


def test_two_plugins_shipping_a_module_of_the_same_name_each_keep_their_own(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    install(store, tmp_path, "first", "1.0.0", job_type="first", greeting="from first")
    install(store, tmp_path, "second", "1.0.0", job_type="second", greeting="from second")
    plugins = engine()
    assert {b.manifest.name: b.instance.greeting for b in plugins.bundles()} == {
        "first": "from first",
        "second": "from second",
    }


def test_a_broken_plugin_is_listed_with_its_error_and_the_others_work(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    install(store, tmp_path, "good", "1.0.0", job_type="good")
    broken = "class Plugin:\n    def __init__(self):\n        raise ValueError('registry password missing')\n"
    install(store, tmp_path, "broken", "1.0.0", plugin_py=broken)
    plugins = engine()
    errors = {b.manifest.name: b.error for b in plugins.bundles()}
    assert errors == {"broken": "registry password missing", "good": None}
    assert sorted(plugins.job_types()) == ["good:1.0.0"]


def test_a_plugin_failing_in_its_registry_hook_is_marked_failed(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    source = (
        "class Plugin:\n    def racetrack_job_types(self, register, context):\n        register(object())\n"
    )
    install(store, tmp_path, "odd", "1.0.0", plugin_py=source)
    (loaded,) = engine().bundles()
    assert loaded.instance is None
    assert (
        loaded.error is not None and "registered a job type without name/version/local_recipe" in loaded.error
    )


def test_reload_follows_installs_and_uninstalls_made_by_another_process(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    plugins = engine()
    assert plugins.job_types() == {}
    assert plugins.reload_if_changed() is False
    install(store, tmp_path, "golang-job-type", "1.0.0")
    install(store, tmp_path, "golang-job-type", "1.1.0")
    assert plugins.reload_if_changed() is True
    assert sorted(plugins.job_types()) == ["golang:1.0.0", "golang:1.1.0"]
    store.remove("golang-job-type", "1.0.0")
    store.mark_changed()
    assert plugins.reload_if_changed() is True
    assert sorted(plugins.job_types()) == ["golang:1.1.0"]
    assert plugins.resolve_job_type("golang:latest").version == "1.1.0"


def test_replace_removes_every_other_version_of_the_plugin(store: PluginStore, tmp_path: Path) -> None:
    install(store, tmp_path, "golang-job-type", "1.0.0")
    install(store, tmp_path, "golang-job-type-extra", "1.0.0")
    store.save(read_bundle(make_bundle(tmp_path / "src2", "golang-job-type", "2.0.0")), replace=True)
    assert [p.name for p in store.bundles()] == [
        "golang-job-type-2.0.0.zip",
        "golang-job-type-extra-1.0.0.zip",
    ]


def test_a_plugin_for_another_component_is_listed_without_hooks(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    install(store, tmp_path, "builder-only", "1.0.0", extra_manifest="components: [image-builder]\n")
    plugins = engine()
    (loaded,) = plugins.bundles()
    assert (loaded.instance, loaded.error) == (None, None)
    assert plugins.job_types() == {}


def test_upstream_style_hooks_returning_dicts_are_understood(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    source = """
    from racetrack.plugins.interfaces import LocalRecipe

    class JobType:
        name, version = "rust", "0.1.0"

        def local_recipe(self, manifest, workspace):
            return LocalRecipe(
                python="3.11", packages=[], copy_packages=[], requirements_files=[], command=[]
            )

    class Plugin:
        def job_types(self):
            return {"rust:0.1.0": JobType()}

        def job_runtime_env_vars(self):
            return {"RUST_LOG": "info"}

        def post_job_deploy(self, job):  # an older, shorter signature
            self.deployed = job
    """
    install(store, tmp_path, "rust-job-type", "0.1.0", plugin_py=source)
    plugins = engine()
    assert sorted(plugins.job_types()) == ["rust:0.1.0"]
    assert plugins.runtime_env_vars() == {"RUST_LOG": "info"}
    plugins.notify("post_job_deploy", manifest=None, job="the job", image_name="img", deployer_username="bob")
    assert plugins.bundles()[0].instance.deployed == "the job"


def test_dockerfile_template_job_types_are_refused_with_the_reason(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    source = (
        "class Plugin:\n    def job_types(self):\n        return {'python3:9.9.9': ['python3.Dockerfile']}\n"
    )
    install(store, tmp_path, "docker-job-type", "9.9.9", plugin_py=source)
    (loaded,) = engine().bundles()
    assert loaded.error is not None and "need a container image builder" in loaded.error


def test_requirements_are_installed_once_for_the_plugin(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    source = "import six\n\nclass Plugin:\n    def markdown_docs(self):\n        return six.__version__\n"
    install(
        store, tmp_path, "needs-six", "1.0.0", plugin_py=source, files={"requirements.txt": "six==1.16.0\n"}
    )
    plugins = engine()
    (loaded,) = plugins.bundles()
    assert loaded.error is None, loaded.error
    assert loaded.instance.markdown_docs() == "1.16.0"
    assert (store.root / "deps" / "needs-six-1.0.0" / "six.py").is_file()


def test_a_requirement_that_cannot_be_installed_fails_only_that_plugin(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    install(
        store,
        tmp_path,
        "bad-deps",
        "1.0.0",
        plugin_py="class Plugin: pass\n",
        files={"requirements.txt": "this-package-does-not-exist-racetrack==0.0.1\n"},
    )
    install(store, tmp_path, "good", "1.0.0", job_type="good")
    plugins = engine()
    errors = {b.manifest.name: b.error for b in plugins.bundles()}
    assert errors["good"] is None
    assert errors["bad-deps"] is not None and errors["bad-deps"].startswith(
        "installing requirements.txt failed"
    )


def test_removing_an_unknown_plugin_says_so(store: PluginStore) -> None:
    with pytest.raises(NotFoundError, match="plugin nope 1.0.0 is not installed"):
        store.remove("nope", "1.0.0")


def test_a_bundles_target_is_started_and_its_predecessor_stopped_on_reload(
    store: PluginStore, engine: Engine, tmp_path: Path
) -> None:
    source = """
    from tests.unit.plugins.test_engine import FakeTarget

    class Plugin:
        def racetrack_infrastructure_targets(self, register, context):
            register(FakeTarget("remote-docker"))
    """
    install(store, tmp_path, "remote-docker", "1.0.0", plugin_py=source)
    plugins = engine()
    plugins.start()
    first = plugins.infrastructure_targets()["remote-docker"]
    install(store, tmp_path / "again", "remote-docker", "1.1.0", plugin_py=source, replace=True)
    assert plugins.reload_if_changed() is True
    second = plugins.infrastructure_targets()["remote-docker"]
    assert second is not first
    assert (first.calls, second.calls) == (["start", "stop"], ["start"])  # type: ignore[attr-defined]
    plugins.stop()
    assert second.calls == ["start", "stop"]  # type: ignore[attr-defined]
