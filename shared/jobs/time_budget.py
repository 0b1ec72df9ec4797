"""A job's worst-case duration, checked at submission against the job time limit, so nothing is accepted that
the worker would have to kill."""

from __future__ import annotations

import math

from shared import InvalidRequest
from shared.db.tables import JobSpec
from shared.jobs.vocabulary import MAX_EXTENSION, RANGES, WARMUP_S
from shared.settings import Settings, get_settings


def worst_case_s(spec: JobSpec, settings: Settings) -> float:
    """Each repeat: preparing, warming up, and measuring until the stability gate's limit; a TensorRT build once."""
    per_repeat = settings.prepare_allowance_s + WARMUP_S + MAX_EXTENSION * spec.duration_s
    build = settings.engine_build_limit_s if spec.engine == "tensorrt" else 0.0
    return build + spec.repeats * per_repeat


def check_time_budget(spec: JobSpec) -> None:
    """Refuse a job whose worst case exceeds the job time limit, saying which duration or repeats would fit."""
    settings = get_settings()
    worst, limit = worst_case_s(spec, settings), settings.job_time_limit_s
    if worst <= limit:
        return
    fixed = settings.prepare_allowance_s + WARMUP_S
    build = settings.engine_build_limit_s if spec.engine == "tensorrt" else 0.0
    max_duration = math.floor(((limit - build) / spec.repeats - fixed) / MAX_EXTENSION)
    max_repeats = math.floor((limit - build) / (fixed + MAX_EXTENSION * spec.duration_s))
    fits = []
    if max_duration >= RANGES["duration_s"][0]:
        fits.append(f"duration_s at most {max_duration} with {spec.repeats} repeats")
    if max_repeats >= 1:
        fits.append(f"at most {max_repeats} repeats of duration_s {spec.duration_s:g}")
    raise InvalidRequest(
        f"this job could take up to {math.ceil(worst / 60)} min ({spec.repeats} repeats × ({settings.prepare_allowance_s:g} s "
        f"preparing + {WARMUP_S:g} s warm-up + up to {MAX_EXTENSION:g} × {spec.duration_s:g} s measuring, as the "
        f"stability gate may extend it){' + a TensorRT build' if build else ''}), more than the job time limit of "
        f"{limit / 60:g} min (SPEEDBOARD_JOB_TIME_LIMIT_S); "
        + ("what fits: " + " or ".join(fits) if fits else "raise the limit"),
        worst_case_s=round(worst), limit_s=limit)
