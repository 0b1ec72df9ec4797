"""GET /models (the catalog and every benchmarkable timm architecture), GET/PUT /models/{name}, POST /models."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from api.deps import SessionDep
from api.limits import models_rate
from api.schemas import MAX_OFFSET, ModelCorrection, ModelPublic, ModelsPublic, VariantCreate
from api.services.catalog import correct, filter_models, get_model, list_models, register_variant
from shared.jobs.vocabulary import FamilyName

router = APIRouter(prefix="/models", tags=["models"])


@router.get("", response_model=ModelsPublic)
def read_models(
    session: SessionDep,
    q: Annotated[str | None, Query(description="part of the name or label, e.g. levit")] = None,
    family: FamilyName | None = None,
    known: Annotated[bool | None, Query(description="true: only models with a known top-1")] = None,
    seed: Annotated[bool | None, Query(description="true: only the seed study's models")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> ModelsPublic:
    items = filter_models(list_models(session), q, family, known, seed)
    return ModelsPublic(items=items[offset:offset + limit], total=len(items))


@router.get("/{name}", response_model=ModelPublic)
def read_model(name: str, session: SessionDep) -> ModelPublic:
    return get_model(session, name)


@router.put("/{name}", response_model=ModelPublic)
def correct_model(name: str, body: ModelCorrection, session: SessionDep) -> ModelPublic:
    return correct(session, name, body)


@router.post("", status_code=202, response_model=ModelPublic, dependencies=[Depends(models_rate)])
def create_variant(body: VariantCreate, session: SessionDep, response: Response) -> ModelPublic:
    """Accepted as `pending`: a CPU worker counts its parameters, then it is `ready` or `refused` (GET /models/{name})."""
    model = register_variant(session, body)
    response.headers["Location"] = f"/models/{model.name}"
    return model
