"""POST /api/v1/perform: request → method call, errors, return value conversion."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.job_runtime.job_runtime_support import SAMPLES, AppFactory, write_job

pytestmark = pytest.mark.anyio

CALLS = """
import dataclasses
import datetime
import pathlib
import math


class Tolist:
    def tolist(self):
        return [1, 2]


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Custom:
    def __to_json__(self):
        return {"custom": True}


class Entrypoint:
    def perform(self, a: int, b: int = 2) -> int:
        return a + b

    def auxiliary_endpoints(self):
        return {
            "/type_error_inside": self.type_error_inside,
            "/value_error": self.value_error,
            "/runtime_error": self.runtime_error,
            "/key_error": self.key_error,
            "/group_one": self.group_one,
            "/group_many": self.group_many,
            "/convert": self.convert,
            "/unencodable": self.unencodable,
            "/nan": self.nan,
            "/anything": self.anything,
            "/builtin": math.hypot,
            "/nothing": self.nothing,
            "/caller": self.caller,
            "/exit": self.exit,
        }

    def type_error_inside(self, x: int) -> int:
        return x + "text"

    def value_error(self) -> None:
        raise ValueError("x must be positive")

    def runtime_error(self) -> None:
        raise RuntimeError("something broke")

    def key_error(self) -> None:
        return {}["missing"]

    def group_one(self) -> None:
        raise ExceptionGroup("group", [ValueError("only member")])

    def group_many(self) -> None:
        raise ExceptionGroup("group", [ValueError("first"), KeyError("second")])

    def convert(self):
        return {
            "array": Tolist(),
            "dataclass": Point(1, 2),
            "date": datetime.date(2024, 1, 31),
            "datetime": datetime.datetime(2024, 1, 31, 12, 30, 0),
            "path": pathlib.Path("a/b.txt"),
            "custom": Custom(),
            "nested": [{"set": {3}}, (1, 2)],
            "text": "zażółć",
        }

    def unencodable(self):
        return object()

    def nan(self):
        return float("nan")

    def anything(self, **kwargs):
        return sorted(kwargs)

    def nothing(self):
        return None

    def caller(self):
        return self.request_context.get().headers.get("X-Caller-Name")

    def exit(self):
        raise SystemExit(3)
