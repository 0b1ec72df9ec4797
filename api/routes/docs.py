"""/docs: Swagger UI served by the app itself (FastAPI's own page loads it from a CDN, blank offline)."""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from api.guards import CONTENT_SECURITY_POLICY

SWAGGER_UI = Path(str(files("fastapi_swagger") / "resources"))  # swagger-ui-dist 5, as a Python package
router = APIRouter(include_in_schema=False)
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    page = get_swagger_ui_html(openapi_url="/openapi.json", title="Speedboard API",
                               swagger_js_url="/swagger/swagger-ui-bundle.js", swagger_css_url="/swagger/swagger-ui.css",
                               swagger_favicon_url="/swagger/favicon-32x32.png")
    # The page starts Swagger UI with one inline script: allowed by its hash, no other inline script runs.
    inline = [match.group(1).encode() for match in INLINE_SCRIPT.finditer(bytes(page.body).decode())]
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'" for script in inline)
    page.headers["content-security-policy"] = CONTENT_SECURITY_POLICY.replace("script-src 'self'",
                                                                              f"script-src 'self' {hashes}")
    return page
