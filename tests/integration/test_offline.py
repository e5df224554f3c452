"""Analysis makes no network connection: not at import, load or analysis time."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# An audit hook sees every socket operation Python makes, including those of
# libraries (tldextract, spaCy, jieba) that would connect on our behalf. Only
# operations that reach out count: urllib3 binds a socket to ::1 at import to
# probe IPv6 support, which sends nothing.
SCRIPT = textwrap.dedent(
    """
    import sys
    events = []
    OUTWARD = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
               "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request"}
    def hook(event, args):
        if event in OUTWARD:
            events.append(event)
            raise OSError("network access attempted: " + event)
    sys.addaudithook(hook)
    import desens
    from desens.cli import main
    analyzer = desens.build_analyzer()
    text = open(sys.argv[1], encoding="utf-8").read()
    found = analyzer.analyze_batch(text.splitlines())
    found += [analyzer.analyze(line) for line in text.splitlines()]
    status = main(["analyze", "--jsonl", sys.argv[2], "-o", sys.argv[3]])
    assert status == 0, status
    print(len(events), sum(len(f) for f in found))
    """
)


def test_analysis_opens_no_socket(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            SCRIPT,
            str(REPO / "examples" / "records.txt"),
            str(REPO / "examples" / "records.jsonl"),
            str(tmp_path / "out.jsonl"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    events, found = map(int, proc.stdout.split())
    assert events == 0
    assert found > 20  # the run really analyzed the examples
