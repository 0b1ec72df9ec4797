"""Domain errors and the one place that turns them (and malformed requests) into clear HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError

from api.schemas import RANGES, JobCreate
from shared.jobs import JobFinished, JobNotFound

RANGE_ERRORS = ("greater_than_equal", "less_than_equal", "int_parsing", "int_from_float", "float_parsing")


class InvalidJob(Exception):
    """The job cannot be accepted; the message says why and what to do instead."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.extra = extra


def _describe(error: dict[str, Any]) -> str:
    field = ".".join(str(part) for part in error["loc"] if part != "body")
    if field in RANGES and error["type"] in RANGE_ERRORS:
        low, high = RANGES[field]
        return f"{field} must be a number from {low} to {high} (got {error.get('input')!r})"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}; accepted: {', '.join(JobCreate.model_fields)}"
    if error["type"] == "missing":
        return f"{field} is required" + (" (cpu or gpu)" if field == "backend" else "")
    if error["type"] == "json_invalid":
        return f"the body is not valid JSON ({error.get('ctx', {}).get('error', 'parse error')})"
    if error["type"] in ("model_attributes_type", "dict_type"):
        return 'send a JSON object with the header content-type: application/json, e.g. {"model": "resnet50", "backend": "cpu"}'

    return f"{field}: {error['msg']}" if field else error["msg"]


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [dict(e) for e in exc.errors()]
        messages = [_describe(e) for e in errors]
        detail = [{"loc": e["loc"], "msg": m, "type": e["type"]} for e, m in zip(errors, messages, strict=True)]
        return JSONResponse(status_code=422, content={"detail": detail, "message": "; ".join(messages)})

    @app.exception_handler(InvalidJob)
    async def invalid_job(_: Request, exc: InvalidJob) -> JSONResponse:
        return JSONResponse(status_code=422, content={"detail": str(exc), **exc.extra})

    @app.exception_handler(OperationalError)
    async def database_away(_: Request, exc: OperationalError) -> JSONResponse:
        return JSONResponse(status_code=503, content={
            "detail": "the database is not answering; check DATABASE_URL and that the database is up, then retry"})

    @app.exception_handler(JobNotFound)
    async def not_found(_: Request, exc: JobNotFound) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"no job with id {exc}; list jobs with GET /jobs"})

    @app.exception_handler(JobFinished)
    async def finished(_: Request, exc: JobFinished) -> JSONResponse:
        return JSONResponse(status_code=409, content={"detail": f"the job already ended ({exc}); nothing to cancel"})
