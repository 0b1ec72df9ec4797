"""Turn a POST /jobs body into a fully resolved job spec, refusing what cannot or must not run."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import Session

from api.errors import InvalidRequest
from api.schemas import JobCreate
from shared.catalog.registry import closest, lookup
from shared.db.tables import Capacity, CatalogEntry, JobSpec, Worker
from shared.jobs.memory import Need, largest_batch, need, too_big
from shared.jobs.queues import queue_for
from shared.jobs.time_budget import check_time_budget
from shared.jobs.vocabulary import DEFAULT_BATCH, DEFAULT_CALIBRATION, check_precision, default_engine, engines_of
from shared.settings import get_settings

NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$")
NEVER_DOWNLOADED = "Speedboard builds timm architectures by name with random weights and never downloads or reads model files"


def resolve(request: JobCreate, session: Session) -> JobSpec:
    spec = _resolve(request, session)
    check_time_budget(spec)
    check_memory(spec, session)
    return spec


def job_need(spec: JobSpec, in_flight: int) -> Need:
    """What the job surely holds with `in_flight` batches at once: its inputs and its registry parameter count."""
    info = lookup(spec.base_model or spec.model)
    return need(spec.batch_size, spec.input_size, in_flight, info.params_m if info else None)


def check_memory(spec: JobSpec, session: Session) -> None:
    """Refuse a job whose inputs in flight and weights alone exceed the largest machine its backend's workers have
    announced (or SPEEDBOARD_MAX_JOB_MEMORY_GB when none has), saying which batch would fit."""
    known = session.get(Capacity, spec.backend)
    memory_gb = known.memory_gb if known else get_settings().max_job_memory_gb
    if not memory_gb:
        return
    in_flight = (spec.streams or (known.physical_cores if known else None) or 1) if spec.backend == "cpu" else 1
    needed = job_need(spec, in_flight)
    machine = f"the largest {spec.backend} worker seen ({known.worker})" if known else "SPEEDBOARD_MAX_JOB_MEMORY_GB"
    why = too_big(needed, memory_gb, machine)
    if why is None:
        return
    fits = largest_batch(needed, memory_gb)
    advice = (f"batch {fits} or less would fit at input size {spec.input_size}" if fits
              else "even batch 1 does not fit at this input size; use a smaller input_size or streams")
    raise InvalidRequest(f"{spec.model} cannot fit in memory: {why}; {advice}")


def _resolve(request: JobCreate, session: Session) -> JobSpec:
    arch, tag = parse_model_name(request.model)
    variant = session.get(CatalogEntry, arch)
    if variant is not None and variant.kind == "variant" and tag is None:
        return _resolve_variant(request, variant)
    info = lookup(arch)
    if info is None:
        suggestions = closest(arch)
        hint = f"; closest names: {', '.join(suggestions)}" if suggestions else "; see GET /models for the list"
        hint += " (or register a custom variant with POST /models)"
        raise InvalidRequest(f"unknown model {arch!r}{hint}", suggestions=suggestions)
    if tag is not None and tag not in info.tags:
        known = ", ".join(info.tags[:12]) or "none"
        if len(info.tags) > 12:
            known += f" and {len(info.tags) - 12} more (GET /models/{arch} lists them all)"
        raise InvalidRequest(f"{arch} has no pretrained tag {tag!r}; its tags: {known}")
    limit = get_settings().max_params_m
    if info.params_m is not None and info.params_m > limit:
        raise InvalidRequest(f"{arch} has {info.params_m:,.0f} M parameters, above this server's limit of {limit:,.0f} M "
                         "(SPEEDBOARD_MAX_PARAMS_M); pick a smaller model")
    return JobSpec(model=arch, pretrained_tag=tag or info.default_tag, input_size=request.input_size or info.input_size,
                   **_settings(request))


def _resolve_variant(request: JobCreate, variant: CatalogEntry) -> JobSpec:
    base = lookup(variant.base or "")
    input_size = request.input_size or variant.img_size or (base.input_size if base else 224)
    return JobSpec(model=variant.name, base_model=variant.base, model_kwargs=variant.kwargs, input_size=input_size,
                   **_settings(request))


def _settings(request: JobCreate) -> dict[str, Any]:
    engine = request.engine or default_engine(request.backend)
    if engine not in engines_of(request.backend):
        raise InvalidRequest(f"engine {engine!r} does not run on backend {request.backend!r}; "
                             f"use one of: {', '.join(engines_of(request.backend))}")
    if request.streams is not None and request.backend == "gpu":
        raise InvalidRequest("streams applies to cpu jobs only: a GPU engine runs one stream of whole batches; "
                             "leave streams out, or raise batch_size for more work in flight")
    if (why := check_precision(engine, request.precision)) is not None:
        raise InvalidRequest(f"{why}; ask one of those engines or another precision")
    if request.calibration is not None and request.precision != "int8":
        raise InvalidRequest(f"calibration applies to precision int8 only (this job asks {request.precision}); "
                             "leave calibration out, or ask precision int8")
    if request.cuda_graphs and engine != "torch":
        raise InvalidRequest("cuda_graphs applies to the torch engine only (TensorRT manages its own launches); "
                             'use "backend": "gpu", "engine": "torch"')
    # Every job field the request carries, by name; model, tag and input size are resolved by the caller.
    asked = request.model_dump(include=set(JobSpec.model_fields) - {"model", "input_size"})
    calibration = (request.calibration or DEFAULT_CALIBRATION) if request.precision == "int8" else None
    return asked | {"engine": engine, "batch_size": request.batch_size or DEFAULT_BATCH[request.backend],
                    "calibration": calibration}


def parse_model_name(name: str) -> tuple[str, str | None]:
    name = name.strip()
    lowered = name.lower()
    if lowered.startswith(("hf-hub:", "hf_hub:", "local-dir:", "timm/")) or "://" in name or "/" in name or "\\" in name:
        raise InvalidRequest(f"{name!r} is refused: {NEVER_DOWNLOADED}. Give a timm architecture such as resnet50 "
                         "or resnet50.tv_in1k")
    if not NAME.match(name):
        raise InvalidRequest(f"{name!r} is not a timm model name (letters, digits and _ with an optional .tag), "
                         "e.g. resnet50 or resnet50.tv_in1k")
    arch, _, tag = name.partition(".")
    return arch, tag or None


def placement(request: JobCreate, session: Session) -> dict[str, Any]:
    """Where the job goes: `submit_job` keyword arguments for its queue and targets."""
    if request.worker and request.hardware:
        raise InvalidRequest("name a worker or a hardware label, not both (a named worker already has its hardware)")
    if request.worker:
        known = session.get(Worker, request.worker)
        if known is not None and known.backend != request.backend:
            raise InvalidRequest(f"worker {request.worker} runs {known.backend} jobs, not {request.backend}; "
                                 "see GET /workers")
    return {"queue": queue_for(request.backend, request.worker, request.hardware), "target_worker": request.worker,
            "target_hardware": request.hardware}
