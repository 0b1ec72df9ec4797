"""The vocabulary is consistent with itself: every engine named in the types has a row, a backend and a module."""

from __future__ import annotations

import importlib.util
from typing import get_args

from shared.jobs.vocabulary import (
    BACKENDS,
    DEFAULT_BATCH,
    ENGINES,
    PRECISIONS,
    RAN_PRECISIONS,
    EngineName,
    default_engine,
    engines_of,
)


def test_every_engine_has_a_row_a_known_backend_and_a_module_that_exists() -> None:
    assert set(ENGINES) == set(get_args(EngineName))
    for engine in ENGINES.values():
        assert engine.backend in BACKENDS and importlib.util.find_spec(engine.module) is not None, engine


def test_each_backend_has_a_default_engine_and_batch() -> None:
    assert {backend: default_engine(backend) for backend in BACKENDS} == {"cpu": "openvino", "gpu": "tensorrt"}
    assert engines_of("gpu") == ("tensorrt", "torch") and set(DEFAULT_BATCH) == set(BACKENDS)


def test_auto_is_asked_but_never_ran() -> None:
    assert "auto" in PRECISIONS and "auto" not in RAN_PRECISIONS and set(RAN_PRECISIONS) < set(PRECISIONS)
