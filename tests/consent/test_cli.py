"""`desens audit verify|checkpoint` and `desens serve --create-admin|--load-records`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from desens.cli import main
from desens.consent import ConsentSettings, ConsentStore, query
from desens.keys import KeyRing
from tests.consent.consent_support import FIELD_NAMES, build_world, record_for


@pytest.fixture
def setup(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    ring = tmp_path / "ring.json"
    KeyRing.new(ring)
    store = ConsentStore(ConsentSettings(database_url=database_url, keyring=ring))
    world = build_world(store)
    _, token = world.give(world.subjects[0])
    query(store, world.recipient, token)
    yield world, ["--database-url", database_url, "--keyring", str(ring)]
    store.close()


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_audit_verify_detects_an_edit(setup, capsys) -> None:  # type: ignore[no-untyped-def]
    world, args = setup
    assert main(["audit", "checkpoint", *args]) == 0
    assert json.loads(capsys.readouterr().out)["seq"] > 5
    assert main(["audit", "verify", *args]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] and report["checkpoints"] == 1
    with world.store.transaction() as s:
        s.execute(text("UPDATE audit_entries SET reason = 'edited' WHERE seq = 3"))
        s.execute(text("DELETE FROM audit_entries WHERE seq = 5"))
    assert main(["audit", "verify", *args]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert "entry 5: missing (next entry is 6)" in problems
    assert any(p.startswith("entry 3: content") for p in problems)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_serve_creates_an_admin_and_loads_records(setup, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    world, args = setup
    assert main(["serve", *args, "--create-admin", "second-admin"]) == 0
    out = capsys.readouterr().out
    assert "API key (shown once): dsk_" in out
    key = out.rsplit(" ", 1)[-1].strip()
    assert world.store.principal_for_key(key).role == "admin"
    rows = tmp_path / "rows.jsonl"
    rows.write_text("\n".join(json.dumps(record_for(n), ensure_ascii=False) for n in range(10, 13)))
    assert main(["serve", *args, "--load-records", world.dataset_id, str(rows)]) == 0
    assert "3 records loaded" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text(
        ",".join(FIELD_NAMES[:-1]) + "\n" + ",".join("x" * 3 for _ in FIELD_NAMES[:-1]) + "\n"
    )
    assert main(["serve", *args, "--load-records", world.dataset_id, str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv:1" in err and "xxx" not in err
    assert main(["serve", *args, "--load-records", "nope", str(rows)]) == 2
