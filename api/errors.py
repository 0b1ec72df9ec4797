"""Domain errors and the one place that turns them (and malformed requests) into clear HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, OperationalError

from api.schemas import JobCreate, ModelCorrection, SuiteCreate, VariantCreate
from shared.catalog.variants import CannotCount, InvalidVariant
from shared.jobs.lifecycle import JobFinished, JobNotFound
from shared.jobs.vocabulary import RANGES

# Which body each route takes, so an unknown field's message lists the right accepted fields.
BODIES: dict[tuple[str, str], type[BaseModel]] = {
    ("POST", "/jobs"): JobCreate, ("POST", "/models"): VariantCreate, ("PUT", "/models"): ModelCorrection,
    ("POST", "/suites"): SuiteCreate,
}
RANGE_ERRORS = ("greater_than_equal", "less_than_equal", "int_parsing", "int_from_float", "float_parsing")


class InvalidRequest(Exception):
    """The request cannot be accepted; the message says why and what to do instead."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


class NotFound(Exception):
    """No such model or suite; the message says where to look."""


class AlreadyExists(Exception):
    """The name is taken; the message says how to change the existing entry."""


# Errors whose message already says what to do: answered as they are, with these statuses.
SAID_AS_IS: dict[type[Exception], int] = {InvalidVariant: 422, NotFound: 404, AlreadyExists: 409, CannotCount: 503}


def _describe(error: dict[str, Any], accepted: list[str]) -> str:
    field = ".".join(str(part) for part in error["loc"] if part != "body")
    if field in RANGES and error["type"] in RANGE_ERRORS:
        low, high = RANGES[field]
        return f"{field} must be a number from {low} to {high} (got {error.get('input')!r})"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}; accepted: {', '.join(accepted)}"
    if error["type"] == "missing":
        return f"{field} is required" + (" (cpu or gpu)" if field == "backend" else "")
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


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [dict(e) for e in exc.errors()]
        body = BODIES.get((request.method, request.url.path.rstrip("/").rsplit("/", 1)[0] if request.method == "PUT"
                           else request.url.path.rstrip("/")), JobCreate)
        messages = [_describe(e, list(body.model_fields)) for e in errors]
        detail = [{"loc": e["loc"], "msg": m, "type": e["type"]} for e, m in zip(errors, messages, strict=True)]
        return answer(422, "; ".join(messages), detail)

    @app.exception_handler(InvalidRequest)
    async def invalid_job(_: Request, exc: InvalidRequest) -> JSONResponse:
        return answer(422, str(exc), **exc.extra)

    async def as_said(_: Request, exc: Exception) -> JSONResponse:
        return answer(SAID_AS_IS[type(exc)], str(exc))

    for kind in SAID_AS_IS:
        app.add_exception_handler(kind, as_said)

    @app.exception_handler(OperationalError)
    async def database_away(_: Request, exc: OperationalError) -> JSONResponse:
        return answer(503, "the database is not answering; check DATABASE_URL and that the database is up, then retry")

    @app.exception_handler(DataError)
    async def unstorable(_: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refuses what SQLite takes: a NUL character in text, an integer past 64 bits.
        return answer(422, "the database cannot hold a value in this request: remove any NUL (\\u0000) character "
                           "from names, labels, sources and filters")

    @app.exception_handler(JobNotFound)
    async def not_found(_: Request, exc: JobNotFound) -> JSONResponse:
        return answer(404, f"no job with id {exc}; list jobs with GET /jobs")

    @app.exception_handler(JobFinished)
    async def finished(_: Request, exc: JobFinished) -> JSONResponse:
        return answer(409, f"the job already ended ({exc}); nothing to cancel")
