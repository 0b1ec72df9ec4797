"""The FastAPI app: wires routers, error handlers, migrations and the reaper."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.errors import install_handlers
from api.routes import charts, health, jobs, models, results, suites
from shared.db import migrate
from shared.reaper import start_reaper

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    migrate()
    stop = threading.Event()
    start_reaper(stop)
    yield
    stop.set()


app = FastAPI(
    title="Speedboard",
    summary="Which image classifier gives the most accuracy for the speed your hardware allows.",
    lifespan=lifespan,
)
install_handlers(app)
for module in (jobs, results, models, suites, charts, health):
    app.include_router(module.router)
app.mount("/static", StaticFiles(directory=charts.STATIC), name="static")
