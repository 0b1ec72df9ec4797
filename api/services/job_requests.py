"""Turn a POST /jobs body into a fully resolved job spec, refusing what cannot or must not run."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from api.errors import InvalidRequest
from api.schemas import JobCreate
from shared.catalog.names import parse_model_name
from shared.catalog.registry import closest, lookup
from shared.catalog.variants import REFUSED
from shared.db.tables import Capacity, CatalogEntry, JobSpec
from shared.jobs.memory import Need, largest_batch, need, too_big
from shared.jobs.presence import Known, how_to_start, known_targets, queue_ttl_text
from shared.jobs.queues import hardware_slug, queue_for
from shared.jobs.time_budget import check_time_budget
from shared.jobs.vocabulary import DEFAULT_BATCH, DEFAULT_CALIBRATION, check_precision, default_engine, engines_of
from shared.settings import get_settings


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
    """A ready variant's job; a pending one's too, which waits unpublished until a CPU worker has counted the variant
    (shared.catalog.counting publishes it then, or fails it with the reason); a refused variant is refused here."""
    if variant.state == REFUSED:
        raise InvalidRequest(f"variant {variant.name} was refused: {variant.reason}. Register it again (POST /models, "
                             "the same name) with other kwargs, or name another model")
    limit = get_settings().max_params_m
    if variant.params_m is not None and variant.params_m > limit:  # counted under a higher limit
        raise InvalidRequest(f"{variant.name} has {variant.params_m:,.0f} M parameters, above this server's limit of "
                             f"{limit:,.0f} M (SPEEDBOARD_MAX_PARAMS_M); pick a smaller model")
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


def placement(request: JobCreate, session: Session) -> dict[str, Any]:
    """Where the job goes: `submit_job` keyword arguments for its queue and targets. A named worker or hardware label
    must have been announced within the queue TTL: any other would get a broker queue that no worker ever reads."""
    if request.worker and request.hardware:
        raise InvalidRequest("name a worker or a hardware label, not both (a named worker already has its hardware)")
    hardware = request.hardware
    if request.worker:
        check_worker(request.worker, request.backend, known_targets(session))
    elif request.hardware:
        hardware = known_hardware(request.hardware, request.backend, known_targets(session))
    return {"queue": queue_for(request.backend, request.worker, hardware), "target_worker": request.worker,
            "target_hardware": hardware}


def check_worker(name: str, backend: str, known: Known) -> None:
    """A worker seen within the queue TTL (stopped ones too: the job waits for it to come back), of the job's backend."""
    runs = known.backends.get(name)
    if runs is None:
        names = sorted(known.backends)
        if names:
            why = (f"no worker of that name has announced itself within the last {queue_ttl_text()}; known workers: "
                   f"{_listed([f'{n} ({known.backends[n]})' for n in names])} (GET /workers lists the connected ones)")
        else:
            why = (f"no worker has announced itself within the last {queue_ttl_text()}; {how_to_start(backend)} "
                   f"(or leave worker out: any {backend} worker takes the job)")
        raise InvalidRequest(f"unknown worker {name!r}: {why}", known=names)
    if runs != backend:
        raise InvalidRequest(f"worker {name} runs {runs} jobs, not {backend}; see GET /workers")


def known_hardware(label: str, backend: str, known: Known) -> str:
    """The label as the job's backend's workers announced it: the same, or the same but for case and punctuation
    (which name one queue)."""
    labels = known.hardware.get(backend, [])
    same = [seen for seen in labels if seen == label] or [seen for seen in labels if hardware_slug(seen) == hardware_slug(label)]
    if same:
        return same[0]
    if labels:
        why = (f"no {backend} worker on it has announced itself within the last {queue_ttl_text()}; "
               f"known {backend} hardware: {_listed([repr(seen) for seen in labels])}")
    else:
        why = f"no {backend} worker has announced itself within the last {queue_ttl_text()}; {how_to_start(backend)}"
    others = [other for other, its in sorted(known.hardware.items()) if label in its]
    if others:
        why += f"; {label!r} is {others[0]} hardware: ask backend {others[0]}"
    raise InvalidRequest(f"unknown hardware {label!r} for {backend} jobs: {why} (or leave hardware out: any {backend} "
                         "worker takes the job)", known=labels)


def _listed(items: list[str], most: int = 20) -> str:
    more = f" and {len(items) - most} more" if len(items) > most else ""
    return ", ".join(items[:most]) + more
