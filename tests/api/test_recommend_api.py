"""GET /recommend over stored results: the latest run of every configuration judged against a budget, with the
shape the contract names. The rules themselves (boundaries, intervals, ordering) are pinned in
tests/shared/analysis/test_budget.py; these check that the API feeds them the right figures."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from shared.db.engine import session_scope
from shared.db.tables import Suite
from tests.factories import make_result, seed

XEON, EPYC = "Intel Xeon Processor, 2 cores", "AMD EPYC, 2 cores"


def latency(p99: float, p50: float | None = None) -> dict[str, float]:
    p50 = p50 if p50 is not None else p99 / 2
    return {"mean": p50, "p50": p50, "p90": p99 * 0.8, "p95": p99 * 0.9, "p99": p99}


def recommend(client: TestClient, **query: Any) -> dict[str, Any]:
    response = client.get("/recommend", params=query)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_most_accurate_within_the_budget_comes_first_with_what_the_contract_names(client: TestClient) -> None:
    seed(
        make_result(1, model="resnet50", pretrained_tag="a1_in1k", batch_size=1, streams=2, throughput=40.0,
                    latency_ms=latency(30.0), precision_used="bf16"),
        make_result(2, model="resnet50", pretrained_tag="a1_in1k", batch_size=8, streams=2, throughput=90.0,
                    latency_ms=latency(200.0), precision_used="bf16"),
        make_result(3, model="resnet18", pretrained_tag="a1_in1k", batch_size=1, streams=2, throughput=150.0,
                    latency_ms=latency(9.0), precision_used="bf16"),
        make_result(4, model="mobilenetv3_large_100", pretrained_tag="ra_in1k", batch_size=1, streams=1,
                    throughput=300.0, latency_ms=latency(6.0), precision_used="bf16"),
    )
    within_10 = recommend(client, max_latency_ms=10)
    assert [(i["model"], i["verdict"]) for i in within_10["items"]] == [("mobilenetv3_large_100", "meets"),
                                                                        ("resnet18", "meets")]
    best = within_10["items"][0]
    for name in ("model", "pretrained_tag", "engine", "precision", "precision_used", "batch_size", "streams", "input_size",
                 "throughput", "latency_ms", "top1", "result_ids", "reason", "verdict", "run_ids"):
        assert name in best
    assert (best["top1"], best["batch_size"], best["streams"], best["latency_ms"]["p99"]) == (75.784, 1, 1, 6.0)
    assert len(best["result_ids"]) == 1 and len(best["run_ids"]) == 1 and "p99 6 ms ≤ 10 ms" in best["reason"]
    assert within_10["total"] == 2 and within_10["considered"] == 4 and within_10["misses"] == []
    assert "the most accurate model is mobilenetv3_large_100.ra_in1k (batch 1 × 1 stream)" in within_10["answer"]
    # A looser budget lets resnet50 at batch 1 in, ranked first by accuracy; at p50 its batch 8 qualifies too.
    assert [i["batch_size"] for i in recommend(client, max_latency_ms=50)["items"] if i["model"] == "resnet50"] == [1]
    at_p50 = recommend(client, max_latency_ms=100, percentile=50)["items"]
    assert [(i["model"], i["batch_size"]) for i in at_p50][:2] == [("resnet50", 8), ("resnet50", 1)]  # then throughput
    assert [i["model"] for i in recommend(client, min_top1=75, min_throughput=100)["items"]] == ["mobilenetv3_large_100"]


def test_only_the_latest_run_of_each_configuration_counts_and_filters_narrow_it(client: TestClient) -> None:
    seed(make_result(1, model="resnet18", pretrained_tag="a1_in1k", latency_ms=latency(5.0), precision_used="fp32"))
    seed(make_result(2, model="resnet18", pretrained_tag="a1_in1k", latency_ms=latency(50.0), precision_used="fp32"))
    seed(make_result(3, model="resnet50", pretrained_tag="a1_in1k", latency_ms=latency(5.0), precision_used="bf16",
                     hardware=EPYC))
    assert [i["model"] for i in recommend(client, max_latency_ms=10)["items"]] == ["resnet50"]  # resnet18's rerun is slow
    assert recommend(client, max_latency_ms=10, precision="fp32")["items"] == []
    assert recommend(client, max_latency_ms=10, hardware=XEON)["items"] == []
    assert recommend(client, hardware=EPYC, backend="cpu", engine="openvino")["considered"] == 1
    assert recommend(client, backend="gpu")["considered"] == 0
    assert recommend(client, backend="gpu")["answer"].startswith("Nothing has been measured")


def test_nothing_qualifying_gives_the_nearest_misses_with_what_they_miss_by(client: TestClient) -> None:
    seed(make_result(1, model="resnet18", pretrained_tag="a1_in1k", latency_ms=latency(12.0)),
         make_result(2, model="resnet50", pretrained_tag="a1_in1k", latency_ms=latency(40.0)))
    found = recommend(client, max_latency_ms=10)
    assert found["items"] == [] and found["total"] == 0
    assert [m["model"] for m in found["misses"]] == ["resnet18", "resnet50"]
    miss = found["misses"][0]["misses_by"]["max_latency_ms"]
    assert (miss["value"], miss["limit"], miss["by"]) == (12.0, 10.0, 2.0) and abs(miss["share"] - 0.2) < 1e-9
    assert found["answer"].startswith("Nothing measured on Intel Xeon Processor, 2 cores meets p99 ≤ 10 ms")
    assert len(recommend(client, max_latency_ms=10, misses=1)["misses"]) == 1


def test_an_interval_straddling_the_budget_may_meet_and_comes_after_those_that_meet(client: TestClient) -> None:
    seed(make_result(1, model="resnet50", pretrained_tag="a1_in1k", runs=[40.0, 41.0, 39.0], latency_ms=latency(9.5),
                     latency_ci95={"p99": [8.0, 11.0]}),
         make_result(2, model="resnet18", pretrained_tag="a1_in1k", runs=[90.0, 91.0, 89.0], latency_ms=latency(6.0),
                     latency_ci95={"p99": [5.5, 6.5]}))
    items = recommend(client, max_latency_ms=10)["items"]
    assert [(i["model"], i["verdict"]) for i in items] == [("resnet18", "meets"), ("resnet50", "may_meet")]
    assert items[1]["straddles"] == ["max_latency_ms"] and "straddles" in items[1]["reason"]
    assert len(items[1]["run_ids"]) == 3


def test_results_without_accuracy_are_listed_as_unranked_not_dropped(client: TestClient) -> None:
    seed(make_result(1, model="my_net", pretrained_tag=None, latency_ms=latency(4.0)),
         make_result(2, model="resnet18", pretrained_tag="a1_in1k", latency_ms=latency(30.0)))
    found = recommend(client, max_latency_ms=10, min_top1=70)
    assert found["items"] == [] and [u["model"] for u in found["unranked"]] == ["my_net"]
    assert found["unranked"][0]["top1"] is None and "PUT /models/my_net" in found["unranked"][0]["reason"]
    assert [m["model"] for m in found["misses"]] == ["resnet18"]


def test_int8_with_random_calibration_is_unranked_unless_included_and_then_flagged(client: TestClient) -> None:
    seed(make_result(1, model="resnet50", pretrained_tag="a1_in1k", precision="auto", precision_used="bf16",
                     throughput=50.0, latency_ms=latency(40.0)),
         make_result(2, model="resnet50", pretrained_tag="a1_in1k", precision="int8", precision_used="int8",
                     calibration="random", throughput=100.0, latency_ms=latency(20.0)))
    found = recommend(client, max_latency_ms=30)
    assert found["items"] == [] and [u["precision_used"] for u in found["unranked"]] == ["int8"]
    withheld = found["unranked"][0]
    assert withheld["top1"] is None and withheld["accuracy_unverified"] == "random calibration"
    assert "float model's published top-1, unmeasured on this int8 engine (random calibration)" in withheld["reason"]
    assert "include_unverified=true" in found["answer"] and "(batch 1 × 2 streams, int8)" in found["answer"]
    included = recommend(client, max_latency_ms=30, include_unverified="true")
    assert [(i["precision_used"], i["accuracy_unverified"]) for i in included["items"]] == [("int8", "random calibration")]
    assert included["items"][0]["top1"] == 80.382 and "(published, unverified on this engine)" in included["answer"]
    # Without a latency budget both qualify; the float one ranks, the int8 one waits apart.
    both = recommend(client)
    assert [i["precision_used"] for i in both["items"]] == ["bf16"] and len(both["unranked"]) == 1


def test_memory_is_judged_where_measured(client: TestClient) -> None:
    seed(make_result(1, model="resnet18", pretrained_tag="a1_in1k", peak_rss_mb=300.0),
         make_result(2, model="resnet50", pretrained_tag="a1_in1k", peak_rss_mb=None),
         make_result(3, model="resnet34", pretrained_tag="a1_in1k", peak_rss_mb=900.0))
    found = recommend(client, max_memory_mb=512)
    assert [i["model"] for i in found["items"]] == ["resnet18"] and found["items"][0]["memory_mb"] == 300.0


def test_bad_constraints_say_what_is_accepted(client: TestClient) -> None:
    bad = client.get("/recommend", params={"percentile": 97})
    assert bad.status_code == 422 and "50" in bad.text and "99" in bad.text
    assert client.get("/recommend", params={"max_latency_ms": -1}).status_code == 422
    assert client.get("/recommend", params={"min_top1": 101}).status_code == 422
    assert client.get("/recommend", params={"precision": "int4"}).status_code == 422


def test_a_suites_own_runs_and_a_limited_list(client: TestClient) -> None:
    with session_scope() as session:
        session.add(Suite(id="s1", kind="sweep", name="sweep", backend="cpu"))
        session.commit()
    seed(make_result(1, model="resnet18", pretrained_tag="a1_in1k", latency_ms=latency(5.0), suite_id="s1"),
         make_result(2, model="resnet50", pretrained_tag="a1_in1k", latency_ms=latency(5.0), suite_id="s1"))
    seed(make_result(3, model="resnet18", pretrained_tag="a1_in1k", latency_ms=latency(50.0)))  # a later run elsewhere
    assert [i["model"] for i in recommend(client, max_latency_ms=10)["items"]] == ["resnet50"]
    within = recommend(client, max_latency_ms=10, suite="s1")
    assert [i["model"] for i in within["items"]] == ["resnet50", "resnet18"] and within["considered"] == 2
    limited = recommend(client, max_latency_ms=10, suite="s1", limit=1)
    assert [i["model"] for i in limited["items"]] == ["resnet50"] and limited["total"] == 2
    unknown = client.get("/recommend", params={"suite": "nope"})
    assert unknown.status_code == 404 and "GET /sweeps" in unknown.json()["message"]
