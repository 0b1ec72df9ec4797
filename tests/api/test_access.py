"""Tokens and roles: every route has one role, and every route × {no token, read, submit, admin, revoked} gets the
status that role implies; owners; the Host check; /health for strangers; start-up refusing to expose the API."""

from __future__ import annotations

import itertools
import subprocess
import sys
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.access import ROUTE_ROLES
from api.exposure import RefusedToStart, bind_host, check_start
from shared.access.roles import ROLES
from shared.access.tokens import create, revoke
from shared.db.engine import session_scope
from shared.settings import get_settings
from tests.conftest import REPO, Stack
from tests.e2e.processes import free_port

CALLERS = ("none", "read", "submit", "admin", "revoked")


def app_routes() -> set[tuple[str, str]]:
    """(method, path) of every route the app serves, included routers' too (FastAPI 0.16x nests them)."""
    from api.main import app

    found: set[tuple[str, str]] = set()

    def walk(routes: list[Any]) -> None:
        for route in routes:
            nested = getattr(route, "original_router", None)
            if nested is not None:
                walk(nested.routes)
            elif isinstance(route, APIRoute) or hasattr(route, "methods"):
                found.update((method, route.path) for method in route.methods - {"HEAD"})

    walk(app.router.routes)
    return found


def test_every_route_has_exactly_one_role() -> None:
    served = app_routes()
    assert served - set(ROUTE_ROLES) == set(), "a new route needs its role in api.access.ROUTE_ROLES (and the README)"
    assert set(ROUTE_ROLES) - served == set(), "ROUTE_ROLES names a route the app no longer serves"


def test_the_readme_lists_every_route_with_its_role() -> None:
    readme = (REPO / "README.md").read_text()
    missing = [f"| {role} | `{method} {path}`" for (method, path), role in ROUTE_ROLES.items()
               if f"`{method} {path}`" not in readme]
    assert not missing, f"README's route table lacks: {missing}"


@pytest.fixture
def tokens(client: TestClient) -> dict[str, str | None]:
    with session_scope() as session:
        secrets: dict[str, str | None] = {role: create(session, f"{role}-token", role) for role in ROLES}
        secrets["revoked"] = create(session, "gone", "admin")
        revoke(session, "gone")
    return secrets | {"none": None}


