"""The model catalog as the API serves it: every benchmarkable timm architecture, its accuracy, and users' entries."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from api.errors import AlreadyExists, InvalidRequest, NotFound
from api.schemas import ModelCorrection, ModelPublic, TagFigures, VariantCreate
from api.services.accuracy import load_book
from shared.catalog.accuracy import AccuracyBook, load_catalog
from shared.catalog.counting import publish_count
from shared.catalog.registry import ModelInfo, closest, load_snapshot, lookup
from shared.catalog.seed import CURATED, SEED_MODELS
from shared.catalog.variants import PENDING, REFUSED, check_kwargs, image_size
from shared.db.tables import CatalogEntry, utcnow


@lru_cache
def _timm_entries() -> tuple[tuple[str, dict[str, Any]], ...]:
    # Curated models first (the catalog's own), then every other architecture by name.
    names = sorted(load_snapshot()["models"], key=lambda name: (name not in CURATED, name))
    return tuple((name, load_snapshot()["models"][name]) for name in names)


def list_models(session: Session) -> list[ModelPublic]:
    book = load_book(session)
    items = [_variant(entry, book) for entry in book.entries.values() if entry.kind == "variant"]
    items += [_timm(name, raw, book) for name, raw in _timm_entries()]
    return items


def filter_models(items: list[ModelPublic], q: str | None, family: str | None, known: bool | None,
                  seed: bool | None) -> list[ModelPublic]:
    needle = (q or "").strip().lower()
    return [item for item in items
            if (not needle or needle in item.name.lower() or needle in (item.label or "").lower())
            and (family is None or item.family == family)
            and (known is None or (item.top1 is not None) == known)
            and (seed is None or item.seed == seed)]


def get_model(session: Session, name: str) -> ModelPublic:
    book = load_book(session)
    entry = book.entries.get(name)
    if entry is not None and entry.kind == "variant":
        return _variant(entry, book)
    raw = load_snapshot()["models"].get(name)
    if raw is None:
        suggestions = closest(name)
        hint = f"; closest names: {', '.join(suggestions)}" if suggestions else "; list them with GET /models?q=..."
        raise NotFound(f"no model {name!r} in timm {load_snapshot()['timm']} or among custom variants{hint}")
    public = _timm(name, raw, book)
    published = load_catalog()["models"].get(name, {}).get("tags", {})
    public.tags = [TagFigures(tag=tag, img_size=published.get(tag, {}).get("img_size"),
                              figures=published.get(tag, {}).get("figures", []),
                              correction=_correction(book.entries.get(f"{name}.{tag}")))
                   for tag in raw["tags"]]
    return public


def correct(session: Session, name: str, body: ModelCorrection) -> ModelPublic:
    """Store a corrected figure for `arch[.tag]` (the default tag when none is given) or a variant."""
    arch, _, tag = name.partition(".")
    variant = session.get(CatalogEntry, arch)
    if variant is not None and variant.kind == "variant":
        if body.img_size is not None:
            # Its jobs run at the size its kwargs build it for; a correction changes figures, never what runs.
            raise InvalidRequest(f"a variant's input size comes from its kwargs.img_size ({arch} runs at "
                                 f"{_variant_size(variant)}); leave img_size out to correct its figures, or register a new "
                                 "variant with POST /models to change it")
        entry = variant
    else:
        info = _known(arch)
        tag = tag or info.default_tag or ""
        if not tag or tag not in info.tags:
            raise InvalidRequest(f"{arch} has no pretrained tag {tag!r}; its tags: {', '.join(info.tags) or 'none'}")
        entry = session.get(CatalogEntry, f"{arch}.{tag}") or CatalogEntry(name=f"{arch}.{tag}", kind="correction")
        entry.img_size = body.img_size
    entry.top1, entry.top5, entry.source = body.top1, body.top5, body.source
    entry.updated_at = utcnow()
    session.add(entry)
    session.commit()
    return get_model(session, arch)


def register_variant(session: Session, body: VariantCreate) -> ModelPublic:
    """Check the variant, store it pending and send its count to a CPU worker: the API builds no model (it holds no
    ML library), so no constructor can stall it. A refused variant's name may be registered again."""
    if lookup(body.name) is not None:
        raise AlreadyExists(f"{body.name!r} is a timm architecture; give the variant a name of its own")
    state = session.exec(select(CatalogEntry.state).where(col(CatalogEntry.name) == body.name)).first()
    if state is not None and state != REFUSED:
        raise _taken(body.name)
    _known(body.base)
    kwargs = check_kwargs(body.kwargs)
    if body.top1 is not None and not body.source:
        raise InvalidRequest("give a source for the top-1 figure (a paper, a URL, or 'own evaluation')")
    now = utcnow()
    values = dict(kind="variant", base=body.base, kwargs=kwargs, family=body.family, label=body.label, top1=body.top1,
                  top5=body.top5, source=body.source, params_m=None, img_size=image_size(kwargs), state=PENDING,
                  reason=None, created_at=now, updated_at=now)
    if state is None:
        session.add(CatalogEntry(name=body.name, **values))
        try:
            session.commit()
        except IntegrityError as error:  # registered by a request running alongside this one
            session.rollback()
            raise _taken(body.name) from error
    else:  # in place of the refused one, unless a request alongside did it first
        statement = update(CatalogEntry).where(col(CatalogEntry.name) == body.name, col(CatalogEntry.state) == REFUSED)
        replaced = session.execute(statement.values(**values).execution_options(synchronize_session=False))
        session.commit()
        if not replaced.rowcount:  # type: ignore[attr-defined]
            raise _taken(body.name)
    publish_count(body.name)  # when the broker is away, the reaper sends it later
    return get_model(session, body.name)


def _taken(name: str) -> AlreadyExists:
    return AlreadyExists(f"a variant named {name!r} exists; PUT /models/{name} corrects its accuracy, "
                         "or register the new one under another name")


def _variant_size(entry: CatalogEntry) -> int:
    return entry.img_size or load_snapshot()["models"].get(entry.base or "", {}).get("input_size", 224)


def _known(arch: str) -> ModelInfo:
    info = lookup(arch)
    if info is None:
        suggestions = closest(arch)
        hint = f"; closest names: {', '.join(suggestions)}" if suggestions else "; list them with GET /models?q=..."
        raise InvalidRequest(f"unknown model {arch!r}{hint}", suggestions=suggestions)
    return info


def _timm(name: str, raw: dict[str, Any], book: AccuracyBook) -> ModelPublic:
    tag = raw["default_tag"]
    accuracy = book.lookup(name, tag, raw["input_size"])
    curated = CURATED.get(name)
    return ModelPublic(
        name=name, kind="timm", label=curated[1] if curated else None, curated=curated is not None,
        seed=name in SEED_MODELS, default_tag=tag, tag_names=raw["tags"], input_size=raw["input_size"],
        params_m=raw["params_m"], corrected=f"{name}.{tag}" in book.entries, **accuracy.model_dump(),
    )


def _variant(entry: CatalogEntry, book: AccuracyBook) -> ModelPublic:
    accuracy = book.lookup(entry.name, None, entry.img_size)
    return ModelPublic(
        name=entry.name, kind="variant", label=entry.label, curated=False, seed=False, default_tag=None, tag_names=[],
        input_size=_variant_size(entry), params_m=entry.params_m, base=entry.base, kwargs=entry.kwargs, corrected=False,
        state=entry.state, reason=entry.reason, **accuracy.model_dump(),
    )


def _correction(entry: CatalogEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"top1": entry.top1, "top5": entry.top5, "img_size": entry.img_size, "source": entry.source}
