"""Entrypoint discovery: module import, class choice and its error messages."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from racetrack_job_runtime.entrypoint import MODULE_NAME, instantiate_entrypoint
from racetrack_job_runtime.errors import InitError

from tests.job_runtime.job_runtime_support import write_job


@pytest.fixture(autouse=True)
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def test_the_single_class_defined_in_the_file_is_used_and_imported_ones_are_ignored(tmp_path: Path) -> None:
    write_job(
        tmp_path,
        """
        from collections import OrderedDict
        from pathlib import Path

        class Model:
            def perform(self):
                return 1
        """,
    )
    instance = instantiate_entrypoint("entrypoint.py", None)
    assert type(instance).__name__ == "Model"


def test_file_is_imported_as_module_racetrack_job(tmp_path: Path) -> None:
    write_job(tmp_path, "class Model:\n    pass\n")
    instance = instantiate_entrypoint("entrypoint.py", None)
    assert type(instance).__module__ == MODULE_NAME
    assert sys.modules[MODULE_NAME].__file__ == str(tmp_path / "entrypoint.py")


def test_no_class_in_module_is_an_init_error(tmp_path: Path) -> None:
    write_job(tmp_path, "def perform():\n    return 1\n")
    with pytest.raises(InitError, match="^no class has been found in module$"):
        instantiate_entrypoint("entrypoint.py", None)


def test_several_classes_need_an_explicit_name(tmp_path: Path) -> None:
    write_job(tmp_path, "class A:\n    pass\n\nclass B:\n    pass\n")
    with pytest.raises(
        InitError, match="multiple classes found in a module, the name should be set explicitly."
    ):
        instantiate_entrypoint("entrypoint.py", None)
    assert type(instantiate_entrypoint("entrypoint.py", "B")).__name__ == "B"


def test_named_class_that_does_not_exist_is_an_init_error(tmp_path: Path) -> None:
    write_job(tmp_path, "class A:\n    pass\n")
    with pytest.raises(InitError, match="^class name Missing was not found$"):
        instantiate_entrypoint("entrypoint.py", "Missing")


def test_missing_entrypoint_file_is_an_init_error() -> None:
    with pytest.raises(InitError, match="^src/model.py file not found$"):
        instantiate_entrypoint("src/model.py", None)


def test_helper_modules_next_to_the_entrypoint_are_importable(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "helper_for_rt_test.py").write_text("VALUE = 7\n")
    write_job(
        tmp_path / "src",
        "import helper_for_rt_test\n\nclass A:\n    def perform(self):\n"
        "        return helper_for_rt_test.VALUE\n",
        filename="model.py",
    )
    assert instantiate_entrypoint("src/model.py", None).perform() == 7


def test_exception_in_init_is_wrapped_with_its_cause(tmp_path: Path) -> None:
    write_job(tmp_path, "class A:\n    def __init__(self):\n        raise KeyError('model.pickle')\n")
    with pytest.raises(InitError, match="initializing entrypoint class A: 'model.pickle'") as info:
        instantiate_entrypoint("entrypoint.py", None)
    assert isinstance(info.value.__cause__, KeyError)


def test_syntax_error_in_module_is_an_init_error(tmp_path: Path) -> None:
    write_job(tmp_path, "class A:\n    def perform(self)\n        return 1\n")
    with pytest.raises(InitError, match="loading entrypoint module entrypoint.py") as info:
        instantiate_entrypoint("entrypoint.py", None)
    assert isinstance(info.value.__cause__, SyntaxError)
