"""The chart page, the JSON it reads, and plotly.js served from the plotly package (no internet needed)."""

from __future__ import annotations

import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response

from api.deps import SessionDep
from api.services.chart_cache import cached
from api.services.charts import ChartsPublic, chart_data
from shared.jobs.vocabulary import BackendName, RanPrecision

STATIC = Path(__file__).resolve().parents[1] / "static"
router = APIRouter(tags=["charts"])


@lru_cache
def plotly_js() -> Path:
    # find_spec locates the package without importing it.
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is missing; reinstall Speedboard (pip install -e .)")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


@router.get("/", include_in_schema=False)
def home() -> RedirectResponse:
    return RedirectResponse("/charts")


@router.get("/charts", include_in_schema=False)
def charts_page() -> FileResponse:
    return FileResponse(STATIC / "charts.html", media_type="text/html")


@router.get("/charts/data", response_model=ChartsPublic)
def read_chart_data(session: SessionDep, backend: BackendName | None = None, hardware: str | None = None,
                    precision: RanPrecision | None = None, suite: str | None = None,
                    max_memory_mb: Annotated[float | None, Query(ge=0, description="only points that used at most this "
                                                                 "much memory (device memory on a GPU, peak resident set "
                                                                 "on a CPU)")] = None,
                    overlay: Annotated[Literal["precision"] | None, Query(
                        description="precision: one chart per backend, hardware and engine with every precision that "
                        "ran, each model's precisions joined by a line and what each buys over the default")] = None,
                    ) -> Response:
    """One chart per backend, hardware, engine and precision that ran (`precision` selects it): points, Pareto
    frontier and insights; with overlay=precision, the precisions of one engine on one chart."""
    # Serialized once here rather than validated again against response_model: the page reads thousands of points.
    def compute() -> bytes:
        return json.dumps(chart_data(session, backend, hardware, precision, suite, max_memory_mb, overlay == "precision"),
                          separators=(",", ":")).encode()

    key = (backend, hardware, precision, suite, max_memory_mb, overlay)
    return Response(cached(session, key, compute), media_type="application/json")


@router.get("/static/plotly.min.js", include_in_schema=False)
def plotly() -> FileResponse:
    return FileResponse(plotly_js(), media_type="text/javascript", headers={"Cache-Control": "public, max-age=86400"})
