"""What a hostile or careless client sends, as cases against a running API: each returns the statuses it got.

Shared by tests/e2e/test_abuse.py (which asserts the statuses) and benchmarks/health_under_abuse.py (which measures
/health while they run). Plain urllib, so any client machine can run them.
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

Case = Callable[[str, str], Counter[int]]
HOSTILE = ['<img src=x onerror="window.__pwned=1">', '<a href="javascript:window.__pwned=2">x</a>',
           '=HYPERLINK("http://evil.example","x")']


def send(url: str, method: str = "GET", body: Any = None, token: str | None = None, raw: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    sent = {"content-type": "application/json"} | ({"authorization": f"Bearer {token}"} if token else {}) | (headers or {})
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def _statuses(calls: list[Callable[[], tuple[int, dict[str, str], bytes]]], parallel: int = 8) -> Counter[int]:
    with ThreadPoolExecutor(parallel) as pool:
        return Counter(status for status, _, _ in pool.map(lambda call: call(), calls))


def declare_big_body(base: str, token: str, size: int = 2 << 20) -> tuple[int, dict[str, str], bytes]:
    """Declare a 2 MiB body and wait for the answer before sending it, as a client sending `Expect: 100-continue`
    does: the server answers 413 from the declared length and closes, so a client still writing would see only a
    broken pipe."""
    where = urlsplit(base)
    connection = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    try:
        connection.putrequest("POST", "/jobs")
        for name, value in (("content-type", "application/json"), ("content-length", str(size)),
                            ("authorization", f"Bearer {token}"), ("expect", "100-continue")):
            connection.putheader(name, value)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
    finally:
        connection.close()


def big_bodies(base: str, token: str) -> Counter[int]:
    """2 MiB bodies, ten of them: 413 before anything is parsed (or even received)."""
    return _statuses([lambda: declare_big_body(base, token)] * 10, parallel=4)


def rapid_jobs(base: str, token: str, count: int = 130) -> Counter[int]:
    """More POST /jobs in a minute than the rate allows (120): the rest get 429."""
    job = {"model": "resnet18", "backend": "cpu", "duration_s": 1}
    return _statuses([lambda: send(f"{base}/jobs", "POST", job, token)] * count)


def unknown_workers(base: str, token: str) -> Counter[int]:
    """Workers and hardware no worker announced, some of them long enough to break a broker's file names."""
    bodies = [{"model": "resnet18", "backend": "cpu", "worker": name} for name in ("ghost@nowhere", "w" * 250, "../../etc")]
    bodies += [{"model": "resnet18", "backend": "cpu", "hardware": label} for label in ("Imaginary CPU", "h" * 500)]
    return _statuses([lambda body=body: send(f"{base}/jobs", "POST", body, token) for body in bodies])


def huge_job(base: str, token: str) -> Counter[int]:
    """The 51 GB job (about 51 GB of inputs per request): a 422 naming the batch that would fit."""
    job = {"model": "resnet50", "backend": "cpu", "batch_size": 4096, "input_size": 1024}
    return _statuses([lambda: send(f"{base}/jobs", "POST", job, token)] * 5)


def huge_variants(base: str, token: str) -> Counter[int]:
    """20 parallel POST /models with huge kwargs: refused or counted on a worker, never stalling the API."""
    bodies = [{"name": f"abuse_huge_{n}", "base": "vit_base_patch16_224",
               "kwargs": {"embed_dim": 16384, "depth": 1000, "num_heads": 16} if n % 2 else {"embed_dim": 10**6}}
              for n in range(20)]
    return _statuses([lambda body=body: send(f"{base}/models", "POST", body, token) for body in bodies], parallel=20)


def hostile_strings(base: str, token: str) -> Counter[int]:
    """Markup and formulas as a variant's label (refused by its pattern) and as a correction's source (kept as text)."""
    calls = [lambda text=text: send(f"{base}/models", "POST", {"name": "abuse_label", "base": "test_vit",
                                                               "kwargs": {"depth": 1}, "label": text}, token)
             for text in HOSTILE]
    calls += [lambda text=text: send(f"{base}/models/resnet50", "PUT", {"top1": 80.0, "source": text}, token)
              for text in HOSTILE]
    return _statuses(calls, parallel=1)


CASES: dict[str, Case] = {"2 MiB body": big_bodies, "rapid POST /jobs": rapid_jobs, "unknown workers": unknown_workers,
                          "the 51 GB job": huge_job, "20 parallel huge variants": huge_variants,
                          "hostile labels and sources": hostile_strings}
