"""Peak memory of `desens analyze --jsonl` and `desens release` as the input grows.

``analyze`` (the default) streams generated JSONL records into the CLI's
stdin through a pipe (nothing touches the disk). ``--command release``
writes a CSV of the people table of benchmarks/release_data.py (1,000,000
generated rows, repeated up to the size asked for) and releases it through
the CLI with a policy of benchmarks/policies/. Each reads the peak RSS of the
command's largest process (with ``--workers 2``: the main process or a
worker) for a small input first, the baseline, then for the large one; flat
memory means the two peaks are close.

    python -m benchmarks.bench_memory --mb 1024 --entities PHONE_NUMBER,EMAIL_ADDRESS
    python -m benchmarks.bench_memory --command release --mb 10240 --workers 2

All entities work too, but at ~1-2 MB/s a 1 GB analyze run then takes ~10-15
minutes; the entity list only changes speed, not how records are buffered.
A 10 GB release needs about 16 GB free in the temporary folder (input and
output).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from itertools import cycle
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate_records
from benchmarks.release_data import write_csv

POLICIES = Path(__file__).resolve().parent / "policies"
#: Rows of the generated people table; larger inputs repeat them.
TABLE_ROWS = 1_000_000


def run_cli(mb: float, entities: str | None, workers: int) -> dict[str, float]:
    """Feed ``mb`` megabytes of JSONL to the CLI; return its peak RSS and time."""
    records = [
        (json.dumps({"text": r["text"]}, ensure_ascii=False) + "\n").encode()
        for r in generate_records(2000, seed=3)
    ]
    cmd = [sys.executable, "-m", "desens", "analyze", "--jsonl", "--workers", str(workers)]
    if entities:
        cmd += ["--entities", entities]
    proc = _measured(cmd, stdin=subprocess.PIPE)
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
    return _figures(out, sent, time.perf_counter() - start, "analyze")


def table_of_size(path: Path, mb: float, table: Path, rows: int = TABLE_ROWS) -> int:
    """Write at least ``mb`` megabytes of the people table to ``path``; return its size.

    ``table`` is the generated table of ``rows`` rows (written on first use);
    its rows are repeated as often as needed.
    """
    if not table.exists():
        write_csv(table, rows)
    limit = int(mb * 1e6)
    with table.open("rb") as src, path.open("wb") as dst:
        dst.write(src.readline())  # the header, once
        body = src.tell()
        body_size = table.stat().st_size - body
        while dst.tell() + body_size <= limit:
            src.seek(body)
            shutil.copyfileobj(src, dst, 1 << 20)
        src.seek(body)
        while dst.tell() < limit:  # less than one table is left: no end of file here
            dst.write(src.readline())
        return dst.tell()


def run_release(
    mb: float, policy: str, workers: int, tmp: Path, table_rows: int = TABLE_ROWS
) -> dict[str, float]:
    """Release ``mb`` megabytes of the people table with ``policy``; its peak RSS and time."""
    data = tmp / "people.csv"
    size = table_of_size(data, mb, tmp / "table.csv", table_rows)
    ring = tmp / "bench.keyring"
    if not ring.exists():
        subprocess.run(
            [sys.executable, "-m", "desens", "keys", "new", str(ring)],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
    out = tmp / "out.csv"
    cmd = [
        sys.executable, "-m", "desens", "release", str(data),
        "--policy", str(POLICIES / f"{policy}.yaml"), "-o", str(out),
        "--keyring", str(ring), "--workers", str(workers),
    ]  # fmt: skip
    start = time.perf_counter()
    output, _ = _measured(cmd).communicate()
    seconds = time.perf_counter() - start
    data.unlink()
    out.unlink(missing_ok=True)
    return _figures(output, size, seconds, "release")


def _measured(cmd: list[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``cmd`` under a fresh helper process that prints its peak RSS and exit status.

    The helper's RUSAGE_CHILDREN then covers this run alone: the largest of
    ``cmd``'s process and the processes it waited for.
    """
    code = (
        "import resource, subprocess, sys\n"
        f"p = subprocess.run({cmd!r}, stdout=subprocess.DEVNULL)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(r.ru_maxrss, p.returncode)\n"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, **popen)


def _figures(out: bytes, size: int, seconds: float, command: str) -> dict[str, float]:
    peak_kb, status = map(int, out.split())
    if status != 0:
        raise SystemExit(f"desens {command} exited with {status}")
    return {
        "input_mb": round(size / 1e6, 1),
        "peak_rss_mb": round(peak_kb / 1024, 1),
        "seconds": round(seconds, 1),
        "mb_per_s": round(size / 1e6 / seconds, 2),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--command", choices=("analyze", "release"), default="analyze")
    parser.add_argument("--mb", type=float, default=1024, help="size of the large input")
    parser.add_argument("--baseline-mb", type=float, default=5)
    parser.add_argument("--entities", default="PHONE_NUMBER,EMAIL_ADDRESS", help="analyze")
    parser.add_argument("--policy", choices=("declared", "scanned"), default="declared",
                        help="release: benchmarks/policies/NAME.yaml")  # fmt: skip
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args(argv)
    if args.command == "analyze":
        small = run_cli(args.baseline_mb, args.entities or None, args.workers)
        large = run_cli(args.mb, args.entities or None, args.workers)
        what: dict[str, str] = {"entities": args.entities or "all"}
    else:
        with tempfile.TemporaryDirectory() as tmp:
            small = run_release(args.baseline_mb, args.policy, args.workers, Path(tmp))
            large = run_release(args.mb, args.policy, args.workers, Path(tmp))
        what = {"policy": f"benchmarks/policies/{args.policy}.yaml"}
    result = {
        "benchmark": "memory",
        "command": args.command,
        **what,
        "workers": args.workers,
        "baseline": small,
        "large": large,
        "rss_growth_mb": round(large["peak_rss_mb"] - small["peak_rss_mb"], 1),
        "cores": os.cpu_count(),
    }
    print(json.dumps(result))
    print(
        f"{args.command}: peak RSS {small['peak_rss_mb']} MB at {small['input_mb']} MB input, "
        f"{large['peak_rss_mb']} MB at {large['input_mb']} MB input",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
