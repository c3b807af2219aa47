"""Jobs, job details, deployments and the deploy form of the Dashboard (server side)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from sqlalchemy import delete, select

from racetrack.dashboard.deployments_pages import format_duration
from racetrack.dashboard.highlight import highlight_yaml
from racetrack.dashboard.jobs_tree import JobRow, SortOrder, build_tree
from racetrack.lifecycle.db.models import AuthResourcePermission, AuthSubject, Job, JobFamily
from racetrack.lifecycle.services.permissions import Scope, grant
from tests.integration.dashboard.dashboard_support import csrf_of, form_login, page_csrf
from tests.integration.lifecycle.lifecycle_support import TestClient, deploy, login, wait_for_deployment

PASSWORD = "Another-Long-Secret-9"
HTMX = {"HX-Request": "true"}


def _deploy(client: TestClient, name: str, version: str, **extra: Any) -> dict[str, Any]:
    headers = {"X-Racetrack-Auth": login(client)}
    result = deploy(client, headers, name=name, version=version, **extra)
    assert result["status"] == "done", result
    return result


def _restricted_user(app: FastAPI, username: str, families: list[str], scopes: list[Scope]) -> None:
    """An active user whose only grants are ``scopes`` on ``families``."""
    state = app.state.lifecycle
    with state.db.session() as session:
        user = state.users.create_user(session, username, PASSWORD)
        subject = session.scalars(select(AuthSubject).where(AuthSubject.user_id == user.id)).one()
        session.execute(delete(AuthResourcePermission).where(AuthResourcePermission.subject_id == subject.id))
        for family in families:
            family_id = session.scalars(select(JobFamily.id).where(JobFamily.name == family)).one()
            for scope in scopes:
                grant(session, subject.id, scope, family_id=family_id)


def _stored_manifest(app: FastAPI, name: str = "adder") -> str:
    with app.state.lifecycle.db.session(readonly=True) as session:
        text: str = session.scalars(select(Job.manifest_yaml).where(Job.name == name)).one()
    return text


def _tree(client: TestClient, **params: str) -> str:
    response = client.get("/dashboard/jobs-tree", params=params, headers=HTMX)
    assert response.status_code == 200, response.text
    return response.text


def _order(html: str) -> list[str]:
    return re.findall(r'href="/dashboard/jobs/([^/"]+/[^"]+)"', html)


def test_jobs_page_shows_the_tree_grouped_by_family(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    _deploy(client, "adder", "0.0.10")
    _deploy(client, "bravo", "1.0.0")
    form_login(client)
    page = client.get("/dashboard/")
    assert page.status_code == 200
    assert 'id="jobs-count"' in page.text and ">3</span>" in page.text
    assert _order(page.text) == ["adder/0.0.10", "adder/0.0.1", "bravo/1.0.0"]
    assert 'title="2 versions"' in page.text
    assert "Status: running" in page.text and "dot-running" in page.text
    assert "Sort by latest family" in page.text and "Collapse all" in page.text


def test_restricted_user_sees_only_granted_families(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    _deploy(client, "secret", "1.0.0")
    _restricted_user(app, "reader@example.com", ["adder"], [Scope.READ_JOB])
    form_login(client, "reader@example.com", PASSWORD)
    page = client.get("/dashboard/").text
    assert _order(page) == ["adder/0.0.1"] and "secret" not in page
    hidden = client.get("/dashboard/jobs/secret/1.0.0")
    assert hidden.status_code == 404 and "secret" in hidden.text and "Page not found" in hidden.text
    assert client.get("/dashboard/jobs/secret/1.0.0/logs/build").status_code == 404
    assert client.get("/dashboard/jobs/adder/0.0.1").status_code == 200
    token = csrf_of(client.get("/dashboard/jobs/adder/0.0.1").text)
    denied = client.post("/dashboard/jobs/adder/0.0.1/delete", data={"csrf_token": token})
    assert denied.status_code == 403
    denied = client.post(
        "/dashboard/jobs/adder/0.0.1/redeploy", data={"csrf_token": token, "kind": "reprovision"}
    )
    assert denied.status_code == 403
    saved = client.post(
        "/dashboard/jobs/adder/0.0.1/manifest",
        data={"csrf_token": token, "manifest_yaml": _stored_manifest(app)},
    )
    assert saved.status_code == 403
    assert client.post("/dashboard/jobs/secret/1.0.0/delete", data={"csrf_token": token}).status_code == 404
    with app.state.lifecycle.db.session(readonly=True) as session:
        assert len(session.scalars(select(Job)).all()) == 2
    # deployments of unreadable jobs are hidden too
    listing = client.get("/dashboard/deployments").text
    assert "adder 0.0.1" in listing and "secret 1.0.0" not in listing


def test_user_without_any_read_grant_gets_an_error_page(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    _restricted_user(app, "nobody@example.com", [], [])
    form_login(client, "nobody@example.com", PASSWORD)
    page = client.get("/dashboard/")
    assert page.status_code in (401, 403) and "adder" not in page.text and "Traceback" not in page.text


def test_pages_need_a_login(client: TestClient) -> None:
    for path in ("/dashboard/", "/dashboard/jobs/a/1", "/dashboard/deployments", "/dashboard/deploy"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and "/dashboard/login" in response.headers["location"], path


def test_posts_without_csrf_are_refused(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    form_login(client)
    for path, data in (
        ("/dashboard/jobs/adder/0.0.1/delete", {}),
        ("/dashboard/jobs/adder/0.0.1/redeploy", {"kind": "redeploy"}),
        ("/dashboard/jobs/adder/0.0.1/manifest", {"manifest_yaml": "x: 1"}),
        ("/dashboard/deploy", {"manifest_yaml": "name: x"}),
    ):
        assert client.post(path, data=data).status_code == 403, path
    with app.state.lifecycle.db.session(readonly=True) as session:
        assert session.scalars(select(Job)).one().status == "running"


def test_filter_and_sort_orders(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "alpha", "1.0.0")
    _deploy(client, "alpha", "1.2.0", owner_email="team-a@example.com")
    _deploy(client, "beta", "0.1.0")
    with app.state.lifecycle.db.session() as session:
        job = session.scalars(select(Job).where(Job.name == "beta")).one()
        job.status, job.error = "error", "crashed"
        job.update_time = job.update_time + timedelta(minutes=5)
        older = session.scalars(select(Job).where(Job.version == "1.0.0")).one()
        older.update_time = older.update_time - timedelta(minutes=5)
    form_login(client)
    assert _order(_tree(client, q="alpha")) == ["alpha/1.2.0", "alpha/1.0.0"]
    assert _order(_tree(client, q="ALPHA 1.2")) == ["alpha/1.2.0"]  # AND, case-insensitive
    assert _order(_tree(client, q="team-a")) == ["alpha/1.2.0"]  # owner email
    assert _order(_tree(client, q="error")) == ["beta/0.1.0"]  # status
    assert _order(_tree(client, q="fake")) != []  # target and job type
    assert _order(_tree(client, q="admin beta")) == ["beta/0.1.0"]  # deployed by
    assert "No matching jobs found" in _tree(client, q="alpha nothing")
    assert _order(_tree(client, sort="status")) == ["beta/0.1.0", "alpha/1.2.0", "alpha/1.0.0"]
    assert _order(_tree(client, sort="latest-job")) == ["beta/0.1.0", "alpha/1.2.0", "alpha/1.0.0"]
    assert _order(_tree(client, sort="latest-family")) == ["beta/0.1.0", "alpha/1.2.0", "alpha/1.0.0"]
    response = client.get("/dashboard/jobs-tree", params={"sort": "status", "q": "a"}, headers=HTMX)
    assert response.headers["HX-Replace-Url"] == "/dashboard/?sort=status&q=a"
    # the chosen order is remembered (cookie) and bookmarkable (query string)
    assert 'value="status" selected' in client.get("/dashboard/").text
    assert 'value="name" selected' in client.get("/dashboard/?sort=name").text


def _dto(name: str, version: str, status: str = "running", update: int = 0, **extra: Any) -> JobRow:
    return JobRow(
        id=f"{name}-{version}", name=name, version=version, status=status, update_time=update, **extra
    )


def test_sort_orders_unit() -> None:
    jobs = [
        _dto("b", "1.0.0", update=5),
        _dto("a", "1.10.0", status="error", update=1),
        _dto("a", "1.9.0", update=9),
        _dto("C", "0.1.0", status="starting", update=3),
        _dto("a", "2.0.0-rc1", status="error", update=2),
    ]
    by_name = build_tree(jobs, SortOrder.NAME)
    assert [(f.name, [j.version for j in f.jobs]) for f in by_name.families] == [
        ("a", ["2.0.0-rc1", "1.10.0", "1.9.0"]),
        ("b", ["1.0.0"]),
        ("C", ["0.1.0"]),
    ]
    assert [f.name for f in build_tree(jobs, SortOrder.LATEST_FAMILY).families] == ["a", "b", "C"]
    assert [j.id for j in build_tree(jobs, SortOrder.LATEST_JOB).flat] == [
        "a-1.9.0",
        "b-1.0.0",
        "C-0.1.0",
        "a-2.0.0-rc1",
        "a-1.10.0",
    ]
    assert [j.id for j in build_tree(jobs, SortOrder.STATUS).flat] == [
        "a-2.0.0-rc1",
        "a-1.10.0",
        "C-0.1.0",
        "a-1.9.0",
        "b-1.0.0",
    ]
    target = [_dto("x", "1.0.0", infrastructure_target="kubernetes", job_type_version="python3:3.2.1")]
    assert build_tree(target, SortOrder.NAME, "kube python3:3.2").shown == 1
    assert build_tree(target, SortOrder.NAME, "kube docker").shown == 0


def test_job_detail_shows_fields_actions_and_manifest(make_app: Any) -> None:
    with TestClient(make_app(external_grafana_url="https://grafana.example")) as client:
        _deploy(client, "adder", "0.0.1", labels={"team": "<b>core</b>"})
        form_login(client)
        page = client.get("/dashboard/jobs/adder/0.0.1")
        assert page.status_code == 200
        html = page.text
        assert 'href="http://pub.example:7205/pub/job/adder/0.0.1"' in html and 'target="_blank"' in html
        assert "team: &lt;b&gt;core&lt;/b&gt;" in html and "<b>core" not in html
        assert "Deployed by</dt><dd>admin" in html and "Infrastructure target</dt><dd>fake" in html
        assert (
            "https://grafana.example/d/KZoFMs_nz/jobs?orgId=1&amp;var-job_name=adder&amp;var-job_version=0.0.1"
            in html
        )
        assert (
            "Do you really want to redeploy the job &#34;adder 0.0.1&#34; (rebuild it and reprovision)?"
            in html
        )
        assert "reprovision the job &#34;adder 0.0.1&#34; (deploy it without rebuilding)?" in html
        assert 'Are you sure you want to delete the job "adder 0.0.1"?' in html
        assert '<span class="y-key">name</span>' in html
        pane = client.get("/dashboard/jobs/adder/0.0.1", headers={**HTMX, "HX-Target": "job-pane"})
        assert pane.status_code == 200 and "<html" not in pane.text and "job-detail" in pane.text


def test_open_is_disabled_unless_running(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    with app.state.lifecycle.db.session() as session:
        job = session.scalars(select(Job)).one()
        job.status, job.error = "error", "boom <script>"
    form_login(client)
    html = client.get("/dashboard/jobs/adder/0.0.1").text
    assert '<button type="button" disabled' in html and "Open is available while the job is running" in html
    assert '<pre class="error-text">boom &lt;script&gt;</pre>' in html


def test_logs_are_shown_without_ansi(app: FastAPI, client: TestClient, target: Any) -> None:
    _deploy(client, "adder", "0.0.1")
    target.log("adder", "0.0.1", "\x1b[31mred line\x1b[0m")
    form_login(client)
    runtime = client.get("/dashboard/jobs/adder/0.0.1/logs/runtime")
    assert runtime.status_code == 200 and "Runtime logs of adder 0.0.1" in runtime.text
    assert (
        "red line" in runtime.text
        and "\x1b" not in runtime.text
        and "logs/runtime/stream?shown=" in runtime.text
    )
    build = client.get("/dashboard/jobs/adder/0.0.1/logs/build", headers=HTMX)
    assert (
        "Build logs of adder 0.0.1" in build.text
        and "built fake-env" in build.text
        and "<html" not in build.text
    )


def test_manifest_edit_validates_then_redeploys(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    form_login(client)
    form = client.get("/dashboard/jobs/adder/0.0.1/manifest")
    assert form.status_code == 200 and '<label for="manifest-yaml">' in form.text
    assert "overwrites online edits" in form.text
    token = csrf_of(form.text)
    with app.state.lifecycle.db.session(readonly=True) as session:
        before = session.scalars(select(Job)).one().manifest_yaml
    for bad, message in (
        (
            "name: adder\nversion: 0.0.2\njobtype: fake:1.0.0\nowner_email: a@b.c\ngit:\n  remote: https://x/y\n",
            "must stay adder and 0.0.1",
        ),
        ("name: adder\nversion: [\n", "invalid manifest"),
    ):
        response = client.post(
            "/dashboard/jobs/adder/0.0.1/manifest",
            data={"csrf_token": token, "manifest_yaml": bad},
            headers=HTMX,
        )
        assert response.status_code == 200 and message in response.text and 'role="alert"' in response.text
        plain = client.post(
            "/dashboard/jobs/adder/0.0.1/manifest", data={"csrf_token": token, "manifest_yaml": bad}
        )
        assert plain.status_code == 400 and message in plain.text
    with app.state.lifecycle.db.session(readonly=True) as session:
        assert session.scalars(select(Job)).one().manifest_yaml == before
    edited = before + "labels:\n  edited: 'yes'\n"
    saved = client.post(
        "/dashboard/jobs/adder/0.0.1/manifest",
        data={"csrf_token": token, "manifest_yaml": edited},
        headers=HTMX,
    )
    assert saved.status_code == 200 and "Manifest saved." in saved.headers["HX-Trigger"]
    deployment_id = re.search(r"/dashboard/deployments/([0-9a-f-]+)/progress", saved.text)
    assert deployment_id, saved.text
    result = wait_for_deployment(client, deployment_id.group(1), {"X-Racetrack-Auth": login(client)})
    assert result["status"] == "done" and result["kind"] == "redeploy"
    progress = client.get(f"/dashboard/deployments/{deployment_id.group(1)}/progress?pane=true", headers=HTMX)
    assert "done in" in progress.text and "every 1s" not in progress.text
    assert "edited: yes" in client.get("/dashboard/jobs/adder/0.0.1").text.replace(
        '<span class="y-key">', ""
    ).replace("</span>", "").replace('<span class="y-string">', "").replace("'", "")


def test_redeploy_and_delete(app: FastAPI, client: TestClient) -> None:
    _deploy(client, "adder", "0.0.1")
    form_login(client)
    token = page_csrf(client, "/dashboard/jobs/adder/0.0.1")
    started = client.post(
        "/dashboard/jobs/adder/0.0.1/redeploy",
        data={"csrf_token": token, "kind": "reprovision"},
        headers=HTMX,
    )
    assert started.status_code == 200 and "Reprovision of adder 0.0.1" in started.text
    deployment_id = re.search(r"/dashboard/deployments/([0-9a-f-]+)", started.text)
    assert deployment_id
    assert wait_for_deployment(client, deployment_id.group(1), {"X-Racetrack-Auth": login(client)})[
        "kind"
    ] == ("reprovision")
    bad = client.post("/dashboard/jobs/adder/0.0.1/redeploy", data={"csrf_token": token, "kind": "deploy"})
    assert bad.status_code == 400
    deleted = client.post(
        "/dashboard/jobs/adder/0.0.1/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert deleted.status_code == 303 and deleted.headers["location"] == "/dashboard/"
    assert "Job adder 0.0.1 deleted." in client.get("/dashboard/").text
    with app.state.lifecycle.db.session(readonly=True) as session:
        assert session.scalars(select(Job)).all() == []


def test_deployments_list_and_detail(app: FastAPI, client: TestClient) -> None:
    done = _deploy(client, "adder", "0.0.1")
    headers = {"X-Racetrack-Auth": login(client)}
    failed = deploy(client, headers, name="adder", version="0.0.2", build_env={"FAKE_BUILD": "fail"})
    assert failed["status"] == "failed"
    form_login(client)
    listing = client.get("/dashboard/deployments").text
    assert "Deploy a new job" in listing
    assert listing.index("adder 0.0.2, by admin") < listing.index("adder 0.0.1, by admin")
    assert f'href="/dashboard/deployments/{done["id"]}"' in listing and "FAILED, " in listing
    detail = client.get(f"/dashboard/deployments/{failed['id']}")
    assert detail.status_code == 200
    assert (
        failed["id"] in detail.text
        and "pip failed" in detail.text
        and '<pre class="error-text">' in detail.text
    )
    assert '<span class="y-key">name</span>' in detail.text
    assert client.get("/dashboard/deployments/no-such-id").status_code == 404


def test_deploy_form(app: FastAPI, client: TestClient) -> None:
    form_login(client)
    page = client.get("/dashboard/deploy")
    assert page.status_code == 200
    for label in (
        "Manifest YAML",
        "Git username (optional)",
        "Git token (optional)",
        "Overwrite existing job",
    ):
        assert label in page.text
    assert 'type="password"' in page.text
    token = csrf_of(page.text)
    for bad, message in (
        ("- just\n- a list\n", "Invalid Manifest YAML"),
        ("name: [unclosed\n", "Invalid Manifest YAML"),
        ("name: adder\n", "invalid manifest"),
    ):
        response = client.post("/dashboard/deploy", data={"csrf_token": token, "manifest_yaml": bad})
        assert response.status_code == 400 and message in response.text, response.text
    with app.state.lifecycle.db.session(readonly=True) as session:
        assert session.scalars(select(Job)).all() == []
    good = (
        "name: adder\nversion: 0.0.1\nowner_email: a@example.com\njobtype: fake:1.0.0\n"
        "git:\n  remote: https://github.com/example/adder\n"
    )
    response = client.post(
        "/dashboard/deploy",
        data={"csrf_token": token, "manifest_yaml": good, "git_username": "u", "git_token": "t"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/dashboard/deployments/")
    detail = client.get(response.headers["location"])
    assert "Job deployment requested." in detail.text
    deployment_id = response.headers["location"].rsplit("/", 1)[1]
    assert wait_for_deployment(client, deployment_id, {"X-Racetrack-Auth": login(client)})["status"] == "done"
    again = client.post("/dashboard/deploy", data={"csrf_token": token, "manifest_yaml": good})
    assert again.status_code == 409 and "already deployed" in again.text
    forced = client.post(
        "/dashboard/deploy",
        data={"csrf_token": token, "manifest_yaml": good, "force": "true"},
        follow_redirects=False,
    )
    assert forced.status_code == 303


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_events_stream_reports_changes(app: FastAPI, client: TestClient) -> None:
    feed = app.state.lifecycle.changes
    with feed.listening():
        feed.poll()
        before = feed.version
        _deploy(client, "adder", "0.0.1")
        feed.poll()
        assert feed.version > before


def test_format_duration() -> None:
    assert format_duration(0) == "0s"
    assert format_duration(59.6) == "1m 0s"
    assert format_duration(61) == "1m 1s"
    assert format_duration(3600) == "1h 0m 0s"
    assert format_duration(90061) == "1d 1h 1m 1s"
    assert format_duration(86400 + 5) == "1d 0h 0m 5s"
    assert format_duration(None) == "-"


def test_yaml_highlighter_escapes_html() -> None:
    html = str(highlight_yaml("name: <script>alert(1)</script> # <b>\nport: 80\non: true\n'k': \"v&\"\n"))
    assert "<script>" not in html and "<b>" not in html
    assert '<span class="y-key">name</span>' in html
    assert '<span class="y-string">&lt;script&gt;alert(1)&lt;/script&gt;</span>' in html
    assert '<span class="y-comment"># &lt;b&gt;</span>' in html
    assert '<span class="y-number">80</span>' in html and '<span class="y-literal">true</span>' in html
    assert "&#34;v&amp;&#34;" in html
    assert str(highlight_yaml(None)) == ""


def test_failed_redeploy_after_a_manifest_edit_shows_its_cause_and_keeps_the_job_serving(
    app: FastAPI, client: TestClient, target: Any
) -> None:
    first = _deploy(client, "adder", "0.0.1")
    form_login(client)
    token = page_csrf(client, "/dashboard/jobs/adder/0.0.1/manifest")
    broken = _stored_manifest(app) + "runtime_env:\n  FAKE_BEHAVIOUR: init-error\n"

    saved = client.post(
        "/dashboard/jobs/adder/0.0.1/manifest",
        data={"csrf_token": token, "manifest_yaml": broken},
        headers=HTMX,
    )

    deployment_id = re.search(r"/dashboard/deployments/([0-9a-f-]+)/progress", saved.text)
    assert deployment_id, saved.text
    result = wait_for_deployment(client, deployment_id.group(1), {"X-Racetrack-Auth": login(client)})
    assert result["status"] == "failed"
    progress = client.get(f"/dashboard/deployments/{deployment_id.group(1)}/progress?pane=true", headers=HTMX)
    assert "boom in init" in progress.text and "every 1s" not in progress.text
    assert [i.deployment_id for i in target.serving("adder", "0.0.1")] == [first["id"]]
    assert "running" in client.get("/dashboard/jobs/adder/0.0.1").text
