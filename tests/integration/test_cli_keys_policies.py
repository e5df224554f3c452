"""`desens keys new` and `desens policies list/show/check`."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from cli_support import desens

from policies import EXAMPLE, builtin_names, builtin_path


def test_keys_new_makes_a_private_ring_and_prints_only_the_id(tmp_path: Path):
    path = tmp_path / "ring.json"
    run = desens("keys", "new", path, "--id", "agency-2026")
    assert run.returncode == 0, run.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = json.loads(path.read_text(encoding="utf-8"))
    assert ring["default"] == "agency-2026"
    material = ring["keys"][0]["material"]
    assert run.stdout == f"{path}: new key ring, key id agency-2026\n"
    assert material not in run.stdout + run.stderr

    again = desens("keys", "new", path)
    assert again.returncode == 2
    assert "already exists" in again.stderr
    assert json.loads(path.read_text(encoding="utf-8"))["keys"][0]["material"] == material

    forced = desens("keys", "new", path, "--force")
    assert forced.returncode == 0
    assert json.loads(path.read_text(encoding="utf-8"))["keys"][0]["material"] != material


def test_policies_list_and_show():
    run = desens("policies", "list")
    assert run.returncode == 0, run.stderr
    rows = [line.split(None, 2) for line in run.stdout.splitlines()]
    assert [r[:2] for r in rows] == [[name, name] for name in builtin_names()]
    assert all(r[2] for r in rows)  # a description
    show = desens("policies", "show", "share")
    assert show.returncode == 0
    assert show.stdout == builtin_path("share").read_text(encoding="utf-8")


BROKEN = """\
name: broken
data_class: custom
entities:
  PERSON: {operator: mask, params: {keep_first: -1}}
"""


def test_policies_check_reports_each_file(tmp_path: Path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BROKEN, encoding="utf-8")
    good = builtin_path(EXAMPLE)
    ok = desens("policies", "check", good)
    assert (ok.returncode, ok.stdout) == (0, f"{good}: ok\n")
    run = desens("policies", "check", good, broken)
    assert run.returncode == 2
    assert run.stdout == f"{good}: ok\n"
    assert run.stderr.startswith(f"{broken}:4: entities.PERSON.params: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["policies"], "required"),
        (["keys"], "required"),
        (["release", "x.csv"], "required"),
        (["release", "x.csv", "--policy", "open", "-o", "x.csv"], "would replace x.csv"),
        (
            ["release", "x.csv", "--policy", "open", "-o", "/dev/null/out.csv"],
            "/dev/null is not a folder",
        ),
        (["keys", "new", "/nonexistent-desens-dir/k.json"], "does not exist"),
        (["release", "x.csv", "--policy", "nope", "-o", "o.csv"], "no policy 'nope'"),
        (["reidentify", "x.csv", "--policy", "share", "-o", "o.csv"], "cannot read x.csv"),
    ],
)
def test_usage_errors_exit_2(args: list[str], message: str):
    run = desens(*args)
    assert run.returncode == 2
    assert message in run.stderr


def test_no_output_replaces_the_key_ring_policy_or_report(tmp_path: Path):
    ring = tmp_path / "k.ring"
    assert desens("keys", "new", ring).returncode == 0
    ring_bytes = ring.read_bytes()
    data = tmp_path / "in.csv"
    data.write_text("编号\n1\n", encoding="utf-8")
    policy = tmp_path / "p.yaml"
    policy.write_text("name: p\ndata_class: custom\nundeclared: keep\n", encoding="utf-8")
    for out in (ring, policy):
        run = desens("release", data, "--policy", policy, "-o", out, "--format", "csv",
                     "--keyring", ring)  # fmt: skip
        assert run.returncode == 2 and f"would replace {out}" in run.stderr, run.stderr
    run = desens("release", data, "--policy", policy, "-o", tmp_path / "out.csv",
                 "--report", ring, "--keyring", ring)  # fmt: skip
    assert run.returncode == 2 and "would replace" in run.stderr
    assert ring.read_bytes() == ring_bytes
    run = desens("release", data, "--policy", policy, "-o", tmp_path / "out.csv", "--keyring", ring)
    assert run.returncode == 0, run.stderr
    report = tmp_path / "out.csv.report.json"
    before = report.read_bytes()
    for out in (report, ring):  # also with --no-report: the report beside stays
        run = desens("reidentify", tmp_path / "out.csv", "--policy", policy, "-o", out,
                     "--no-report", "--format", "csv", "--keyring", ring)  # fmt: skip
        assert run.returncode == 2 and "would replace" in run.stderr, run.stderr
    assert report.read_bytes() == before and ring.read_bytes() == ring_bytes


def test_an_explicit_report_path_can_be_written_again_but_not_over_the_span_file(tmp_path: Path):
    ring = tmp_path / "k.ring"
    assert desens("keys", "new", ring).returncode == 0
    data = tmp_path / "in.csv"
    data.write_text("编号\n1\n", encoding="utf-8")
    policy = tmp_path / "p.yaml"
    policy.write_text("name: p\ndata_class: custom\nundeclared: keep\n", encoding="utf-8")
    out, report = tmp_path / "out.csv", tmp_path / "r.json"
    base = ("release", data, "--policy", policy, "-o", out, "--keyring", ring)
    for _ in range(2):  # the report is this command's output, not an input
        run = desens(*base, "--report", report)
        assert run.returncode == 0, run.stderr
    run = desens(*base, "--report", tmp_path / "out.csv.fpe-spans.jsonl")
    assert run.returncode == 2 and "would replace" in run.stderr, run.stderr
    # The output must not be where a failed run's report would go.
    failed = tmp_path / "r.failed.json"
    run = desens("release", data, "--policy", policy, "-o", failed, "--format", "csv",
                 "--report", report, "--keyring", ring)  # fmt: skip
    assert run.returncode == 2 and "would replace" in run.stderr, run.stderr
    run = desens("reidentify", out, "--policy", policy, "-o", tmp_path / "out.csv.fpe-spans.jsonl",
                 "--report", report, "--keyring", ring)  # fmt: skip
    assert run.returncode == 2 and "would replace" in run.stderr, run.stderr
