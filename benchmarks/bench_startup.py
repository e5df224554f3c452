"""Start-up cost of desens: what every `desens analyze` run pays before its first record.

Each round runs, in fresh processes: (a) the import of ``desens.analyzer``,
``build_analyzer()`` with every entity, and the first ``analyze_batch`` call on
one line, each timed; (b) ``desens analyze`` on a one-line file, end to end
(its wall-clock time and the CPU time of the child). Prints one JSON object
with every round's figures (milliseconds, wall and CPU) and a human line with
the medians on stderr. CPU times move less than wall-clock on a shared machine.

    python -m benchmarks.bench_startup --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

LINE = "联系人：张伟，电话13800138000，身份证号440703198503122014"

# Run in a fresh interpreter: the phases it prints are what a new process pays.
_PHASES = """
import json, time
W, C = time.perf_counter, time.process_time
marks = [(W(), C())]
from desens.analyzer import build_analyzer
marks.append((W(), C()))
analyzer = build_analyzer()
marks.append((W(), C()))
analyzer.analyze_batch([LINE])
marks.append((W(), C()))
names = ("import", "build_analyzer", "first_call")
print(json.dumps({
    n: [round((b[0] - a[0]) * 1000, 1), round((b[1] - a[1]) * 1000, 1)]
    for n, a, b in zip(names, marks, marks[1:])
}))
"""


def phases() -> dict[str, list[float]]:
    """Import, build and first-call times of one fresh process, ``[wall_ms, cpu_ms]`` each."""
    code = f"LINE = {LINE!r}\n{_PHASES}"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    result: dict[str, list[float]] = json.loads(out.stdout)
    return result


def cli_one_line(path: Path) -> list[float]:
    """``[wall_ms, cpu_ms]`` of ``desens analyze PATH`` in a fresh process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "desens", "analyze", str(path)],
        capture_output=True,
        check=True,
        timeout=300,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return [round(wall * 1000, 1), round(cpu * 1000, 1)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    rounds: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one.txt"
        one.write_text(LINE + "\n", encoding="utf-8")
        for _ in range(args.rounds):
            rounds.append({**phases(), "cli_one_line": cli_one_line(one)})
    keys = ("import", "build_analyzer", "first_call", "cli_one_line")
    median = {k: [statistics.median(r[k][i] for r in rounds) for i in (0, 1)] for k in keys}
    result = {
        "benchmark": "startup",
        "unit": "ms, [wall, cpu]",
        "median": median,
        "rounds": rounds,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print(
        "median wall/CPU ms: "
        + ", ".join(f"{k} {median[k][0]:.0f}/{median[k][1]:.0f}" for k in keys),
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
