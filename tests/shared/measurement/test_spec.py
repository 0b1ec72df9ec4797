"""The benchmark process's spec and result hold to the job's spec and the result table, field by field.

BenchSpec is a plain dataclass (the benchmark process runs without pydantic), filled by name from JobSpec; the
pipeline returns ResultBase's fields. These tests are what keeps the copies from drifting.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path

from shared.db.tables import Job, JobSpec, ResultBase
from shared.measurement.pipeline import RESULT_FROM_SPEC, RUNTIME_FIELDS, BenchSpec
from shared.worker.runner import bench_spec


def test_bench_spec_has_every_job_field_with_its_default_and_only_the_runtime_ones_besides() -> None:
    bench = {field.name: field for field in fields(BenchSpec)}
    assert set(bench) == set(JobSpec.model_fields) | set(RUNTIME_FIELDS)
    for name, info in JobSpec.model_fields.items():
        default = None if info.is_required() else info.default
        if name != "streams":  # the job may leave streams open; the benchmark always has a number
            assert (None if bench[name].default is MISSING else bench[name].default) == default, name


def test_the_worker_fills_the_bench_spec_from_the_job_by_name() -> None:
    job = Job(model="resnet50", pretrained_tag="a1_in1k", backend="cpu", engine="openvino", precision="bf16",
              batch_size=3, input_size=192, duration_s=4.0, queue="cpu", base_model="resnet18",
              model_kwargs={"layers": [1, 1, 1, 1]})
    spec = bench_spec(job)
    for name in JobSpec.model_fields:
        if name != "streams":
            assert getattr(spec, name) == getattr(job, name), name
    assert spec.streams >= 1 and isinstance(spec.cache_dir, Path)
    assert BenchSpec.from_json(spec.to_json()) == spec  # what the benchmark process reads back


def test_what_a_result_repeats_from_the_spec_are_result_fields() -> None:
    assert set(RESULT_FROM_SPEC) <= set(ResultBase.model_fields) & set(JobSpec.model_fields)
