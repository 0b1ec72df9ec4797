"""Domain errors and the one place that turns them (and malformed requests) into clear HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError

from shared import Conflict, InvalidRequest, NotFound, SpeedboardError
from shared.jobs.vocabulary import BACKENDS, RANGES

__all__ = ["AlreadyExists", "InvalidRequest", "NotFound", "answer", "install_handlers"]

RANGE_ERRORS = ("greater_than_equal", "less_than_equal", "int_parsing", "int_from_float", "float_parsing")


class AlreadyExists(Conflict):
    """The name is taken; the message says how to change the existing entry."""


def _describe(error: dict[str, Any], accepted: list[str]) -> str:
    field = ".".join(str(part) for part in error["loc"] if part != "body")
    if field in RANGES and error["type"] in RANGE_ERRORS:
        low, high = RANGES[field]
        return f"{field} must be a number from {low} to {high} (got {error.get('input')!r})"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}; accepted: {', '.join(accepted)}"
    if error["type"] == "missing":
        return f"{field} is required" + (f" ({' or '.join(BACKENDS)})" if field == "backend" else "")
    if error["type"] == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    if error["type"] in ("model_attributes_type", "dict_type"):
        return 'send a JSON object with the header content-type: application/json, e.g. {"model": "resnet50", "backend": "cpu"}'

    return f"{field}: {error['msg']}" if field else error["msg"]


def answer(status: int, message: str, detail: Any = None, **extra: Any) -> JSONResponse:
    """Every error has one shape: `message`, one sentence that says what to do, and `detail` (the same
    sentence, or for a malformed request one entry per field)."""
    return JSONResponse(status_code=status, content={"detail": message if detail is None else detail,
                                                     "message": message, **extra})


def _body_model(request: Request) -> type[BaseModel] | None:
    """The body model of the route that matched, read from the route itself."""
    route = request.scope.get("route")
    field = getattr(route, "body_field", None)
    annotation = getattr(getattr(field, "field_info", None), "annotation", None)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [dict(e) for e in exc.errors()]
        body = _body_model(request)
        messages = [_describe(e, list(body.model_fields) if body else []) for e in errors]
        detail = [{"loc": e["loc"], "msg": m, "type": e["type"]} for e, m in zip(errors, messages, strict=True)]
        return answer(422, "; ".join(messages), detail)

    @app.exception_handler(SpeedboardError)
    async def as_said(_: Request, exc: SpeedboardError) -> JSONResponse:
        response = answer(exc.status, exc.message, **exc.extra)
        response.headers.update(getattr(exc, "headers", {}))  # e.g. Retry-After on a 429 (api.limits)
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="speedboard"'
        return response

    @app.exception_handler(OperationalError)
    async def database_away(_: Request, exc: OperationalError) -> JSONResponse:
        return answer(503, "the database is not answering; check DATABASE_URL and that the database is up, then retry")

    @app.exception_handler(DataError)
    async def unstorable(_: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses what SQLite takes: a NUL character in text, an integer past 64 bits.
        return answer(422, "the database cannot hold a value in this request: remove any NUL (\\u0000) character "
                           "from names, labels, sources and filters")
