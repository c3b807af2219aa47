"""Loading the user's entrypoint: import the file as module ``racetrack_job``, pick the class,
instantiate it once."""

from __future__ import annotations

import importlib.util
import inspect
import os
import sys
from types import ModuleType
from typing import Any

from racetrack_job_runtime.errors import InitError

MODULE_NAME = "racetrack_job"


def import_entrypoint_module(entrypoint_path: str) -> ModuleType:
    """Import ``entrypoint_path`` (relative to the working directory) as ``racetrack_job``."""
    path = os.path.abspath(entrypoint_path)
    if not os.path.isfile(path):
        raise InitError(f"{entrypoint_path} file not found")
    venv_packages = os.environ.get("VENV_PACKAGES_PATH", "")
    for directory in (venv_packages, os.path.dirname(path), os.getcwd()):
        if directory and directory not in sys.path:
            sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(MODULE_NAME, path)
    if spec is None or spec.loader is None:
        raise InitError(f"{entrypoint_path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[MODULE_NAME] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(MODULE_NAME, None)
        raise
    return module


def find_entrypoint_class(module: ModuleType, class_name: str | None) -> type[Any]:
    """The named class, or the single class defined (not imported) in the module."""
    if class_name:
        found = getattr(module, class_name, None)
        if not inspect.isclass(found):
            raise InitError(f"class name {class_name} was not found")
        return found
    defined = [
        obj for obj in vars(module).values() if inspect.isclass(obj) and obj.__module__ == module.__name__
    ]
    if not defined:
        raise InitError("no class has been found in module")
    if len(defined) > 1:
        names = ", ".join(sorted(cls.__name__ for cls in defined))
        raise InitError(
            f"multiple classes found in a module, the name should be set explicitly. Classes: {names}"
        )
    return defined[0]


def instantiate_entrypoint(entrypoint_path: str, class_name: str | None) -> Any:
    """Import the module, choose the class and create the one shared instance."""
    try:
        module = import_entrypoint_module(entrypoint_path)
    except InitError:
        raise
    except BaseException as e:
        raise InitError(f"loading entrypoint module {entrypoint_path}: {e}") from e
    cls = find_entrypoint_class(module, class_name)
    try:
        return cls()
    except BaseException as e:
        raise InitError(f"initializing entrypoint class {cls.__name__}: {e}") from e
