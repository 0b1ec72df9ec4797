"""Who may call what: one role per route (ROUTE_ROLES), checked by one dependency on the whole app.

Auth is on once any token exists (revoked ones count: revoking every token does not open the server) or with
SPEEDBOARD_AUTH=on; SPEEDBOARD_AUTH=off turns it off explicitly. With auth on, a request sends
`Authorization: Bearer <token>`; GETs that need `read` pass without one while SPEEDBOARD_PUBLIC_READ is true.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import Request
from sqlmodel import Session, col, select

from shared import Unavailable
from shared.access.tokens import Forbidden, Principal, Unauthorized, verify
from shared.db.engine import session_scope
from shared.db.tables import Token
from shared.settings import get_settings

log = logging.getLogger("speedboard.access")

RouteRole = Literal["public", "read", "submit", "admin"]

# Every route the app serves, by method and path template, with the one role it needs. `public`: never a token
# (the page shells, whose data comes from read routes; the health probe, which then says only up or down).
# A route missing here needs admin (closed by default), and tests/api/test_access.py fails until it is listed.
ROUTE_ROLES: dict[tuple[str, str], RouteRole] = {
    ("GET", "/"): "public",
    ("GET", "/charts"): "public",
    ("GET", "/static/plotly.min.js"): "public",
    ("GET", "/health"): "public",
    ("GET", "/docs"): "public",
    ("GET", "/openapi.json"): "public",
    ("GET", "/charts/data"): "read",
    ("GET", "/jobs"): "read",
    ("GET", "/jobs/{job_id}"): "read",
    ("GET", "/results"): "read",
    ("GET", "/results/{result_id}/runs"): "read",
    ("GET", "/models"): "read",
    ("GET", "/models/{name}"): "read",
    ("GET", "/suites"): "read",
    ("GET", "/suites/{suite_id}"): "read",
    ("GET", "/sweeps"): "read",
    ("GET", "/sweeps/{sweep_id}"): "read",
    ("GET", "/recommend"): "read",
    ("GET", "/workers"): "read",
    ("GET", "/vocabulary"): "read",
    ("POST", "/jobs"): "submit",
    ("DELETE", "/jobs/{job_id}"): "submit",  # its own jobs; admin: anyone's
    ("POST", "/suites"): "submit",
    ("DELETE", "/suites/{suite_id}"): "submit",  # its own suites; admin: anyone's
    ("POST", "/sweeps"): "submit",
    ("DELETE", "/sweeps/{sweep_id}"): "submit",  # its own sweeps; admin: anyone's
    ("POST", "/models"): "admin",
    ("PUT", "/models/{name}"): "admin",
}
HOW_TO_GET_ONE = "an admin creates one with `speedboard token create --name NAME --role {role}`"


def route_role(request: Request) -> RouteRole:
    route = request.scope.get("route")
    return ROUTE_ROLES.get((request.method, getattr(route, "path", "")), "admin")


def auth_on(session: Session) -> bool:
    setting = get_settings().auth
    if setting is not None:
        return setting
    return session.exec(select(col(Token.name)).limit(1)).first() is not None


def bearer(request: Request) -> str | None:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" and secret.strip() else None


def authorize(request: Request) -> None:
    """The app-wide dependency: lets the request through or raises 401 / 403 saying what to do. Sets
    `request.state.principal` (None with auth off, or for a public-read GET without a token)."""
    request.state.principal = None
    role = route_role(request)
    if role == "public":
        return
    with session_scope() as session:
        if not auth_on(session):
            _refuse_network_without_tokens(request)
            return
        secret = bearer(request)
        principal = verify(session, secret) if secret else None
    request.state.principal = principal
    if principal is None:
        if role == "read" and get_settings().public_read:
            return
        raise Unauthorized(f"{request.method} {request.scope['route'].path} needs a token with role {role} or above: "
                           f"send the header Authorization: Bearer <token> (the speedboard command takes --token or "
                           f"SPEEDBOARD_TOKEN); {HOW_TO_GET_ONE.format(role=role)}")
    if not principal.may(role):
        raise Forbidden(f"token {principal.name!r} has role {principal.role}; {request.method} "
                        f"{request.scope['route'].path} needs {role}: {HOW_TO_GET_ONE.format(role=role)}")


def caller(request: Request) -> Principal | None:
    principal: Principal | None = getattr(request.state, "principal", None)
    return principal


def check_owner(principal: Principal | None, owner: str | None, what: str) -> None:
    """Raise Forbidden unless `principal` may cancel `what`, created by `owner`: anyone with auth off, an admin, or
    its owner."""
    if principal is None or principal.may("admin") or (owner is not None and owner == principal.name):
        return
    whose = f"token {owner!r}" if owner else "no token (it was queued before auth was on)"
    raise Forbidden(f"token {principal.name!r} may cancel only what it queued; this {what} was queued by {whose}: "
                    "ask its owner or an admin")


def owner_of(principal: Principal | None) -> str | None:
    return principal.name if principal else None


def _refuse_network_without_tokens(request: Request) -> None:
    """However the server was launched, a request that reached it over the network while no token exists is
    refused, unless SPEEDBOARD_AUTH=off says so on purpose (start-up refuses too when it can see the bind)."""
    if get_settings().auth is False:
        return
    server = request.scope.get("server")
    if server and not is_loopback(str(server[0])):
        raise Unavailable(f"this Speedboard has no API token and was reached over the network ({server[0]}); "
                          f"{HOW_TO_GET_ONE.format(role='admin')} (or set SPEEDBOARD_AUTH=off to serve without tokens)")


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    return host in ("localhost", "::1") or host.startswith("127.")
