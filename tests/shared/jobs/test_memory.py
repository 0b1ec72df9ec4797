"""What a job surely holds in memory, and the sentence that refuses it."""

from __future__ import annotations

import pytest

from shared.jobs.memory import largest_batch, need, too_big


def test_inputs_in_flight_and_weights_in_fp32() -> None:
    needed = need(batch_size=4096, input_size=1024, in_flight=2, params_m=25.6)
    assert needed.input_mb == pytest.approx(2 * 4096 * 3 * 1024**2 * 4 / 2**20)  # 96 GiB
    assert needed.weights_mb == pytest.approx(25.6e6 * 4 / 2**20)
    assert too_big(needed, 23.5, "cpu@bench") == ("its inputs in flight (2 × batch 4096 × 3 × 1024² fp32, 98,304 MB) and "
                                                  "weights (98 MB) alone exceed the 24,064 MB of cpu@bench")
    assert largest_batch(needed, 23.5) == 512  # 512 × 2 × 12 MB fits 24 GB with the weights; 1024 does not
    assert too_big(need(512, 1024, 2, 25.6), 23.5, "cpu@bench") is None


def test_no_known_memory_refuses_nothing_and_a_batch_of_one_can_be_too_much() -> None:
    assert too_big(need(4096, 1024, 2, 25.6), None, "x") is None
    assert largest_batch(need(1, 1024, 64, 25.6), 0.5) == 0  # 64 streams × 12 MB do not fit 512 MB
