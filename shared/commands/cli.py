"""The `speedboard` command: queue the seed study and follow it, talking to a running API over HTTP.

    speedboard suite seed --backend cpu [--precision int8] [--sweep] [--wait] [--worker NAME | --hardware LABEL] [--url URL]
    speedboard suite status SUITE_ID [--wait] [--url URL]
    speedboard sweep MODEL [MODEL ...] --backend cpu [--batch-sizes 1,8,32] [--streams 1,2] [--wait]
    speedboard recommend --max-latency-ms 10 [--percentile 99] [--min-top1 80] [--backend cpu] [--hardware LABEL]
                         [--include-unverified]
    speedboard token create --name NAME --role read|submit|admin | token list | token revoke NAME   (the database itself)

Every command but `token` takes --token (or SPEEDBOARD_TOKEN), sent as `Authorization: Bearer <token>`.
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
from urllib.parse import quote, urlencode

from shared import SpeedboardError
from shared.catalog.seed import SEED_MODELS, SEED_SWEEP_BATCH_SIZES
from shared.commands.tokens import add_parser as add_token_parser
from shared.commands.tokens import run as run_token
from shared.jobs.vocabulary import BACKENDS, DEFAULT_DURATION_S, DEFAULT_REPEATS, PRECISIONS, RAN_PRECISIONS, RANGES

DEFAULT_URL = os.environ.get("SPEEDBOARD_URL", "http://127.0.0.1:8000")
TOKEN: dict[str, str | None] = {"secret": None}  # set once from --token / SPEEDBOARD_TOKEN by main()


class ApiError(SpeedboardError):
    """The API refused a call or could not be reached; the message says which and what to do."""


def call(url: str, method: str = "GET", body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    headers = {"content-type": "application/json"}
    if TOKEN["secret"]:
        headers["authorization"] = f"Bearer {TOKEN['secret']}"
    try:
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
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


def describe(suite: dict[str, Any], kind: str = "suite") -> str:
    counts = ", ".join(f"{n} {status}" for status, n in sorted(suite["counts"].items()))
    return f"{kind} {suite['id']} ({suite['name']}, {suite['backend']}): {suite['finished']}/{suite['total']} finished, " \
           f"{suite['progress']:.0%} done [{counts}]"


def suite_url(base: str, suite_id: str, kind: str = "suite") -> str:
    return f"{base}/{kind}s/{quote(suite_id, safe='')}"


def follow(base: str, suite_id: str, every_s: float, kind: str = "suite") -> dict[str, Any]:
    last = ""
    while True:
        suite = call(suite_url(base, suite_id, kind))
        line = describe(suite, kind)
        if line != last:
            print(line, flush=True)
            last = line
        if suite["done"]:
            return suite
        time.sleep(every_s)


def report(base: str, suite: dict[str, Any]) -> int:
    failed = [job for job in suite["jobs"] if job["status"] != "succeeded"]
    for job in failed:
        where = ""
        if "skipped" in suite:  # a sweep: say which point
            where = f" batch {job['batch_size']}" + (f" × {job['streams']} streams" if job["streams"] else "")
        print(f"  {job['model']}{where}: {job['status']}{': ' + job['error'] if job['error'] else ''}")
    print(f"chart: {base}{suite['chart_url']}")
    return 1 if failed else 0


def _axis(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of whole numbers, e.g. 1,8,32") from None
    if not values:
        raise argparse.ArgumentTypeError("give at least one number, e.g. 1,8,32")
    return values


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _placement(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--worker", help="run every job on this worker (a name from GET /workers)")
    where.add_argument("--hardware", help='run every job on workers with this hardware label, e.g. "NVIDIA H200"')


def _measuring(parser: argparse.ArgumentParser, repeats_default: str) -> None:
    parser.add_argument("--duration", type=float, default=DEFAULT_DURATION_S,
                        help=f"seconds of measuring per job (default {DEFAULT_DURATION_S:g})")
    low, high = RANGES["repeats"]
    parser.add_argument("--repeats", type=int, default=None, choices=range(low, high + 1), metavar="N",
                        help=f"benchmark processes per job, for 95%% intervals ({low}-{high}; default {repeats_default})")
    parser.add_argument("--wait", action="store_true", help="follow its progress until every job has ended")


def parse(argv: list[str] | None) -> argparse.Namespace:
    url_help = f"the API's address (default {DEFAULT_URL}; env SPEEDBOARD_URL)"
    parser = argparse.ArgumentParser(prog="speedboard", description="Speedboard from the command line (needs a running API).")
    token_help = "an API token (default: env SPEEDBOARD_TOKEN); `speedboard token create` makes one"
    parser.add_argument("--url", default=DEFAULT_URL, help=url_help)
    parser.add_argument("--token", default=os.environ.get("SPEEDBOARD_TOKEN") or None, help=token_help)
    anywhere = argparse.ArgumentParser(add_help=False)  # --url also after the command, without resetting one given before it
    anywhere.add_argument("--url", default=argparse.SUPPRESS, help=url_help)
    anywhere.add_argument("--token", default=argparse.SUPPRESS, help=token_help)
    commands = parser.add_subparsers(dest="command", required=True)
    suites = commands.add_parser("suite", help="queue or follow a suite of benchmarks")
    suite = suites.add_subparsers(dest="action", required=True)
    seed = suite.add_parser("seed", parents=[anywhere], help="queue the seed study: every seed model with the seed's settings")
    seed.add_argument("--backend", choices=BACKENDS, required=True)
    seed.add_argument("--precision", choices=PRECISIONS, help="auto (default: the seed's own), or e.g. int8 for the seed "
                      "study quantized (calibrated on random inputs: accuracy unverified)")
    seed.add_argument("--sweep", action="store_true", help="sweep the seed models at batch "
                      f"{', '.join(map(str, SEED_SWEEP_BATCH_SIZES))} with the default streams (1, half and all of the "
                      "worker's cores), for the budget panel and `speedboard recommend`")
    _measuring(seed, f"{DEFAULT_REPEATS['suite']}, or {DEFAULT_REPEATS['sweep']} with --sweep")
    _placement(seed)
    status = suite.add_parser("status", parents=[anywhere], help="a suite's or a sweep's progress")
    status.add_argument("suite_id")
    status.add_argument("--wait", action="store_true", help="follow its progress until every job has ended")
    sweep = commands.add_parser("sweep", parents=[anywhere], help="benchmark models at every batch size × streams")
    sweep.add_argument("models", nargs="+", metavar="MODEL")
    sweep.add_argument("--backend", choices=BACKENDS, required=True)
    sweep.add_argument("--batch-sizes", type=_axis, help="e.g. 1,8,32 (default: 1,2,4,8,16,32 on cpu; 1,8,32,64,128,256 on gpu)")
    sweep.add_argument("--streams", type=_axis, help="cpu only, e.g. 1,2 (default: 1, half and all of the worker's cores)")
    sweep.add_argument("--engine", help="default: the backend's own (openvino on cpu, tensorrt on gpu)")
    sweep.add_argument("--precision", choices=PRECISIONS, help="auto (default), fp32, fp16, bf16 or int8")
    _measuring(sweep, str(DEFAULT_REPEATS["sweep"]))
    _placement(sweep)
    budget = commands.add_parser("recommend", parents=[anywhere], help="the best measured model within a budget")
    budget.add_argument("--max-latency-ms", type=float)
    budget.add_argument("--percentile", type=int, choices=(50, 90, 95, 99), default=99)
    budget.add_argument("--min-throughput", type=float, help="images/s at least")
    budget.add_argument("--min-top1", type=float, help="ImageNet top-1 %% at least")
    budget.add_argument("--max-memory-mb", type=float)
    budget.add_argument("--backend", choices=BACKENDS)
    budget.add_argument("--hardware", help="exact hardware label, as GET /workers gives it")
    budget.add_argument("--precision", choices=RAN_PRECISIONS, help="only results computed in this precision")
    budget.add_argument("--include-unverified", action="store_true", help="rank int8 results calibrated on random inputs "
                        "at their model's published top-1 (flagged); by default they are listed apart")
    budget.add_argument("--top", type=_positive, default=5, help="how many to list (default 5)")
    add_token_parser(commands)
    return parser.parse_args(argv)


def queue(base: str, args: argparse.Namespace) -> int:
    """suite seed [--sweep] and sweep: POST, say what was queued, and follow it with --wait."""
    kind = "sweep" if args.command == "sweep" or args.sweep else "suite"
    body: dict[str, Any] = {"backend": args.backend, "duration_s": args.duration,
                            "repeats": args.repeats or DEFAULT_REPEATS[kind]}
    body |= {key: value for key in ("worker", "hardware") if (value := getattr(args, key)) is not None}
    if args.command == "sweep":
        body |= {"models": args.models}
        body |= {key: value for key in ("batch_sizes", "streams", "engine", "precision")
                 if (value := getattr(args, key)) is not None}
    elif kind == "sweep":
        body |= {"name": "seed", "models": list(SEED_MODELS), "batch_sizes": list(SEED_SWEEP_BATCH_SIZES)}
    else:
        body |= {"name": "seed"}
    if args.command != "sweep" and args.precision is not None:
        body["precision"] = args.precision
    created = call(f"{base}/{kind}s", "POST", body)
    if kind == "sweep":
        streams = ", ".join(str(n) for n in created["streams"] if n) or "1"
        print(f"queued sweep {created['id']}: {created['total']} jobs ({len(created['models'])} models × batch "
              f"{', '.join(map(str, created['batch_sizes']))} × streams {streams}"
              + (f", from {created['streams_from']}'s cores" if created["streams_from"] else "") + ")")
        for point in created["skipped"]:
            streams = f" × {point['streams']} streams" if point["streams"] else ""
            print(f"  skipped {point['model']} batch {point['batch_size']}{streams}: {point['reason']}")
    else:
        precision = f" in {args.precision}" if args.precision else ""
        print(f"queued {created['total']} seed models on {args.backend}{precision} as suite {created['id']}")
    print(f"progress: {base}/{kind}s/{created['id']}   chart: {base}{created['chart_url']}")
    return report(base, follow(base, created["id"], 5.0, kind)) if args.wait else 0


def status(base: str, group_id: str, wait: bool) -> int:
    kind = "suite"
    try:
        current = call(suite_url(base, group_id))
    except ApiError as not_a_suite:
        kind = "sweep"
        try:
            current = call(suite_url(base, group_id, kind))
        except ApiError:
            raise not_a_suite from None  # neither: the suite's answer says where to look
    if wait:
        current = follow(base, group_id, 5.0, kind)
    else:
        print(describe(current, kind))
    return report(base, current) if current["done"] else 0


def advise(base: str, args: argparse.Namespace) -> int:
    query = {key: value for key in ("max_latency_ms", "percentile", "min_throughput", "min_top1", "max_memory_mb",
                                    "backend", "hardware", "precision") if (value := getattr(args, key)) is not None}
    if args.include_unverified:
        query["include_unverified"] = "true"
    found = call(f"{base}/recommend?{urlencode(query)}")
    print(found["answer"])
    for kind in ("items", "unranked", "misses"):
        if found[kind]:
            print({"items": "qualify:", "unranked": "qualify, top-1 unknown:", "misses": "nearest misses:"}[kind])
        for item in found[kind][:args.top]:
            top1 = f"{item['top1']:.1f} %" if item["top1"] is not None else "top-1 ?"
            top1 += " (unverified)" if item["accuracy_unverified"] and item["top1"] is not None else ""
            print(f"  {item['verdict']:8s} {item['label']}: {top1}, {item['reason']}")
    return 0 if found["items"] or found["unranked"] else 1


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.command == "token":
        return run_token(args)
    base = args.url.rstrip("/")
    TOKEN["secret"] = args.token
    try:
        if args.command == "recommend":
            return advise(base, args)
        if args.command == "sweep" or args.action == "seed":
            return queue(base, args)
        return status(base, args.suite_id, args.wait)
    except ApiError as error:
        print(f"speedboard: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
