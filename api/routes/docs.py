"""/docs: Swagger UI served by the app itself (FastAPI's own page loads it from a CDN, blank offline)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_UI = Path(str(files("fastapi_swagger") / "resources"))  # swagger-ui-dist 5, as a Python package
router = APIRouter(include_in_schema=False)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return get_swagger_ui_html(openapi_url="/openapi.json", title="Speedboard API",
                               swagger_js_url="/swagger/swagger-ui-bundle.js", swagger_css_url="/swagger/swagger-ui.css",
                               swagger_favicon_url="/swagger/favicon-32x32.png")
