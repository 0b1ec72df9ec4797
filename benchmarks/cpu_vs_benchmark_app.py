"""Speedboard's CPU worker against OpenVINO's own `benchmark_app`, on the same IR: the project's speed yardstick.

Run from the repository root:

    make benchmark                                   # = .venv/bin/python benchmarks/cpu_vs_benchmark_app.py
    make int8-benchmark                              # four models at auto, fp32 and int8, with INT8's speed-up
    .venv/bin/python benchmarks/cpu_vs_benchmark_app.py --models resnet50 --rounds 5 --duration 20

For each model and precision it measures throughput (A) with the worker's own code (`openvino_engine.prepare`
and `shared.measurement.timing.measure`) and (B) with `benchmark_app` on the very IR file (A) compiled, told to use the
streams, threads and infer requests that (A)'s compiled model reports. Precision is compared as a user would:
Speedboard's default job (`auto`) against benchmark_app's default (no `-infer_precision`), and each explicit
precision against `benchmark_app -infer_precision` of the same; each side's precision is read back and printed.
It prints the ratio A/B per round and the median ratio per model and precision; the goal is A/B >= 0.97 (our
loop costs at most 3%). For `auto` it also runs benchmark_app with all of its own defaults (its throughput hint
picks the streams; u8 input), the figure a user would compare first, and prints that ratio beside (not a goal:
the streams may differ). `int8` is the IR quantized by NNCF with random calibration (worker_cpu.quantize), as an int8
job builds it: benchmark_app runs that same quantized IR, with no -infer_precision (the quantized layers run int8,
the rest in the plugin's native precision, on both sides), and with all of its own defaults too.

At the end a table gives each model's throughput per precision (the median of Speedboard's rounds), its speed-up over
`auto` (the default), the precision that ran as Speedboard reports it (precision_used) and, for int8, the share of
convolutions and matrix multiplications the CPU plugin runs quantized.

Rounds are interleaved A B, B A, A B ... and summarised by their median because a shared CPU drifts (turbo,
neighbours, thermal) by more than the effect we look for: running all of A and then all of B would
turn a drift into a fake difference, always running A first would favour one side, and one disturbed
round would move a mean but not a median. On a
small shared machine single rounds spread by several percent, so three rounds can only show a gross
gap; use more rounds (--rounds 7) before concluding that a model is a few percent below the goal.

It is a report, not a test: the exit status is 0 unless something crashes.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import openvino as ov  # noqa: E402

from shared.catalog.registry import lookup  # noqa: E402
from shared.jobs.vocabulary import PRECISIONS  # noqa: E402
from shared.measurement.hardware import ISA_FLAGS, cpu_flags, cpu_hardware, physical_cores  # noqa: E402
from shared.measurement.pipeline import BenchSpec  # noqa: E402
from shared.measurement.timing import measure  # noqa: E402
from worker_cpu import openvino_engine  # noqa: E402

GOAL = 0.97
MODELS = ("mobilenetv3_large_100", "resnet50", "levit_256")
BENCHMARK_APP = Path(sys.executable).parent / "benchmark_app"
OV_TYPE_NAMES = {"float32": "f32", "float16": "f16", "bfloat16": "bf16"}  # benchmark_app logs ov.Type's repr


@dataclass(frozen=True)
class Config:
    streams: int
    threads: int
    requests: int
    precision: str  # as OpenVINO names it: f32, f16, bf16

    def __str__(self) -> str:
        return f"streams {self.streams} / threads {self.threads} / requests {self.requests} / precision {self.precision}"


def read_back(runner: openvino_engine.OpenVinoRunner) -> Config:
    """What the compiled model behind the runner's infer requests decided, and how many requests the runner keeps.

    The CompiledModel handle must die here, before the runner: if Python frees it after the AsyncInferQueue, the
    compiled model is destroyed with the GIL held, joining OpenVINO's stream threads while one of them waits for
    the GIL (it ran our Python callback), and the process hangs (seen with OpenVINO 2026.4.1).
    """
    compiled = runner.queue[0].get_compiled_model()
    config = Config(
        streams=int(compiled.get_property("NUM_STREAMS")),
        threads=int(compiled.get_property("INFERENCE_NUM_THREADS")),
        requests=len(runner.queue),  # what is really kept in flight (prepare sizes it from OPTIMAL_NUMBER_OF_...)
        precision=compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name(),
    )
    optimal = int(compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
    if optimal != config.requests:
        print(f"  note: the runner keeps {config.requests} requests in flight, the compiled model suggests {optimal}")
    return config


@dataclass(frozen=True)
class Ran:
    """What Speedboard reported of one round: what a result would record as precision_used and the int8 share."""

    throughput: float
    precision_used: str
    int8_layer_share: float | None


def speedboard(spec: BenchSpec) -> tuple[Ran, bool, Path, Config]:
    """Throughput of the worker's engine (with what ran), whether it was stable, the IR it ran and the config it
    compiled to."""
    # A fresh engine each round, not one reused across rounds: a Speedboard job prepares (compiles) its engine
    # and measures it once, and every benchmark_app run compiles afresh too, so both sides pay the same price for
    # whatever a compilation decides (memory placement, thread pinning) and no round inherits another's state.
    # The IR itself comes from the cache after the first round, so this costs a compile (~0.1-1 s), not a conversion.
    prepared = openvino_engine.prepare(spec, report=lambda stage, fraction: None)
    runner = prepared.runnable
    assert isinstance(runner, openvino_engine.OpenVinoRunner)
    config = read_back(runner)
    result = measure(runner, spec.duration_s)
    ran = Ran(result.throughput, prepared.precision_used, prepared.hardware_detail.get("int8_layer_share"))
    return ran, result.stable, Path(prepared.details["ir"]), config


def benchmark_app(xml: Path, config: Config | None, precision: str, duration_s: float) -> tuple[float, Config]:
    """benchmark_app's throughput (FPS) on `xml` with `config` and `precision` as Speedboard asked it, and the
    config it reports it ran with. `config` None: benchmark_app's own defaults throughout."""
    command = [str(BENCHMARK_APP), "-m", str(xml), "-d", "CPU", "-t", str(max(1, round(duration_s)))]
    if config is not None:
        command += [
            "-b", "1",
            "-hint", "none",  # benchmark_app refuses -nstreams with a throughput hint; the explicit values decide
            "-nstreams", str(config.streams), "-nireq", str(config.requests), "-nthreads", str(config.threads),
            "-ip", "f32",  # keep the IR's f32 input, as Speedboard feeds it (by default benchmark_app makes it u8)
        ]
        if precision not in ("auto", "int8"):  # no -infer_precision: the plugin picks, as it does for Speedboard
            command += ["-infer_precision", openvino_engine.PRECISION_HINTS[precision]]
    done = subprocess.run(command, capture_output=True, text=True)
    log = done.stdout + done.stderr
    if done.returncode != 0:
        sys.exit(f"benchmark_app failed ({done.returncode}): {' '.join(command)}\n{log[-3000:]}")

    def find(pattern: str) -> str:
        match = re.search(pattern, log, re.MULTILINE)
        if match is None:
            sys.exit(f"benchmark_app's log has no match for {pattern!r}:\n{log[-3000:]}")
        return match.group(1)

    used = Config(
        streams=int(find(r"^\[ INFO \]\s+NUM_STREAMS: (\d+)")),
        threads=int(find(r"^\[ INFO \]\s+INFERENCE_NUM_THREADS: (\d+)")),
        requests=int(find(r"Start inference asynchronously, (\d+) inference requests")),
        precision=OV_TYPE_NAMES.get(name := find(r"INFERENCE_PRECISION_HINT: <Type: '(\w+)'>"), name),
    )
    return float(find(r"^\[ INFO \] Throughput:\s+([\d.]+) FPS")), used


