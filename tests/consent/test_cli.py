"""`desens audit verify|checkpoint` and `desens serve --migrate|--create-admin|--load-records`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from desens.cli import main
from desens.consent import ConsentSettings, ConsentStore, query
from desens.consent import db as db_module
from desens.keys import KeyRing
from tests.consent.consent_support import (
    FIELD_NAMES,
    build_world,
    record_for,
    snapshot_held,
    unseal_all,
)


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


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
def test_serve_migrate_seals_records_and_says_when_the_rewrite_is_still_owed(  # type: ignore[no-untyped-def]
    setup, capsys, monkeypatch
) -> None:
    world, args = setup
    monkeypatch.setattr(db_module, "RECLAIM_WAIT_SECONDS", 1)
    assert main(["serve", *args, "--migrate"]) == 0
    assert "database migrated; 0 records sealed" in capsys.readouterr().err
    unseal_all(world.store)
    with snapshot_held(world.store):
        assert main(["serve", *args, "--migrate"]) == 1
    err = capsys.readouterr().err
    assert "4 records sealed" in err and "still has to be rewritten" in err
    assert main(["serve", *args, "--migrate"]) == 0
    assert "0 records sealed" in capsys.readouterr().err
    assert world.store.owed() == (0, False)


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
    assert "bad.csv:2" in err and "xxx" not in err  # line 2: the header is line 1
    assert main(["serve", *args, "--load-records", "nope", str(rows)]) == 2


def _csv_line(values: list[str]) -> str:
    return ",".join(values) + "\n"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_load_records_errors_never_quote_a_record(setup, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    world, args = setup
    first, second = record_for(20), record_for(21)

    def load(name: str, text: str) -> str:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert main(["serve", *args, "--load-records", world.dataset_id, str(path)]) == 1
        err = capsys.readouterr().err
        leaked = [v for rec in (first, second) for v in rec.values() if v in err]
        assert leaked == [], err
        return err

    # Headerless: DictReader takes the first record's values for the field names.
    err = load("headerless.csv", _csv_line(list(first.values())) + _csv_line(list(second.values())))
    assert "headerless.csv:2: fields do not match the dataset" in err
    assert f"missing {FIELD_NAMES}" in err and "6 unexpected keys" in err
    header = _csv_line(FIELD_NAMES)
    err = load("short.csv", header + _csv_line(list(first.values())[:-1]))
    assert "short.csv:2: the row has fewer cells than the header" in err
    err = load("long.csv", header + _csv_line([*first.values(), "x", "y"]))
    assert "long.csv:2: the row has more cells than the header" in err
    # Line numbers are the file's: a quoted newline makes record 2 span lines 3-4.
    spanning = dict(second, 住址='"广东省江门市\n蓬江区"')
    err = load(
        "lines.csv",
        header
        + _csv_line(list(first.values()))
        + _csv_line(list(spanning.values()))
        + _csv_line(list(first.values())[:-1]),
    )
    assert "lines.csv:5: the row has fewer cells" in err
    with world.store.reading() as s:
        assert s.scalar(text("SELECT count(*) FROM records")) == len(world.records)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("command", [["serve", "--create-admin", "x"], ["audit", "verify"]])
@pytest.mark.parametrize(
    ("env", "url", "named"),
    [
        pytest.param({"DESENS_PORT": "p0rt-417x"}, None, "DESENS_PORT", id="bad-port"),
        pytest.param(
            {"DESENS_POOL_SIZE": "pool-417x"}, None, "DESENS_POOL_SIZE", id="bad-pool-size"
        ),
        pytest.param({}, "nonsense-417x", "DESENS_DATABASE_URL", id="bad-url"),
        pytest.param(
            {},
            "postgresql+psycopg://u417x:pw417x@127.0.0.1:1/db417x?connect_timeout=2",
            "DESENS_DATABASE_URL",
            id="unreachable",
        ),
    ],
)
def test_bad_settings_are_named_never_echoed(  # type: ignore[no-untyped-def]
    setup, monkeypatch, capsys, command, env, url, named
) -> None:
    _world, args = setup
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    if url is not None:
        args = [args[0], url, *args[2:]]
    assert main([*command, *args]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("desens: error: ") and named in captured.err
    assert "417x" not in captured.err + captured.out
    assert "Traceback" not in captured.err
