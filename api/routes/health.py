"""GET /health: 200 when the database answers, 503 when not. A caller with a token (or any caller while auth is off)
also learns which parts answer and why not; one without is told only up or down (a probe needs no more, and the
errors name hosts and ports)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.access import auth_on, bearer
from shared.access.tokens import verify
from shared.db.engine import get_engine, session_scope
from shared.jobs.broker import get_app
from shared.settings import EMBEDDED_BROKER, get_settings

router = APIRouter(tags=["health"])


def _check_database() -> str | None:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001
        return str(error).splitlines()[0]
    return None


def _check_broker() -> str | None:
    try:
        with get_app().connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as error:  # noqa: BLE001
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def _may_see_details(request: Request) -> bool:
    """Auth off, or a valid token of any role. With the database away nobody can be checked: only up or down."""
    try:
        with session_scope() as session:
            if not auth_on(session):
                return True
            secret = bearer(request)
            return secret is not None and bool(verify(session, secret))
    except Exception:  # noqa: BLE001  (an unknown or revoked token, or an absent database: no details)
        return False


@router.get("/health")
def health(request: Request) -> JSONResponse:
    settings = get_settings()
    database_error = _check_database()
    status = 200 if database_error is None else 503
    body: dict[str, object] = {"status": "ok" if database_error is None else "unavailable"}
    if not _may_see_details(request):
        return JSONResponse(body, status_code=status)
    broker_error = _check_broker()
    body |= {
        "database": {"ok": database_error is None, "dialect": get_engine().dialect.name, "error": database_error},
        "broker": {"ok": broker_error is None, "embedded": settings.broker == EMBEDDED_BROKER, "error": broker_error},
    }
    return JSONResponse(body, status_code=status)