def compare(model: str, precision: str, args: argparse.Namespace) -> tuple[str, bool, list[Ran]]:
    """Run the interleaved rounds for one model and precision, print them, and return its summary line, whether it
    met the goal and what Speedboard reported in each round."""
    info = lookup(model)
    if info is None:
        sys.exit(f"{model} is not in the timm registry snapshot")
    spec = BenchSpec(
        model=model, pretrained_tag=None, backend="cpu", engine="openvino", precision=precision,
        batch_size=1, streams=args.streams, input_size=info.input_size, duration_s=args.duration,
        cache_dir=args.cache_dir, calibration="random" if precision == "int8" else None,
    )
    ratios: list[float] = []
    rounds: list[Ran] = []
    vendor_ratios: list[float] = []
    ours: set[Config] = set()
    theirs: set[Config] = set()
    for round_no in range(1, args.rounds + 1):
        if round_no % 2:
            ran, stable, xml, config = speedboard(spec)
            b, used = benchmark_app(xml, config, precision, args.duration)
        else:  # B first in every other round, so that going first or second favours neither side
            b, used = benchmark_app(xml, config, precision, args.duration)
            ran, stable, xml, config = speedboard(spec)
        a = ran.throughput
        rounds.append(ran)
        ratios.append(a / b)
        ours.add(config)
        theirs.add(used)
        vendor = ""
        if precision in ("auto", "int8") and not args.no_vendor_defaults:
            c, own = benchmark_app(xml, None, precision, args.duration)
            vendor_ratios.append(a / c)
            vendor = f"   all-defaults {c:.1f} ({a / c:.3f}; {own})"
        print(f"{model:<24} {precision:<6} {round_no:<6} {a:<11.1f} {b:<14.1f} {a / b:.3f}"
              f"{'' if stable else '   (A unstable)'}{vendor}", flush=True)
        if used != config:
            print(f"  WARNING: configs differ  speedboard: {config}  benchmark_app: {used}", flush=True)
    median = statistics.median(ratios)
    if ours == theirs and len(ours) == 1:
        configs = f"{next(iter(ours))} (same in both)"
    else:
        configs = f"speedboard: {', '.join(map(str, ours))}; benchmark_app: {', '.join(map(str, theirs))} (DIFFER)"
    verdict = "met" if median >= GOAL else "below goal"
    vendor = (f"; vs benchmark_app's own defaults {statistics.median(vendor_ratios):.3f}" if vendor_ratios else "")
    line = f"{model} {precision}: median ratio {median:.3f} (goal >= {GOAL}: {verdict}){vendor}   {configs}"
    print(line + "\n", flush=True)
    return line, median >= GOAL, rounds


