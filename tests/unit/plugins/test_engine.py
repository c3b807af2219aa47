"""The plugin engine: loading, registries, job type resolution, target choice, hooks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from racetrack.core.errors import DeploymentError, InvalidInputError, RacetrackError
from racetrack.infra.local import LocalTarget
from racetrack.jobtypes.python3 import Python3JobType, runtime_version
from racetrack.plugins import hookspecs
from racetrack.plugins.engine import PLUGINS_ENV_VAR, PluginEngine, plugin_name
from racetrack.plugins.hookspecs import hookimpl
from racetrack.plugins.interfaces import ArtifactKind, LocalRecipe, PluginContext


def identity(data: bytes) -> bytes:
    return data


class FakeJobType:
    def __init__(self, name: str, version: str) -> None:
        self.name = name
        self.version = version

    def local_recipe(self, manifest: Any, workspace: Path) -> LocalRecipe:
        return LocalRecipe(python="3.11", packages=[], copy_packages=[], requirements_files=[], command=[])


class FakeTarget:
    """A minimal but complete InfrastructureTarget that records start/stop."""

    artifact_kind = ArtifactKind.LOCAL
    remote_gateway_url = None
    remote_gateway_token = None

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[str] = []

    def start(self) -> None:
        self.calls.append("start")

    def stop(self) -> None:
        self.calls.append("stop")

    def deploy_job(self, request: Any) -> Any: ...
    def promote_job(self, name: str, version: str, deployment_id: str) -> None: ...
    def abandon_job(self, name: str, version: str, deployment_id: str) -> None: ...
    def delete_job(self, name: str, version: str) -> None: ...
    def job_exists(self, name: str, version: str) -> bool:
        return False

    def save_job_secrets(self, name: str, version: str, secrets: Any) -> None: ...
    def get_job_secrets(self, name: str, version: str) -> Any: ...
    def list_jobs(self) -> list[Any]:
        return []

    def read_recent_logs(self, name: str, version: str, tail: int = 20) -> str:
        return ""

    def follow_logs(self, name: str, version: str, tail: int, stop: Callable[[], bool]) -> Any:
        return iter(())


class JobTypesPlugin:
    plugin_name = "mllab"

    def __init__(self, *keys: str) -> None:
        self.keys = keys
        self.context: PluginContext | None = None

    @hookimpl
    def racetrack_job_types(self, register: Callable[[Any], None], context: PluginContext) -> None:
        self.context = context
        for key in self.keys:
            name, version = key.split(":")
            register(FakeJobType(name, version))


class TargetsPlugin:
    def __init__(self, plugin: str, *names: str) -> None:
        self.plugin_name = plugin
        self.targets = [FakeTarget(n) for n in names]

    @hookimpl
    def racetrack_infrastructure_targets(self, register: Callable[[Any], None]) -> None:
        for target in self.targets:
            register(target)


@pytest.fixture(autouse=True)
def no_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    """Most tests load only their own plugins; the ones about entry points unset this."""
    monkeypatch.setenv(PLUGINS_ENV_VAR, "")


def make_engine(
    tmp_path: Path, *plugins: object, settings: dict[str, dict[str, Any]] | None = None
) -> PluginEngine:
    return PluginEngine(tmp_path, settings or {}, identity, identity, extra_plugins=plugins)


def test_builtin_entry_points_register_python3_and_local(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PLUGINS_ENV_VAR)
    engine = make_engine(tmp_path)
    assert set(engine.plugin_names()) >= {"python3", "local"}
    job_type = engine.job_types()[f"python3:{runtime_version()}"]
    assert isinstance(job_type, Python3JobType)
    assert isinstance(engine.infrastructure_targets()["local"], LocalTarget)
    assert (tmp_path / "local").is_dir() and (tmp_path / "python3").is_dir()


def test_racetrack_plugins_env_var_limits_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PLUGINS_ENV_VAR, "python3, nonexistent")
    engine = make_engine(tmp_path)
    assert engine.plugin_names() == ["python3"]
    assert engine.infrastructure_targets() == {}


def test_empty_racetrack_plugins_loads_no_entry_point(tmp_path: Path) -> None:
    assert make_engine(tmp_path).plugin_names() == []


def test_racetrack_job_types_gets_own_context_and_settings(tmp_path: Path) -> None:
    plugin = JobTypesPlugin("mllab:1.0.0")
    engine = make_engine(tmp_path, plugin, settings={"mllab": {"registry": "r"}})
    assert plugin.context is not None
    assert plugin.context.data_dir == tmp_path / "mllab" and plugin.context.data_dir.is_dir()
    assert plugin.context.settings == {"registry": "r"}
    assert plugin.context.encrypt(b"x") == b"x"
    assert list(engine.job_types()) == ["mllab:1.0.0"]


def test_racetrack_job_types_error_names_the_plugin(tmp_path: Path) -> None:
    class Broken:
        plugin_name = "broken"

        @hookimpl
        def racetrack_job_types(self, register: Callable[[Any], None]) -> None:
            raise ValueError("boom")

    with pytest.raises(RacetrackError, match='invoking hook "racetrack_job_types" of plugin broken: boom'):
        make_engine(tmp_path, Broken())


def test_racetrack_job_types_rejects_objects_without_the_interface(tmp_path: Path) -> None:
    class Bad:
        plugin_name = "bad"

        @hookimpl
        def racetrack_job_types(self, register: Callable[[Any], None]) -> None:
            register(object())

    with pytest.raises(RacetrackError, match="plugin bad registered a job type"):
        make_engine(tmp_path, Bad())


def test_later_plugin_wins_for_the_same_job_type(tmp_path: Path) -> None:
    first, second = JobTypesPlugin("mllab:1.0.0"), JobTypesPlugin("mllab:1.0.0")
    second.plugin_name = "mllab2"  # type: ignore[misc]
    engine = make_engine(tmp_path, first, second)
    assert engine.resolve_job_type("mllab:1.0.0") is not None
    assert len(engine.job_types()) == 1


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("mllab:1.2.0", "1.2.0"),
        ("mllab:latest", "2.0.0-rc.1"),
        ("mllab:1.*.*", "1.10.0"),
        ("mllab:1.3.*-3.9-bullseye", "1.3.1-3.9-bullseye"),
        ("mllab:*", "2.0.0-rc.1"),
    ],
)
def test_resolve_job_type_exact_latest_and_wildcards(tmp_path: Path, ref: str, expected: str) -> None:
    versions = ["1.2.0", "1.10.0", "1.3.0-3.9-bullseye", "1.3.1-3.9-bullseye", "2.0.0-rc.1"]
    engine = make_engine(tmp_path, JobTypesPlugin(*(f"mllab:{v}" for v in versions), "other:9.0.0"))
    assert engine.resolve_job_type(ref).version == expected


def test_resolve_job_type_unknown_version_lists_installed(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, JobTypesPlugin("python3:1.0.0"))
    with pytest.raises(InvalidInputError) as info:
        engine.resolve_job_type("python3:9.9.9")
    assert str(info.value) == "job type python3:9.9.9 is not installed; installed job types: python3:1.0.0"


def test_resolve_job_type_with_nothing_installed(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="no job type plugins are installed"):
        make_engine(tmp_path).resolve_job_type("python3:latest")


@pytest.mark.parametrize("ref", ["python3", "python3:1:2", ":1.0.0", "python3:"])
def test_resolve_job_type_rejects_malformed_references(tmp_path: Path, ref: str) -> None:
    engine = make_engine(tmp_path, JobTypesPlugin("python3:1.0.0"))
    with pytest.raises(InvalidInputError, match='should be specified as "name:version"'):
        engine.resolve_job_type(ref)


def test_racetrack_infrastructure_targets_registry(tmp_path: Path) -> None:
    engine = make_engine(tmp_path, TargetsPlugin("infra", "docker", "kubernetes"))
    assert sorted(engine.infrastructure_targets()) == ["docker", "kubernetes"]


def test_choose_target_rules(tmp_path: Path) -> None:
    one = make_engine(tmp_path / "one", TargetsPlugin("infra", "local"))
    assert one.choose_target(None, None).name == "local"
    assert one.choose_target(None, "elsewhere").name == "local"  # the only one wins over a default
    with pytest.raises(InvalidInputError, match="infrastructure target 'docker' is not installed"):
        one.choose_target("docker", None)

    two = make_engine(tmp_path / "two", TargetsPlugin("infra", "local", "docker"))
    assert two.choose_target("docker", "local").name == "docker"
    assert two.choose_target(None, "local").name == "local"
    with pytest.raises(InvalidInputError) as info:
        two.choose_target(None, None)
    assert (
        str(info.value) == "Multiple infrastructure targets available: ['docker', 'local']. Please pick one."
    )
    with pytest.raises(DeploymentError, match="default infrastructure target 'k8s' is not installed"):
        two.choose_target(None, "k8s")

    none = make_engine(tmp_path / "none")
    with pytest.raises(
        DeploymentError, match="No infrastructure targets available. Install appropriate plugin."
    ):
        none.choose_target(None, None)


def test_start_and_stop_reach_every_target(tmp_path: Path) -> None:
    plugin = TargetsPlugin("infra", "a", "b")
    engine = make_engine(tmp_path, plugin)
    engine.start()
    engine.stop()
    assert [t.calls for t in plugin.targets] == [["start", "stop"], ["start", "stop"]]


def test_job_runtime_env_vars_are_merged(tmp_path: Path) -> None:
    class First:
        plugin_name = "first"

        @hookimpl
        def job_runtime_env_vars(self) -> dict[str, str] | None:
            return {"A": "1", "B": "1"}

    class Second:
        plugin_name = "second"

        @hookimpl
        def job_runtime_env_vars(self) -> dict[str, str] | None:
            return {"B": "2"}

    class Nothing:
        plugin_name = "nothing"

        @hookimpl
        def job_runtime_env_vars(self) -> dict[str, str] | None:
            return None

    engine = make_engine(tmp_path, First(), Nothing(), Second())
    assert engine.runtime_env_vars() == {"A": "1", "B": "2"}


def test_job_runtime_env_vars_must_be_strings(tmp_path: Path) -> None:
    class Bad:
        @hookimpl
        def job_runtime_env_vars(self) -> Any:
            return {"A": 1}

    with pytest.raises(RacetrackError, match="must return dict"):
        make_engine(tmp_path, Bad()).runtime_env_vars()


def test_post_job_deploy_through_the_hook_relay(tmp_path: Path) -> None:
    seen: list[tuple[Any, ...]] = []

    class Listener:
        @hookimpl
        def post_job_deploy(
            self, manifest: Any, job: Any, image_name: str, deployer_username: str | None
        ) -> None:
            seen.append((manifest, job, image_name, deployer_username))

    engine = make_engine(tmp_path, Listener())
    engine.hook.post_job_deploy(manifest="m", job="j", image_name="env:abc", deployer_username="u")
    assert seen == [("m", "j", "env:abc", "u")]


def test_post_job_delete_failure_is_isolated_by_notify(tmp_path: Path) -> None:
    seen: list[Any] = []

    class Failing:
        plugin_name = "failing"

        @hookimpl
        def post_job_delete(self, job: Any) -> None:
            raise RuntimeError("plugin bug")

    class Listener:
        plugin_name = "listener"

        @hookimpl
        def post_job_delete(self, job: Any, username_executor: str | None) -> None:
            seen.append((job, username_executor))

    engine = make_engine(tmp_path, Listener(), Failing())
    engine.notify("post_job_delete", job="j", username_executor="admin")
    assert seen == [("j", "admin")]


def test_duplicate_plugin_names_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RacetrackError, match="two plugins are named 'mllab'"):
        make_engine(tmp_path, JobTypesPlugin(), JobTypesPlugin())


def test_plugin_name_sources() -> None:
    assert plugin_name(JobTypesPlugin()) == "mllab"
    assert plugin_name(hookspecs) == "hookspecs"
    assert plugin_name(FakeTarget("x")) == "faketarget"


def test_plugin_hooks_have_tests() -> None:
    """Every hook declared in hookspecs has a test named after it in this directory."""
    hooks = [name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "racetrack_spec")]
    assert hooks, "no hooks found"
    source = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    missing = [hook for hook in hooks if f"def test_{hook}" not in source]
    assert not missing, f"hooks without a test named test_<hook>...: {missing}"


def test_plugin_hooks_are_documented() -> None:
    hooks = [name for name in dir(hookspecs) if hasattr(getattr(hookspecs, name), "racetrack_spec")]
    docs = (Path(__file__).resolve().parents[3] / "docs" / "infrastructure.md").read_text()
    assert [hook for hook in hooks if f"`{hook}(" not in docs] == []
