"""Administration, admin panel, Activity, Portfolio and Graph pages (real app, real database)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI

from tests.integration.dashboard.dashboard_support import csrf_of, form_login, page_csrf
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, login

API = "/lifecycle/api/v1"
BOB, BOB_PASSWORD = "bob@example.com", "Quiet-Harbour-Lantern-42"

ADMIN_GETS = [
    "/dashboard/administration",
    "/dashboard/administration/users",
    "/dashboard/administration/escs",
    "/dashboard/administration/permissions",
    "/dashboard/administration/public-endpoints",
    "/dashboard/administration/trash",
]
ADMIN_POSTS = [
    ("/dashboard/administration/maintenance", {"enabled": "true"}),
    ("/dashboard/administration/users/update", {"username": "admin", "action": "deactivate"}),
    ("/dashboard/administration/users/password", {"username": "admin", "password": "x-long-password-9"}),
    ("/dashboard/administration/escs", {"name": "evil"}),
    ("/dashboard/administration/escs/update", {"esc_id": "x", "action": "deactivate"}),
    (
        "/dashboard/administration/permissions",
        {"subject_type": "user", "subject": "bob", "scope": "full_access"},
    ),
    ("/dashboard/administration/permissions/1/revoke", {}),
    ("/dashboard/administration/public-endpoints/update", {"request_id": "x", "active": "true"}),
]


def auth(client: TestClient) -> dict[str, str]:
    """The admin's API headers (the API's login cookie is dropped: pages log in themselves)."""
    headers = {"X-Racetrack-Auth": login(client)}
    client.cookies.clear()
    return headers


def add_user(client: TestClient, headers: dict[str, str], username: str = BOB, active: bool = True) -> None:
    response = client.post(f"{API}/users/register", json={"username": username, "password": BOB_PASSWORD})
    assert response.is_success, response.text
    if active:
        assert client.patch(f"{API}/users/{username}", json={"is_active": True}, headers=headers).is_success


def post(client: TestClient, path: str, data: dict[str, str], page: str) -> str:
    """POST a form with the CSRF token of ``page``, following the redirect; the final page."""
    response = client.post(path, data={**data, "csrf_token": page_csrf(client, page)})
    assert response.status_code in (200, 400), response.text
    text: str = response.text
    return text


def test_admin_pages_refuse_non_staff_and_anonymous(client: TestClient) -> None:
    add_user(client, auth(client))
    for path in ADMIN_GETS:
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/dashboard/login?next=" in response.headers["location"]
    for path, data in ADMIN_POSTS:
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 303, path
    form_login(client, BOB, BOB_PASSWORD)
    profile = client.get("/dashboard/profile").text
    assert ">Administration</a>" not in profile
    token = csrf_of(profile)
    for path in ADMIN_GETS:
        response = client.get(path)
        assert response.status_code == 403 and "administrators" in response.text, path
    for path, data in ADMIN_POSTS:
        response = client.post(path, data={**data, "csrf_token": token}, follow_redirects=False)
        assert response.status_code == 403, path
        assert "Traceback" not in response.text
    # nothing changed behind the refusals
    assert "currently in maintenance mode" not in client.get("/dashboard/profile").text


def test_admin_posts_need_csrf(client: TestClient) -> None:
    form_login(client)
    for path, data in ADMIN_POSTS:
        response = client.post(path, data=data, follow_redirects=False)
        assert response.status_code == 403, path


def test_overview_shows_links_versions_trees_and_plugins(client: TestClient) -> None:
    headers = auth(client)
    deploy(client, headers, name="adder")
    form_login(client)
    page = client.get("/dashboard/administration").text
    assert "http://127.0.0.1:7202/lifecycle" in page and 'data-copy="#link-lifecycle"' in page
    assert 'value="http://testserver/dashboard/administration/users"' in page
    assert "Grafana" not in page
    assert "Available Job Type versions" in page and "fake:1.0.0" in page
    assert re.search(r'title="1 job uses this job type"[^>]*>1<', page)
    assert "Active plugins" in page and "category-" in page
    assert 'id="maintenance-state">off<' in page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_overview_links_grafana_when_configured(make_app: Callable[..., FastAPI]) -> None:
    with TestClient(make_app(external_grafana_url="http://grafana.example/d")) as client:
        form_login(client)
        page = client.get("/dashboard/administration").text
    assert "Grafana dashboards" in page and 'value="http://grafana.example/d"' in page
    assert 'data-copy="#link-grafana"' in page


def test_maintenance_toggle_shows_the_banner_everywhere(client: TestClient) -> None:
    form_login(client)
    page = post(
        client, "/dashboard/administration/maintenance", {"enabled": "true"}, "/dashboard/administration"
    )
    assert "Maintenance mode is on." in page and 'id="maintenance-state">on<' in page
    assert "currently in maintenance mode" in client.get("/dashboard/activity").text
    page = post(
        client, "/dashboard/administration/maintenance", {"enabled": "false"}, "/dashboard/administration"
    )
    assert "Maintenance mode is off." in page
    assert "currently in maintenance mode" not in client.get("/dashboard/activity").text


def test_users_are_activated_made_staff_and_staff_cannot_demote_themselves(client: TestClient) -> None:
    add_user(client, auth(client), active=False)
    form_login(client)
    users = "/dashboard/administration/users"
    assert BOB in client.get(users).text
    page = post(client, f"{users}/update", {"username": BOB, "action": "activate"}, users)
    assert f"User {BOB} activated." in page
    page = post(client, f"{users}/update", {"username": BOB, "action": "make_staff"}, users)
    assert f"User {BOB} made staff." in page
    page = post(client, f"{users}/update", {"username": "admin", "action": "remove_staff"}, users)
    assert "cannot deactivate or remove staff status from your own account" in page
    page = post(client, f"{users}/password", {"username": BOB, "password": "short"}, users)
    assert f"Password of {BOB} not changed" in page
    page = post(client, f"{users}/password", {"username": BOB, "password": "a-new-long-password-7"}, users)
    assert f"Password of {BOB} has been reset." in page
    assert client.post(
        f"{API}/users/login", json={"username": BOB, "password": "a-new-long-password-7"}
    ).is_success


def test_esc_token_is_shown_once_then_deactivated_and_expiring(client: TestClient) -> None:
    form_login(client)
    escs = "/dashboard/administration/escs"
    created = post(client, escs, {"name": "billing"}, escs)
    match = re.search(r'id="esc-token" type="text" readonly value="([^"]+)"', created)
    assert match and "ESC billing created" in created
    token = match.group(1)
    listing = client.get(escs).text
    assert "billing" in listing and token not in listing and "esc-token" not in listing
    esc_id = re.search(r"<code>([^<]+)</code>", listing.split("<tbody>")[1])
    assert esc_id
    page = post(client, f"{escs}/update", {"esc_id": esc_id.group(1), "action": "deactivate"}, escs)
    assert "deactivated." in page and "inactive" in page
    page = post(
        client,
        f"{escs}/update",
        {"esc_id": esc_id.group(1), "action": "set_expiry", "expiry": "2031-01-02T03:04"},
        escs,
    )
    assert "expires at 2031-01-02T03:04 UTC" in page and "2031-01-02T03:04:00" in page
    page = post(
        client, f"{escs}/update", {"esc_id": esc_id.group(1), "action": "set_expiry", "expiry": "x"}, escs
    )
    assert "not a date and time" in page
    assert "empty" in post(client, escs, {"name": " "}, escs)


def test_permission_granted_filtered_and_revoked(client: TestClient) -> None:
    headers = auth(client)
    add_user(client, headers)
    deploy(client, headers, name="adder")
    form_login(client)
    perms = "/dashboard/administration/permissions"
    page = post(
        client,
        perms,
        {"subject_type": "user", "subject": BOB, "scope": "deploy_job", "job_family": "adder"},
        perms,
    )
    assert f"Permission deploy_job granted to user {BOB}." in page
    filtered = client.get(perms, params={"subject": BOB, "scope": "deploy_job"}).text
    rows = filtered.split('id="permissions"')[1]
    row = next(r for r in rows.split("<tr>") if "<td>adder</td>" in r)
    assert BOB in row
    permission_id = re.search(r"/administration/permissions/(\d+)/revoke", row)
    assert permission_id
    bad = post(client, perms, {"subject_type": "user", "subject": "nobody", "scope": "read_job"}, perms)
    assert 'id="grant-error"' in bad and "user nobody does not exist" in bad and 'value="nobody"' in bad
    bad = post(
        client, perms, {"subject_type": "user", "subject": BOB, "scope": "read_job", "job_family": "x"}, perms
    )
    assert "job family x does not exist" in bad
    bad = post(client, perms, {"subject_type": "user", "subject": BOB, "scope": "fly"}, perms)
    assert "grant-error" in bad
    page = post(client, f"{perms}/{permission_id.group(1)}/revoke", {}, perms)
    assert f"Permission {permission_id.group(1)} revoked." in page
    assert "<td>adder</td>" not in client.get(perms, params={"subject": BOB, "scope": "deploy_job"}).text


def test_public_endpoint_is_activated(client: TestClient) -> None:
    headers = auth(client)
    deploy(client, headers, name="adder", public_endpoints=["/api/v1/webview"])
    form_login(client)
    path = "/dashboard/administration/public-endpoints"
    listing = client.get(path).text
    assert "/api/v1/webview" in listing and "inactive" in listing
    request_id = re.search(r'name="request_id" value="([^"]+)"', listing)
    assert request_id
    page = post(client, f"{path}/update", {"request_id": request_id.group(1), "active": "true"}, path)
    assert "Public endpoint /api/v1/webview of adder 0.0.1 activated." in page
    assert client.get(f"{API}/public-endpoints", params={"active": "true"}, headers=headers).json()


def test_trash_lists_deleted_jobs(client: TestClient) -> None:
    headers = auth(client)
    deploy(client, headers, name="adder")
    assert client.delete(f"{API}/job/adder/0.0.1", headers=headers).is_success
    form_login(client)
    page = client.get("/dashboard/administration/trash").text
    assert "<td>adder</td><td>0.0.1</td>" in page
    assert "(empty)" in client.get("/dashboard/administration/trash", params={"job_name": "other"}).text


def test_activity_filters_and_only_related_to_me(client: TestClient) -> None:
    headers = auth(client)
    add_user(client, headers)
    deploy(client, headers, name="adder")
    deploy(client, headers, name="stats")
    form_login(client)
    page = client.get("/dashboard/activity").text
    assert "Job Deployed" in page and "Job adder 0.0.1 deployed by admin" in page
    assert "User Changed" in page  # bob's activation: administration events are shown to staff
    filtered = client.get("/dashboard/activity", params={"job_name": "stats"}).text
    assert "Job stats 0.0.1" in filtered and "Job adder 0.0.1" not in filtered
    assert "(empty)" in client.get("/dashboard/activity", params={"job_version": "9.9.9"}).text
    client.cookies.clear()
    form_login(client, BOB, BOB_PASSWORD)
    mine = client.get("/dashboard/activity", params={"related": "true"}).text
    assert "checked" in mine and "Job Deployed" not in mine and f"User {BOB} activated" in mine
    everyone = client.get("/dashboard/activity").text
    assert "Job adder 0.0.1 deployed by admin" in everyone


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_portfolio_sorts_filters_pages_and_keeps_columns(client: TestClient) -> None:
    headers = auth(client)
    for name in ("alpha", "beta", "gamma"):
        deploy(client, headers, name=name)
    form_login(client)
    page = client.get("/dashboard/portfolio").text
    assert page.index("<td>alpha</td>") < page.index("<td>beta</td>") < page.index("<td>gamma</td>")
    assert 'title="Version of the job' in page and 'title="Version of the job type' in page
    assert ">Purge score</a>" not in page and ">Last called ago [days]</a>" in page
    desc = client.get("/dashboard/portfolio", params={"sort": "name", "dir": "desc"}).text
    assert desc.index("<td>gamma</td>") < desc.index("<td>alpha</td>") and 'aria-sort="descending"' in desc
    assert "<td>beta</td>" in client.get("/dashboard/portfolio", params={"q": "BET"}).text
    assert "<td>alpha</td>" not in client.get("/dashboard/portfolio", params={"q": "bet"}).text
    chosen = client.get(
        "/dashboard/portfolio", params={"set_columns": "1", "columns": ["name", "purge_score", "actions"]}
    )
    assert ">Purge score</a>" in chosen.text and ">Status</a>" not in chosen.text
    assert "rt_portfolio_columns" in chosen.headers["set-cookie"]
    again = client.get("/dashboard/portfolio").text
    assert ">Purge score</a>" in again and ">Status</a>" not in again and "Delete</button>" in again
    token = csrf_of(again)
    response = client.post("/dashboard/portfolio/delete", data={"name": "beta", "version": "0.0.1"})
    assert response.status_code == 403  # no CSRF token
    done = client.post(
        "/dashboard/portfolio/delete", data={"name": "beta", "version": "0.0.1", "csrf_token": token}
    )
    assert "Job beta 0.0.1 deleted." in done.text and "<td>beta</td>" not in done.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_portfolio_pages_25_rows(client: TestClient) -> None:
    from racetrack.lifecycle.db.models import Job, JobFamily

    state = client.app.state.lifecycle  # type: ignore[attr-defined]
    with state.db.session() as session:
        family = JobFamily(name="many")
        session.add(family)
        session.flush()
        for i in range(30):
            session.add(Job(name="many", version=f"1.0.{i}", family_id=family.id, status="running"))
    form_login(client)
    first = client.get("/dashboard/portfolio").text
    assert first.count("<td>many</td>") == 25 and "page 1 of 2" in first and 'rel="next"' in first
    second = client.get("/dashboard/portfolio", params={"page": "2"}).text
    assert second.count("<td>many</td>") == 5


def test_graph_shows_what_the_user_may_see(client: TestClient) -> None:
    headers = auth(client)
    add_user(client, headers)
    deploy(client, headers, name="adder")
    esc = client.post(f"{API}/escs", json={"name": "billing"}, headers=headers)
    assert esc.is_success, esc.text
    esc_id = esc.json()["id"]
    granted = client.post(
        f"{API}/permissions",
        json={"subject_type": "esc", "subject": esc_id, "scope": "call_job", "job_family": "adder"},
        headers=headers,
    )
    assert granted.is_success, granted.text
    form_login(client)
    page = client.get("/dashboard/graph").text
    assert f'data-id="esc-{esc_id}"' in page and 'data-id="job-family-adder"' in page
    assert f'data-from="esc-{esc_id}" data-to="job-family-adder"' in page
    assert '<title id="graph-title">' in page and "ESC: billing → Job family: adder" in page
    assert "http://pub.example:7205/pub/job/adder/0.0.1" in page
    client.cookies.clear()
    form_login(client, BOB, BOB_PASSWORD)
    mine = client.get("/dashboard/graph").text
    assert 'data-id="job-family-adder"' in mine and "esc-" not in mine and "billing" not in mine