def _headers(secret: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


BODIES = {
    ("POST", "/jobs"): {"model": "resnet18", "backend": "cpu", "duration_s": 1},
    ("POST", "/suites"): {"backend": "cpu", "duration_s": 1},
    ("POST", "/sweeps"): {"models": ["resnet18"], "backend": "cpu", "batch_sizes": [1], "streams": [1], "duration_s": 1},
    ("POST", "/models"): {"name": "access_variant", "base": "test_vit", "kwargs": {"depth": 1}},
    ("PUT", "/models/{name}"): {"top1": 70.0, "source": "access test"},
}
PATHS = {"{job_id}": "no-such-job", "{suite_id}": "no-such-suite", "{sweep_id}": "no-such-sweep", "{name}": "resnet18",
         "{result_id}": "1"}


def expected(role: str, caller: str, public_read: bool) -> str:
    if role == "public":
        return "allowed"
    if caller == "revoked" or (caller == "none" and not (role == "read" and public_read)):
        return "401"
    if caller == "none":
        return "allowed"
    return "allowed" if ROLES.index(caller) >= ROLES.index(role) else "403"  # type: ignore[arg-type]


@pytest.mark.parametrize("public_read", [True, False])
def test_auth_matrix(client: TestClient, tokens: dict[str, str | None], public_read: bool,
                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEEDBOARD_PUBLIC_READ", str(public_read).lower())
    get_settings.cache_clear()
    wrong = []
    for ((method, template), role), caller in itertools.product(sorted(ROUTE_ROLES.items()), CALLERS):
        path = template
        for name, value in PATHS.items():
            path = path.replace(name, value)
        response = client.request(method, path, json=BODIES.get((method, template)), headers=_headers(tokens[caller]))
        got = str(response.status_code) if response.status_code in (401, 403) else "allowed"
        assert response.status_code < 500, f"{method} {path} as {caller}: {response.status_code} {response.text[:300]}"
        if got != (want := expected(role, caller, public_read)):
            wrong.append(f"{method} {template} as {caller}: {response.status_code}, expected {want}")
        if got != "allowed":
            message = response.json()["message"]
            assert "speedboard token create" in message or "revoked" in message, message
    assert not wrong, "\n".join(wrong)


def test_with_no_token_at_all_auth_is_off(client: TestClient) -> None:
    response = client.post("/jobs", json=BODIES[("POST", "/jobs")])
    assert response.status_code == 202 and response.json()["owner"] is None


def test_owners_cancel_their_own_and_admins_anyones(client: TestClient, tokens: dict[str, str | None]) -> None:
    with session_scope() as session:
        other = create(session, "other-submitter", "submit")
    mine = client.post("/jobs", json=BODIES[("POST", "/jobs")], headers=_headers(tokens["submit"])).json()
    theirs = client.post("/jobs", json=BODIES[("POST", "/jobs")], headers=_headers(other)).json()
    assert (mine["owner"], theirs["owner"]) == ("submit-token", "other-submitter")
    assert client.get(f"/jobs/{mine['id']}").json()["owner"] == "submit-token"

    refused = client.delete(f"/jobs/{theirs['id']}", headers=_headers(tokens["submit"]))
    assert refused.status_code == 403 and "queued by token 'other-submitter'" in refused.json()["message"]
    assert client.get(f"/jobs/{theirs['id']}").json()["status"] == "queued"
    assert client.delete(f"/jobs/{mine['id']}", headers=_headers(tokens["submit"])).status_code == 202
    assert client.delete(f"/jobs/{theirs['id']}", headers=_headers(tokens["admin"])).status_code == 202

    suite = client.post("/suites", json=BODIES[("POST", "/suites")], headers=_headers(other)).json()
    assert suite["owner"] == "other-submitter"
    assert {job["owner"] for job in client.get("/jobs?limit=1000").json()["items"] if job["suite_id"] == suite["id"]} \
        == {"other-submitter"}
    assert client.delete(f"/suites/{suite['id']}", headers=_headers(tokens["submit"])).status_code == 403
    assert client.delete(f"/suites/{suite['id']}", headers=_headers(other)).status_code == 202


def test_a_job_queued_before_auth_was_on_is_cancelled_by_an_admin_only(client: TestClient) -> None:
    job = client.post("/jobs", json=BODIES[("POST", "/jobs")]).json()
    with session_scope() as session:
        submitter, admin = create(session, "late", "submit"), create(session, "root", "admin")
    refused = client.delete(f"/jobs/{job['id']}", headers=_headers(submitter))
    assert refused.status_code == 403 and "before auth was on" in refused.json()["message"]
    assert client.delete(f"/jobs/{job['id']}", headers=_headers(admin)).status_code == 202


def test_host_header_check(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    assert client.get("/jobs", headers={"Host": "127.0.0.1:8000"}).status_code == 200
    rebound = client.get("/jobs", headers={"Host": "attacker.example:8000"})
    assert rebound.status_code == 400 and "SPEEDBOARD_ALLOWED_HOSTS" in rebound.json()["message"]
    monkeypatch.setenv("SPEEDBOARD_ALLOWED_HOSTS", "speedboard.example.com, localhost")
    get_settings.cache_clear()
    assert client.get("/jobs", headers={"Host": "speedboard.example.com"}).status_code == 200
    assert client.get("/jobs", headers={"Host": "127.0.0.1"}).status_code == 400
    monkeypatch.setenv("SPEEDBOARD_ALLOWED_HOSTS", "*")
    get_settings.cache_clear()
    assert client.get("/jobs", headers={"Host": "anything.example"}).status_code == 200


def test_health_tells_a_stranger_only_up_or_down(client: TestClient, tokens: dict[str, str | None]) -> None:
    assert client.get("/health").json() == {"status": "ok"}
    assert client.get("/health", headers=_headers(tokens["revoked"])).json() == {"status": "ok"}
    detailed = client.get("/health", headers=_headers(tokens["read"])).json()
    assert detailed["status"] == "ok" and detailed["database"]["ok"] and "broker" in detailed


def test_bind_host_is_read_from_the_launchers_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("UVICORN_HOST", raising=False)
    assert bind_host(["uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", "8000"]) == "0.0.0.0"
    assert bind_host(["uvicorn", "api.main:app", "--host=10.0.0.5"]) == "10.0.0.5"
    assert bind_host(["gunicorn", "-b", "0.0.0.0:8000", "api.main:app"]) == "0.0.0.0"
    assert bind_host(["gunicorn", "--bind", "unix:/run/sb.sock", "api.main:app"]) == "127.0.0.1"
    assert bind_host(["uvicorn", "api.main:app"]) == "127.0.0.1"  # uvicorn's own default
    monkeypatch.setenv("UVICORN_HOST", "0.0.0.0")
    assert bind_host(["uvicorn", "api.main:app"]) == "0.0.0.0"


def test_start_up_refuses_to_expose_the_api_without_tokens_or_allowed_hosts(stack: Stack,
                                                                          monkeypatch: pytest.MonkeyPatch,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    from shared.db.engine import migrate

    migrate()
    with session_scope() as session:
        check_start(session, "127.0.0.1")  # loopback, no token: zero-config
        with pytest.raises(RefusedToStart, match="speedboard token create"):
            check_start(session, "0.0.0.0")
        monkeypatch.setenv("SPEEDBOARD_AUTH", "off")
        get_settings.cache_clear()
        with pytest.raises(RefusedToStart, match="SPEEDBOARD_ALLOWED_HOSTS"):
            check_start(session, "0.0.0.0")
        monkeypatch.setenv("SPEEDBOARD_ALLOWED_HOSTS", "speedboard.example.com")
        get_settings.cache_clear()
        check_start(session, "0.0.0.0")
        assert "SPEEDBOARD_AUTH=off" in caplog.text  # said at every start
        monkeypatch.delenv("SPEEDBOARD_AUTH")
        get_settings.cache_clear()
        create(session, "first", "admin")
        check_start(session, "0.0.0.0")


def test_uvicorn_on_all_interfaces_with_no_token_exits_saying_how_to_make_one(embedded_stack: Stack) -> None:
    """However it is launched: uvicorn directly, as compose does."""
    done = subprocess.run([sys.executable, "-m", "uvicorn", "api.main:app", "--host", "0.0.0.0", "--port", str(free_port())],
                          cwd=REPO, env=embedded_stack.process_env(), capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "refusing to serve on 0.0.0.0 with no API token" in done.stderr and "speedboard token create" in done.stderr


def test_a_request_over_the_network_without_tokens_is_refused(embedded_stack: Stack) -> None:
    """The per-request guard for launchers whose bind start-up cannot read: the connection's own local address."""
    from api.main import app

    with TestClient(app, base_url="http://10.1.2.3") as remote:
        response = remote.get("/jobs", headers={"Host": "localhost"})
    assert response.status_code == 503 and "speedboard token create" in response.json()["message"]
