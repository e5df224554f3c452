"""Throughput of `desens release` on a large generated people table.

Generates a CSV (benchmarks/release_data.py: name, ID, mobile, address, birth
date, sex, a ~50-character remark; 1,000,000 rows by default) and releases it
with (a) every column declared (benchmarks/policies/declared.yaml) and (b) the
remark scanned by the analyzer (benchmarks/policies/scanned.yaml), each with
one and with two workers. Each run is its own process, so its peak RSS is its
own. Prints one JSON object (rows/s per core, CPU seconds, peak RSS, the
speed-up of two workers and their CPU seconds over one worker's, the load
average around the runs) and a human line on stderr.

The speed-up of two workers is bounded by what the machine gives two busy
processes (two virtual cores may share a physical one, or its caches and
memory bandwidth). So each table is also released as two independent
one-worker runs at once, on half the rows each: their speed-up over one
worker on all the rows is the ceiling, from the same run.

Runs come in ``--rounds`` rounds (default 3): one and two workers, in
alternating order, then the halves. The figures are medians (the lower of
the middle two for an even count), with every round's listed: a single pair
of runs on a shared two-core machine moved the speed-up by +-0.05 from one
run to the next.

With ``--baseline TREE`` (another checkout of desens, for example
``git archive main | tar -x -C /tmp/base``) every run is also made with that
tree, interleaved with the current one, and the ratios are reported: on a
shared machine only figures from the same run compare.

    python -m benchmarks.bench_release --rows 1000000
    python -m benchmarks.bench_release --rows 200000 --scan-rows 60000 --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from benchmarks.release_data import write_csv

HERE = Path(__file__).resolve().parent

RUN_ONE = """
import sys, time, json, resource
sys.path.insert(0, sys.argv[5])
from pathlib import Path
from desens.keys import KeyRing
from desens.policy import read_policy
from desens.release import ReleaseOptions, release
start = time.perf_counter()
began = time.time()
cpu = time.process_time()
report = release(ReleaseOptions(
    input=Path(sys.argv[1]), output=Path(sys.argv[2]), policy=read_policy(sys.argv[3]),
    keys=KeyRing.generate(), workers=int(sys.argv[4]),
))
seconds = time.perf_counter() - start
children = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = time.process_time() - cpu + children.ru_utime + children.ru_stime
own = resource.getrusage(resource.RUSAGE_SELF)
cpu_total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime  # with imports
rss_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({
    "seconds": seconds, "began": began, "ended": time.time(),
    "cpu": cpu, "cpu_total": cpu_total, "rows": report.input["rows"],
    "peak_rss_kb": rss_kb,
    "rows_out": report.output["rows"], "residual_passed": report.residual_scan["passed"],
}))
"""


def _busy_seconds() -> float | None:
    """CPU seconds all processes on the machine have used so far (Linux), else None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(f) for f in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _command(data: Path, policy: str, workers: int, out: Path, tree: Path) -> list[str]:
    return [sys.executable, "-c", RUN_ONE, str(data), str(out),
            str(HERE / "policies" / policy), str(workers), str(tree)]  # fmt: skip


def run(data: Path, policy: str, workers: int, out_dir: Path, tree: Path) -> dict[str, Any]:
    """Release ``data`` with the code in ``tree``, in a fresh process; time, rows/s, peak RSS."""
    busy = _busy_seconds()
    proc = subprocess.run(
        _command(data, policy, workers, out_dir / "out.csv", tree),
        capture_output=True, text=True, check=True, cwd=tree,
    )  # fmt: skip
    result = json.loads(proc.stdout)
    # What other processes used meanwhile: near 0, the run had the machine to itself.
    after = _busy_seconds()
    others = None if busy is None or after is None else after - busy - result["cpu_total"]
    return {
        "workers": workers,
        "seconds": round(result["seconds"], 2),
        "cpu_seconds": round(result["cpu"], 2),  # this process and its workers
        "rows_per_s": round(result["rows"] / result["seconds"]),
        "rows_per_s_per_core": round(result["rows"] / result["seconds"] / workers),
        "peak_rss_mb": round(result["peak_rss_kb"] / 1024, 1),  # largest process of the run
        "residual_scan_passed": result["residual_passed"],
        "others_cpu_seconds": None if others is None else round(max(others, 0.0), 2),
    }


