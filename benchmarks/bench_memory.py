"""Peak memory of `desens analyze --jsonl` as the input grows.

Streams generated JSONL records into the CLI's stdin through a pipe (nothing
touches the disk) and reads the child's peak RSS. Runs a small input first as
the baseline, then the large one; flat memory means the two peaks are close.

    python -m benchmarks.bench_memory --mb 1024 --entities PHONE_NUMBER,EMAIL_ADDRESS

All entities work too, but at ~1-2 MB/s a 1 GB run then takes ~10-15 minutes;
the entity list only changes speed, not how records are buffered.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from itertools import cycle

from benchmarks.corpus import generate_records


def run_cli(mb: float, entities: str | None, workers: int) -> dict[str, float]:
    """Feed ``mb`` megabytes of JSONL to the CLI; return its peak RSS and time."""
    records = [
        (json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n").encode()
        for r in generate_records(2000, seed=3)
    ]
    cmd = [sys.executable, "-m", "desens", "analyze", "--jsonl", "--workers", str(workers)]
    if entities:
        cmd += ["--entities", entities]
    # A fresh helper process per run, so RUSAGE_CHILDREN is this run's alone.
    code = (
        "import resource, subprocess, sys\n"
        f"p = subprocess.run({cmd!r}, stdout=subprocess.DEVNULL)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(r.ru_maxrss, p.returncode)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    limit = int(mb * 1e6)
    sent = 0

    def feed() -> None:
        nonlocal sent
        assert proc.stdin is not None
        for line in cycle(records):
            if sent >= limit:
                break
            proc.stdin.write(line)
            sent += len(line)
        proc.stdin.close()

    start = time.perf_counter()
    feeder = threading.Thread(target=feed)
    feeder.start()
    feeder.join()  # the feeder closes stdin; communicate() would close it under the feeder
    assert proc.stdout is not None
    with proc.stdout:
        out = proc.stdout.read()
    proc.wait()
    seconds = time.perf_counter() - start
    peak_kb, status = map(int, out.split())
    if status != 0:
        raise SystemExit(f"desens analyze exited with {status}")
    return {
        "input_mb": round(sent / 1e6, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "seconds": round(seconds, 1),
        "mb_per_s": round(sent / 1e6 / seconds, 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=1024, help="size of the large input")
    parser.add_argument("--baseline-mb", type=float, default=5)
    parser.add_argument("--entities", default="PHONE_NUMBER,EMAIL_ADDRESS")
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    small = run_cli(args.baseline_mb, args.entities or None, args.workers)
    large = run_cli(args.mb, args.entities or None, args.workers)
    result = {
        "benchmark": "memory",
        "entities": args.entities or "all",
        "workers": args.workers,
        "baseline": small,
        "large": large,
        "rss_growth_mb": round(large["peak_rss_mb"] - small["peak_rss_mb"], 1),
        "cores": os.cpu_count(),
    }
    print(json.dumps(result))
    print(
        f"peak RSS {small['peak_rss_mb']} MB at {small['input_mb']} MB input, "
        f"{large['peak_rss_mb']} MB at {large['input_mb']} MB input",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
