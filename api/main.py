"""The FastAPI app: wires routers, error handlers, migrations and the reaper."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from api.access import authorize
from api.errors import install_handlers
from api.exposure import check_start
from api.guards import BodyLimit, HostCheck, SecurityHeaders
from api.routes import charts, docs, health, jobs, models, recommend, results, suites, sweeps, vocabulary, workers
from shared.catalog.accuracy import load_catalog
from shared.catalog.registry import load_snapshot
from shared.db.engine import migrate, session_scope
from shared.jobs.reaper import start_reaper

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    migrate()
    with session_scope() as session:
        check_start(session)  # here, not in a launcher: it holds however the server is started
    load_snapshot(), load_catalog()  # read once, before the first request needs them
    # Everything loaded so far lives as long as the process: keep it out of the garbage collector's full
    # passes, which otherwise stall requests for tens of milliseconds.
    gc.freeze()
    stop = threading.Event()
    start_reaper(stop)
    yield
    stop.set()


app = FastAPI(
    title="Speedboard",
    summary="Which image classifier gives the most accuracy for the speed your hardware allows.",
    lifespan=lifespan,
    # FastAPI's own /docs and /redoc load their scripts from a CDN: blank pages on a machine without internet.
    docs_url=None, redoc_url=None, swagger_ui_oauth2_redirect_url=None,
    dependencies=[Depends(authorize)],  # one role per route: api.access.ROUTE_ROLES
)
install_handlers(app)
for module in (jobs, results, models, suites, sweeps, recommend, workers, charts, vocabulary, health, docs):
    app.include_router(module.router)
app.mount("/static", StaticFiles(directory=charts.STATIC), name="static")
app.mount("/swagger", StaticFiles(directory=docs.SWAGGER_UI), name="swagger")
# Outermost last: the headers are added to every answer, the 413 included.
app.add_middleware(BodyLimit)
app.add_middleware(HostCheck)
app.add_middleware(SecurityHeaders)
