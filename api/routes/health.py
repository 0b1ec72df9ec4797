"""GET /health: 200 when the database answers; says whether the broker does."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from shared.db.engine import get_engine
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


@router.get("/health")
def health() -> JSONResponse:
    settings = get_settings()
    database_error, broker_error = _check_database(), _check_broker()
    body = {
        "status": "ok" if database_error is None else "unavailable",
        "database": {"ok": database_error is None, "dialect": get_engine().dialect.name, "error": database_error},
        "broker": {"ok": broker_error is None, "embedded": settings.broker == EMBEDDED_BROKER, "error": broker_error},
    }
    return JSONResponse(body, status_code=200 if database_error is None else 503)
