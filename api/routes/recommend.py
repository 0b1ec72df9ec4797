"""GET /recommend: the models and configurations that meet a latency, throughput, accuracy and memory budget."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import SessionDep
from api.errors import InvalidRequest
from api.services.chart_cache import cached
from api.services.recommend import recommendation
from shared.analysis.budget import Budget
from shared.jobs.vocabulary import BackendName, EngineName, RanPrecision

router = APIRouter(tags=["recommend"])


@router.get("/recommend")
def read_recommendation(
    session: SessionDep,
    backend: BackendName | None = None,
    hardware: Annotated[str | None, Query(description="exact hardware label, as GET /workers and results give it")] = None,
    max_latency_ms: Annotated[float | None, Query(gt=0, description="latency budget at `percentile`, ms")] = None,
    percentile: Annotated[int, Query(description="which latency percentile the budget bounds: 50, 90, 95 or 99")] = 99,
    min_throughput: Annotated[float | None, Query(ge=0, description="images/s at least")] = None,
    min_top1: Annotated[float | None, Query(ge=0, le=100, description="ImageNet top-1 % at least")] = None,
    max_memory_mb: Annotated[float | None, Query(ge=0, description="memory at most (device memory on a GPU, peak "
                                                  "resident set on a CPU); results without it measured miss")] = None,
    precision: Annotated[RanPrecision | None, Query(description="only results that computed in this precision")] = None,
    engine: EngineName | None = None,
    suite: Annotated[str | None, Query(description="only this suite's or sweep's results, its newest run of each "
                                       "configuration (as its chart)")] = None,
    limit: Annotated[int, Query(ge=1, le=10000,
                                description="items (and unranked) listed at most; `total` counts every item")] = 1000,
    misses: Annotated[int, Query(ge=0, le=100, description="nearest misses listed when nothing qualifies")] = 10,
    include_unverified: Annotated[bool, Query(description="rank int8 results calibrated on random inputs at their "
                                              "model's published (float) top-1, each flagged accuracy_unverified; "
                                              "by default they are unranked")] = False,
) -> Response:
    """Every measured configuration's latest run judged against the budget: `items` meet it (`meets`) or may
    (`may_meet`: a 95 % interval straddles a limit), ordered by verdict, top-1, then throughput; `unranked` qualify
    but have no known top-1 (or one unmeasured on their engine: int8 with random calibration, unless
    include_unverified); `misses`, when nothing qualifies, are the nearest, with what they miss by."""
    try:
        budget = Budget(max_latency_ms=max_latency_ms, percentile=percentile, min_throughput=min_throughput,
                        min_top1=min_top1, max_memory_mb=max_memory_mb)
    except ValueError as error:
        raise InvalidRequest(str(error)) from None
    def compute() -> bytes:
        found = recommendation(session, budget, backend, hardware, engine, precision, misses, suite, limit,
                               include_unverified)
        return json.dumps(found, separators=(",", ":")).encode()

    # Computed once per state of the data, as chart data is: the budget panel asks again at every redraw.
    key = ("recommend", backend, hardware, engine, precision, suite, limit, misses, budget, include_unverified)
    return Response(cached(session, key, compute), media_type="application/json")
