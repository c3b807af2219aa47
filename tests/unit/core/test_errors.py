from __future__ import annotations

import pytest

from racetrack.core import errors
from racetrack.core.errors import DeploymentError, NotFoundError, RacetrackError, with_context


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (errors.InvalidInputError, 400),
        (errors.AuthenticationError, 401),
        (errors.PermissionDeniedError, 401),
        (errors.NotFoundError, 404),
        (errors.AlreadyExistsError, 409),
        (errors.ConflictError, 409),
        (errors.PayloadTooLargeError, 413),
        (errors.MaintenanceModeError, 503),
        (errors.DeploymentError, 500),
    ],
)
def test_each_error_knows_its_status_and_the_canonical_shape(cls: type[RacetrackError], status: int) -> None:
    error = cls("what went wrong")
    assert error.status_code == status
    assert error.to_dict() == {"error": "what went wrong", "type": cls.__name__}


def test_context_is_prepended_and_the_kind_kept() -> None:
    wrapped = with_context(
        "deploying job adder", with_context("building image", DeploymentError("pip failed"))
    )
    assert isinstance(wrapped, DeploymentError)
    assert str(wrapped) == "deploying job adder: building image: pip failed"


def test_context_on_a_foreign_exception_becomes_a_racetrack_error() -> None:
    wrapped = with_context("reading manifest", OSError("disk gone"))
    assert type(wrapped) is RacetrackError and str(wrapped) == "reading manifest: disk gone"
    assert str(with_context("x", NotFoundError("y"))) == "x: y"