def run_halves(halves: Sequence[Path], policy: str, out_dir: Path, tree: Path) -> dict[str, Any]:
    """Two independent one-worker releases at once, each of half the rows.

    They share nothing but the machine, so their speed-up over one worker on
    the whole input is what this machine allows two processes: the ceiling
    for ``--workers 2``, measured in the same run.
    """
    procs = [
        subprocess.Popen(
            _command(half, policy, 1, out_dir / f"half-{n}.csv", tree),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=tree,
        )
        for n, half in enumerate(halves)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode:
            raise subprocess.CalledProcessError(proc.returncode, proc.args, out, err)
        results.append(json.loads(out))
    # From the first release starting to the last one ending (imports excluded, as above).
    seconds = max(r["ended"] for r in results) - min(r["began"] for r in results)
    return {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(sum(r["cpu"] for r in results), 2),
        "rows_per_s": round(sum(r["rows"] for r in results) / seconds),
    }


def split_rows(data: Path, out_dir: Path) -> list[Path]:
    """``data`` (a CSV with a header) as two files of half its records each."""
    with data.open("rb") as src:
        middle = (sum(1 for _ in src) - 1) // 2
    halves = [out_dir / f"{data.stem}-1.csv", out_dir / f"{data.stem}-2.csv"]
    with data.open("rb") as src, halves[0].open("wb") as first, halves[1].open("wb") as second:
        header = src.readline()
        first.write(header)
        second.write(header)
        first.writelines(islice(src, middle))
        second.writelines(src)
    return halves


def runs(
    data: Path, policy: str, out_dir: Path, trees: dict[str, Path], rounds: int
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """One and two workers with each tree, and the halves (the ceiling), ``rounds`` times.

    Within a round the runs follow each other (one and two workers in
    alternating order), so a round's speed-up and ceiling are measured
    minutes apart at most. Returns per tree the one-worker and the
    two-worker figures, and the halves' figures: each the run of median
    seconds (the lower one of the middle two for an even number of rounds),
    with the seconds of every round.
    """
    done: dict[str, dict[int, list[dict[str, Any]]]] = {n: {1: [], 2: []} for n in trees}
    halves = split_rows(data, out_dir)
    tries = []
    for r in range(rounds):
        for workers in (1, 2) if r % 2 == 0 else (2, 1):
            for name, tree in trees.items():
                done[name][workers].append(run(data, policy, workers, out_dir, tree))
        tries.append(run_halves(halves, policy, out_dir, trees["current"]))
    measured = {name: [_median_run(by[w]) for w in (1, 2)] for name, by in done.items()}
    return measured, _median_run(tries)


def _median_run(results: list[dict[str, Any]]) -> dict[str, Any]:
    middle = statistics.median_low(r["seconds"] for r in results)
    chosen = next(r for r in results if r["seconds"] == middle)
    return {**chosen, "rounds_seconds": [r["seconds"] for r in results]}


def speedup(pair: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and per-round speed-up of two workers over one, rounds paired in order."""
    ratios = [a / b for a, b in zip(*(p["rounds_seconds"] for p in pair), strict=True)]
    median = statistics.median_low(ratios)
    return {"median": round(median, 2), "rounds": [round(x, 2) for x in ratios]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scan-rows", type=int, default=None, help="rows for (b); default --rows")
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the CSV here")
    parser.add_argument("--baseline", type=Path, default=None, help="a tree to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="runs of each kind; medians")
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    trees = {"current": HERE.parent}
    if args.baseline is not None:
        trees["baseline"] = args.baseline.resolve()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        data = args.keep or out_dir / "people.csv"
        if not data.exists():
            t = time.perf_counter()
            write_csv(data, args.rows)
            print(
                f"generated {args.rows:,} rows in {time.perf_counter() - t:.0f}s", file=sys.stderr
            )
        scan_data = data
        if args.scan_rows and args.scan_rows < args.rows:
            scan_data = out_dir / "people-scan.csv"
            with data.open("rb") as src, scan_data.open("wb") as dst:
                for i, line in enumerate(src):
                    if i > args.scan_rows:
                        break
                    dst.write(line)
        both, ceiling = {}, {}
        for name, path, policy in (
            ("a_declared", data, "declared.yaml"),
            ("b_scanned", scan_data, "scanned.yaml"),
        ):
            both[name], ceiling[name] = runs(path, policy, out_dir, trees, args.rounds)
    measured = {k: v["current"] for k, v in both.items()}
    speedups = {k: speedup(v) for k, v in measured.items()}
    result: dict[str, Any] = {
        "benchmark": "release",
        "rows": args.rows,
        "scan_rows": args.scan_rows or args.rows,
        "input_mb": round(data.stat().st_size / 1e6, 1) if args.keep else None,
        **measured,
        "rounds": args.rounds,
        "speedup_workers_2": {k: v["median"] for k, v in speedups.items()},
        "speedup_workers_2_rounds": {k: v["rounds"] for k, v in speedups.items()},
        # Two independent processes, each releasing half the rows at the same
        # time: what this machine allows two processes, the ceiling for the above.
        "two_processes_halves": ceiling,
        "speedup_two_processes_ceiling": {
            k: round(measured[k][0]["seconds"] / v["seconds"], 2) for k, v in ceiling.items()
        },
        # CPU seconds of two workers over one: the work parallelism adds. Unlike
        # the speed-up it hardly depends on what else the machine runs.
        "cpu_workers_2_over_1": {
            k: round(v[1]["cpu_seconds"] / v[0]["cpu_seconds"], 2) for k, v in measured.items()
        },
        "targets": {
            "a_rows_per_s_per_core": 100_000,
            "b_rows_per_s_per_core": 10_000,
            "speedup_workers_2": 1.8,
        },
        "machine": {
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "load_avg_1m_before_after": [round(load_before[0], 2), round(os.getloadavg()[0], 2)],
        },
    }
    if args.baseline is not None:
        base = {k: v["baseline"] for k, v in both.items()}
        base_speedups = {k: speedup(v) for k, v in base.items()}
        result["baseline"] = {
            "tree": str(args.baseline),
            **base,
            "speedup_workers_2": {k: v["median"] for k, v in base_speedups.items()},
            "speedup_workers_2_rounds": {k: v["rounds"] for k, v in base_speedups.items()},
            "cpu_workers_2_over_1": {
                k: round(v[1]["cpu_seconds"] / v[0]["cpu_seconds"], 2) for k, v in base.items()
            },
            "current_over_baseline_1_worker": {
                k: round(v[0]["seconds"] / measured[k][0]["seconds"], 2) for k, v in base.items()
            },
        }
    print(json.dumps(result, ensure_ascii=False))
    a, b = measured["a_declared"][0], measured["b_scanned"][0]
    print(
        f"(a) {a['rows_per_s_per_core']:,} rows/s/core, "
        f"(b) {b['rows_per_s_per_core']:,} rows/s/core, "
        f"speed-up x2 (median of {args.rounds}): {result['speedup_workers_2']}, "
        f"rounds: {result['speedup_workers_2_rounds']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
