"""The bundled examples do what the README's first command promises."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_people_example_releases_under_open_policy(tmp_path: Path) -> None:
    env = {**os.environ, "DESENS_KEY": base64.b64encode(b"k" * 32).decode()}
    env.pop("DESENS_KEYRING", None)
    out = tmp_path / "out" / "people.csv"
    proc = subprocess.run(
        [sys.executable, "-m", "desens", "release", str(REPO / "examples" / "people.csv"),
         "--policy", "open", "-o", str(out)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    report = json.loads(out.with_name("people.csv.report.json").read_text(encoding="utf-8"))
    assert report["input"]["rows"] == 800
    assert report["residual_scan"]["passed"] is True
    assert report["k_anonymity"]["smallest_class"] >= 5
    assert report["output"]["rows"] == 800 - report["suppressed"]["k-anonymity"]
    header = out.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header == ["姓名", "身份证号", "住址", "性别", "备注"]  # phone and birth date dropped
