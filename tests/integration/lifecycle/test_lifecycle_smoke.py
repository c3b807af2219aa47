from __future__ import annotations

from tests.integration.lifecycle.lifecycle_support import TestClient, deploy


def test_deploy_then_list(client: TestClient, auth: dict[str, str]) -> None:
    result = deploy(client, auth)
    assert result["status"] == "done", result
    jobs = client.get("/api/v1/job", headers=auth).json()
    assert [j["name"] for j in jobs] == ["adder"]