def precision_table(models: list[str], precisions: list[str], found: dict[tuple[str, str], list[Ran]]) -> None:
    """Each model's median throughput per precision, its speed-up over auto, what ran, and the int8 share."""
    print("\nthroughput by precision (median of Speedboard's rounds; speed-up over auto, the default)")
    print(f"{'model':<24} {'precision':<10} {'img/s':>9} {'vs auto':>8}  precision_used  int8 layers")
    for model in models:
        auto = statistics.median(r.throughput for r in found[(model, "auto")]) if (model, "auto") in found else None
        for precision in precisions:
            rounds = found[(model, precision)]
            median = statistics.median(r.throughput for r in rounds)
            speedup = f"{median / auto:.2f}×" if auto else "-"
            used = "/".join(sorted({r.precision_used for r in rounds}))
            shares = sorted({r.int8_layer_share for r in rounds if r.int8_layer_share is not None})
            share = "/".join(f"{s:.0%}" for s in shares) or "-"
            print(f"{model:<24} {precision:<10} {median:>9.1f} {speedup:>8}  {used:<14}  {share}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=list(MODELS))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per measurement (whole seconds)")
    parser.add_argument("--streams", type=int, default=physical_cores())
    parser.add_argument("--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS),
                        help="auto is Speedboard's default job, against benchmark_app's default precision; int8 is "
                             "the IR quantized with random calibration")
    parser.add_argument("--no-vendor-defaults", action="store_true",
                        help="skip the extra benchmark_app run with all of its own defaults (auto and int8 only)")
    parser.add_argument("--cache-dir", type=Path, default=Path("data/bench-cache"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)  # torch.jit tracing, on an IR cache miss

    native = ov.Core().get_property("CPU", "INFERENCE_PRECISION_HINT").get_type_name()
    print(f"{cpu_hardware()[0]}, OpenVINO {ov.get_version()}, {args.streams} streams requested, "
          f"{args.duration:g} s per measurement, {args.rounds} rounds (A B interleaved)")
    print(f"CPU flags: {' '.join(sorted(cpu_flags())) or 'none of ' + ' '.join(sorted(ISA_FLAGS))}; "
          f"the CPU plugin's default inference precision: {native}\n")
    print(f"{'model':<24} {'prec':<6} {'round':<6} {'speedboard':<11} {'benchmark_app':<14} ratio")
    found: dict[tuple[str, str], list[Ran]] = {}
    summaries = []
    for model in args.models:
        for precision in args.precisions:
            line, met, rounds = compare(model, precision, args)
            summaries.append((line, met))
            found[(model, precision)] = rounds
    print("summary")
    for line, _ in summaries:
        print("  " + line)
    precision_table(args.models, args.precisions, found)
    print("\ngoal met" if all(met for _, met in summaries) else "\nbelow goal")


if __name__ == "__main__":
    main()