"""


@pytest.fixture
def client(jobs: AppFactory, tmp_path: Path):
    return jobs.client(write_job(tmp_path, CALLS), class_name="Entrypoint")


async def test_perform_flattens_the_json_object_into_keyword_arguments(jobs: AppFactory) -> None:
    client = jobs.client(SAMPLES / "python-class", "adder.py", "AdderModel")
    response = await client.post("/api/v1/perform", json={"numbers": [40, 2]})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == 42


async def test_optional_parameter_takes_its_default(client) -> None:
    assert (await client.post("/api/v1/perform", json={"a": 1})).json() == 3


async def test_empty_body_calls_with_no_arguments_not_the_docs_example(client) -> None:
    response = await client.post("/api/v1/nothing", content=b"")
    assert response.status_code == 200
    assert response.json() is None
    response = await client.post("/api/v1/perform", content=b"")
    assert response.status_code == 400
    assert "missing 1 required argument: 'a'" in response.json()["error"]


@pytest.mark.parametrize("body", [b"[1, 2]", b'"text"', b"3", b"null", b"true"])
async def test_non_object_json_is_a_400_json_error(client, body: bytes) -> None:
    response = await client.post("/api/v1/perform", content=body)
    assert response.status_code == 400
    assert response.json()["type"] == "ValueError"
    assert "payload must be a JSON object" in response.json()["error"]


async def test_invalid_json_is_a_400_json_error(client) -> None:
    response = await client.post("/api/v1/perform", content=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"].startswith("invalid JSON payload")
    assert response.json()["type"] == "ValueError"


async def test_missing_argument_is_a_400_binding_error(client) -> None:
    response = await client.post("/api/v1/perform", json={"b": 1})
    assert response.status_code == 400
    assert response.json() == {
        "error": "failed to call a function: perform() missing 1 required argument: 'a'",
        "type": "ValueError",
    }


async def test_unexpected_argument_is_a_400_binding_error(client) -> None:
    response = await client.post("/api/v1/perform", json={"a": 1, "c": 3})
    assert response.status_code == 400
    assert (
        response.json()["error"]
        == "failed to call a function: perform() got an unexpected keyword argument 'c'"
    )


async def test_binding_error_of_a_callable_without_signature_is_a_400(client) -> None:
    response = await client.post("/api/v1/builtin", json={"x": 3})
    assert response.status_code == 400
    assert response.json()["error"].startswith("failed to call a function: ")
    assert "keyword" in response.json()["error"]


async def test_type_error_raised_inside_user_code_is_a_500(client) -> None:
    response = await client.post("/api/v1/type_error_inside", json={"x": 1})
    assert response.status_code == 500
    assert response.json()["type"] == "TypeError"
    assert "unsupported operand" in response.json()["error"]


async def test_value_error_from_user_code_is_a_400(client) -> None:
    response = await client.post("/api/v1/value_error")
    assert response.status_code == 400
    assert response.json() == {"error": "x must be positive", "type": "ValueError"}


async def test_other_exceptions_are_500_with_their_type(client) -> None:
    response = await client.post("/api/v1/runtime_error")
    assert response.status_code == 500
    assert response.json() == {"error": "something broke", "type": "RuntimeError"}
    response = await client.post("/api/v1/key_error")
    assert response.status_code == 500
    assert response.json() == {"error": "'missing'", "type": "KeyError"}


async def test_system_exit_in_user_code_is_a_500_and_the_job_keeps_serving(client) -> None:
    response = await client.post("/api/v1/exit")
    assert response.status_code == 500
    assert response.json()["type"] == "SystemExit"
    assert (await client.post("/api/v1/perform", json={"a": 1})).status_code == 200


async def test_exception_group_with_one_member_is_unpacked(client) -> None:
    response = await client.post("/api/v1/group_one")
    assert response.status_code == 400
    assert response.json() == {"error": "only member", "type": "ValueError"}


async def test_exception_group_with_several_members_is_joined(client) -> None:
    response = await client.post("/api/v1/group_many")
    assert response.status_code == 500
    assert response.json() == {"error": "first; 'second'", "type": "ValueError, KeyError"}


async def test_return_values_are_converted_to_json(client) -> None:
    response = await client.post("/api/v1/convert")
    assert response.status_code == 200
    assert response.json() == {
        "array": [1, 2],
        "dataclass": {"x": 1, "y": 2},
        "date": "2024-01-31",
        "datetime": "2024-01-31T12:30:00",
        "path": "a/b.txt",
        "custom": {"custom": True},
        "nested": [{"set": [3]}, [1, 2]],
        "text": "zażółć",
    }


async def test_pydantic_models_are_converted_to_dicts(jobs: AppFactory, tmp_path: Path) -> None:
    source = """
    import pydantic

    class Result(pydantic.BaseModel):
        name: str
        score: float

    class Entrypoint:
        def perform(self):
            return [Result(name="a", score=0.5)]
    """
    client = jobs.client(write_job(tmp_path, source), class_name="Entrypoint")
    assert (await client.post("/api/v1/perform")).json() == [{"name": "a", "score": 0.5}]


async def test_unencodable_result_is_a_500(client) -> None:
    response = await client.post("/api/v1/unencodable")
    assert response.status_code == 500
    assert "not JSON serializable" in response.json()["error"]
    response = await client.post("/api/v1/nan")
    assert response.status_code == 500
    assert response.json()["type"] == "ValueError"


async def test_var_keyword_method_accepts_any_keys(client) -> None:
    response = await client.post("/api/v1/anything", json={"z": 1, "y": 2})
    assert response.json() == ["y", "z"]


async def test_request_context_gives_user_code_the_request_headers(client) -> None:
    response = await client.post("/api/v1/caller", headers={"X-Caller-Name": "User alice"})
    assert response.json() == "User alice"


async def test_body_over_the_limit_is_a_413_json_error(jobs: AppFactory, tmp_path: Path) -> None:
    client = jobs.client(
        write_job(tmp_path, CALLS), "entrypoint.py", "Entrypoint", {"RUNTIME_MAX_BODY_BYTES": "100"}
    )
    response = await client.post("/api/v1/anything", json={"x": "y" * 200})
    assert response.status_code == 413
    assert response.json()["type"] == "PayloadTooLarge"

    async def chunks():
        for _ in range(3):
            yield b" " * 60

    response = await client.post("/api/v1/anything", content=chunks())  # no content-length
    assert response.status_code == 413


async def test_failed_call_is_logged_with_cause_traceback_tracing_id_and_caller(
    jobs: AppFactory, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    client = jobs.client(
        write_job(tmp_path, CALLS), "entrypoint.py", "Entrypoint", {"LOG_CALLER_NAME": "true"}
    )
    caplog.set_level(logging.INFO, logger="racetrack_job_runtime")
    headers = {"X-Request-Tracing-Id": "trace-123", "X-Caller-Name": "User bob"}
    await client.post("/api/v1/type_error_inside", json={"x": 1}, headers=headers)
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1
    record = errors[0]
    assert "calling /type_error_inside failed: unsupported operand" in record.getMessage()
    assert record.cause == "TypeError"
    assert "entrypoint.py:" in record.traceback
    assert record.tracing_id == "trace-123"
    assert record.caller_name == "User bob"
    access = [r for r in caplog.records if r.getMessage() == "POST /api/v1/type_error_inside 500"]
    assert access and access[0].tracing_id == "trace-123"


async def test_error_response_has_one_json_shape_for_runtime_errors(client) -> None:
    for response in (
        await client.get("/api/v1/nowhere"),
        await client.get("/api/v1/perform"),
        await client.post("/api/v1/perform", content=b"[]"),
    ):
        body = response.json()
        assert set(body) == {"error", "type"}
        assert isinstance(body["error"], str) and isinstance(body["type"], str)
    assert json.loads((await client.get("/api/v1/perform")).content)["type"] == "MethodNotAllowed"
