"""Throughput of `desens release` on a large generated people table.

Generates a CSV (benchmarks/release_data.py: name, ID, mobile, address, birth
date, sex, a ~50-character remark; 1,000,000 rows by default) and releases it
with (a) every column declared (benchmarks/policies/declared.yaml) and (b) the
remark scanned by the analyzer (benchmarks/policies/scanned.yaml), each with
one and with two workers. Each run is its own process, so its peak RSS is its
own. Prints one JSON object (rows/s per core, peak RSS, the speed-up of two
workers) and a human line on stderr.

    python -m benchmarks.bench_release --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.release_data import write_csv

HERE = Path(__file__).resolve().parent

RUN_ONE = """
import sys, time, json, resource
from pathlib import Path
from desens.keys import KeyRing
from desens.policy import read_policy
from desens.release import ReleaseOptions, release
start = time.perf_counter()
report = release(ReleaseOptions(
    input=Path(sys.argv[1]), output=Path(sys.argv[2]), policy=read_policy(sys.argv[3]),
    keys=KeyRing.generate(), workers=int(sys.argv[4]),
))
seconds = time.perf_counter() - start
rss_kb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({
    "seconds": seconds, "rows": report.input["rows"], "peak_rss_kb": rss_kb,
    "rows_out": report.output["rows"], "residual_passed": report.residual_scan["passed"],
}))
"""


def run(data: Path, policy: str, workers: int, out_dir: Path) -> dict[str, float]:
    """Release ``data`` in a fresh process; its time, rows/s and peak RSS."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN_ONE, str(data), str(out_dir / "out.csv"),
         str(HERE / "policies" / policy), str(workers)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result = json.loads(proc.stdout)
    return {
        "workers": workers,
        "seconds": round(result["seconds"], 2),
        "rows_per_s": round(result["rows"] / result["seconds"]),
        "rows_per_s_per_core": round(result["rows"] / result["seconds"] / workers),
        "peak_rss_mb": round(result["peak_rss_kb"] / 1024, 1),  # largest process of the run
        "residual_scan_passed": result["residual_passed"],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--scan-rows", type=int, default=None, help="rows for (b); default --rows")
    parser.add_argument("--keep", type=Path, default=None, help="reuse/keep the CSV here")
    args = parser.parse_args(argv)
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
        runs = {
            "a_declared": [run(data, "declared.yaml", w, out_dir) for w in (1, 2)],
            "b_scanned": [run(scan_data, "scanned.yaml", w, out_dir) for w in (1, 2)],
        }
    result = {
        "benchmark": "release",
        "rows": args.rows,
        "scan_rows": args.scan_rows or args.rows,
        "input_mb": round(data.stat().st_size / 1e6, 1) if args.keep else None,
        **runs,
        "speedup_workers_2": {
            k: round(v[0]["seconds"] / v[1]["seconds"], 2) for k, v in runs.items()
        },
        "targets": {
            "a_rows_per_s_per_core": 100_000,
            "b_rows_per_s_per_core": 10_000,
            "speedup_workers_2": 1.8,
        },
        "machine": {"python": platform.python_version(), "cores": os.cpu_count()},
    }
    print(json.dumps(result, ensure_ascii=False))
    a, b = runs["a_declared"][0], runs["b_scanned"][0]
    print(
        f"(a) {a['rows_per_s_per_core']:,} rows/s/core, "
        f"(b) {b['rows_per_s_per_core']:,} rows/s/core, "
        f"speed-up x2: {result['speedup_workers_2']}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
