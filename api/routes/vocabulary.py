"""GET /vocabulary: what a job may ask for (backends, engines, precisions, ranges, defaults) and the statuses and
model families the API answers with, from the one definition in shared.jobs.vocabulary."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from shared.jobs.vocabulary import vocabulary

router = APIRouter(tags=["vocabulary"])


@router.get("/vocabulary")
def read_vocabulary() -> dict[str, Any]:
    return vocabulary()
