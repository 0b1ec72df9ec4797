"""The `speedboard` command: queue the seed study and follow it, talking to a running API over HTTP.

    speedboard suite seed --backend cpu [--wait] [--worker NAME | --hardware LABEL] [--url URL]
    speedboard suite status SUITE_ID [--wait] [--url URL]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from shared import SpeedboardError
from shared.jobs.vocabulary import BACKENDS, DEFAULT_DURATION_S, DEFAULT_REPEATS, RANGES

DEFAULT_URL = os.environ.get("SPEEDBOARD_URL", "http://127.0.0.1:8000")


class ApiError(SpeedboardError):
    """The API refused a call or could not be reached; the message says which and what to do."""


def call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    try:
        request = urllib.request.Request(url, data=data, method=method, headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            answer: dict[str, Any] = json.load(response)
            return answer
    except urllib.error.HTTPError as error:
        raise ApiError(f"{method} {url} answered {error.code}: {_said(error.read(), error.reason)}") from error
    except urllib.error.URLError as error:
        raise ApiError(f"no Speedboard API answers at {url} ({error.reason}); start it with `make run` "
                       "or point --url (or SPEEDBOARD_URL) at it") from error
    except (ValueError, http.client.InvalidURL) as error:  # not a URL at all
        raise ApiError(f"{url!r} is not a URL the API can be reached at ({error}); "
                       "give --url like http://127.0.0.1:8000") from error


def _said(body: bytes, reason: str) -> str:
    try:
        answer = json.loads(body or b"{}")
    except ValueError:
        return body.decode(errors="replace").strip()[:300] or reason
    return str(answer.get("message") or answer.get("detail") or reason) if isinstance(answer, dict) else reason


def describe(suite: dict[str, Any]) -> str:
    counts = ", ".join(f"{n} {status}" for status, n in sorted(suite["counts"].items()))
    return f"suite {suite['id']} ({suite['name']}, {suite['backend']}): {suite['finished']}/{suite['total']} finished, " \
           f"{suite['progress']:.0%} done [{counts}]"


def suite_url(base: str, suite_id: str) -> str:
    return f"{base}/suites/{quote(suite_id, safe='')}"


def follow(base: str, suite_id: str, every_s: float) -> dict[str, Any]:
    last = ""
    while True:
        suite = call(suite_url(base, suite_id))
        line = describe(suite)
        if line != last:
            print(line, flush=True)
            last = line
        if suite["done"]:
            return suite
        time.sleep(every_s)


def report(base: str, suite: dict[str, Any]) -> int:
    failed = [job for job in suite["jobs"] if job["status"] != "succeeded"]
    for job in failed:
        print(f"  {job['model']}: {job['status']}{': ' + job['error'] if job['error'] else ''}")
    print(f"chart: {base}{suite['chart_url']}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    url_help = f"the API's address (default {DEFAULT_URL}; env SPEEDBOARD_URL)"
    parser = argparse.ArgumentParser(prog="speedboard", description="Speedboard from the command line (needs a running API).")
    parser.add_argument("--url", default=DEFAULT_URL, help=url_help)
    anywhere = argparse.ArgumentParser(add_help=False)  # --url also after the command, without resetting one given before it
    anywhere.add_argument("--url", default=argparse.SUPPRESS, help=url_help)
    commands = parser.add_subparsers(dest="command", required=True)
    suites = commands.add_parser("suite", help="queue or follow a suite of benchmarks")
    suite = suites.add_subparsers(dest="action", required=True)
    seed = suite.add_parser("seed", parents=[anywhere], help="queue the seed study: every seed model with the seed's settings")
    seed.add_argument("--backend", choices=BACKENDS, required=True)
    seed.add_argument("--duration", type=float, default=DEFAULT_DURATION_S,
                      help=f"seconds of measuring per model (default {DEFAULT_DURATION_S:g})")
    low, high = RANGES["repeats"]
    seed.add_argument("--repeats", type=int, default=DEFAULT_REPEATS["suite"], choices=range(low, high + 1), metavar="N",
                      help=f"benchmark processes per model, for 95%% intervals ({low}-{high}, "
                           f"default {DEFAULT_REPEATS['suite']})")
    where = seed.add_mutually_exclusive_group()
    where.add_argument("--worker", help="run every job on this worker (a name from GET /workers)")
    where.add_argument("--hardware", help='run every job on workers with this hardware label, e.g. "NVIDIA H200"')
    seed.add_argument("--wait", action="store_true", help="follow its progress until every job has ended")
    status = suite.add_parser("status", parents=[anywhere], help="a suite's progress")
    status.add_argument("suite_id")
    status.add_argument("--wait", action="store_true", help="follow its progress until every job has ended")
    args = parser.parse_args(argv)
    base = args.url.rstrip("/")
    try:
        if args.action == "seed":
            body = {"name": "seed", "backend": args.backend, "duration_s": args.duration, "repeats": args.repeats}
            body |= {key: value for key in ("worker", "hardware") if (value := getattr(args, key)) is not None}
            created = call(f"{base}/suites", "POST", body)
            print(f"queued {created['total']} seed models on {args.backend} as suite {created['id']}")
            print(f"progress: {base}/suites/{created['id']}   chart: {base}{created['chart_url']}")
            return report(base, follow(base, created["id"], 5.0)) if args.wait else 0
        current = follow(base, args.suite_id, 5.0) if args.wait else call(suite_url(base, args.suite_id))
        if not args.wait:
            print(describe(current))
        return report(base, current) if current["done"] else 0
    except ApiError as error:
        print(f"speedboard: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
