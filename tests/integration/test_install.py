"""`pip install .` gives a working `desens` command outside the source tree."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_wheel_install_runs_outside_source_tree(tmp_path: Path) -> None:
    target = tmp_path / "site"
    # Dependencies come from the test environment; --no-build-isolation uses the
    # hatchling installed with the dev extra, so this needs no network.
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(target),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    assert (target / "bin" / "desens").exists()
    for data in ("model.npz", "lexicons.npz"):
        assert (target / "recognizers" / "person" / data).exists()
    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    sample = workdir / "in.jsonl"
    sample.write_text(
        json.dumps({"text": "联系人：司马光明，身份证号440703198503122014"}, ensure_ascii=False)
        + "\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(target), "PYTHONSAFEPATH": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import desens, recognizers; print(desens.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.strip().startswith(str(target))
    proc = subprocess.run(
        [sys.executable, str(target / "bin" / "desens"), "analyze", "--jsonl", str(sample)],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    entities = json.loads(proc.stdout)["entities"]
    # PERSON proves the model file shipped as package data.
    assert [e["entity_type"] for e in entities] == ["PERSON", "CN_RESIDENT_ID"]
