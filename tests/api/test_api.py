"""The consent API end to end (TestClient), on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from desens.consent import ConsentStore
from desens.consent.audit import verify_chain
from desens.consent.crypto import new_secret, verify_signature
from tests.api.api_support import as_, client_for, consent_body
from tests.consent.consent_support import (
    FIELDS,
    World,
    build_world,
    phone,
    record_for,
    resident_id,
    uscc,
)

DENIED = {"error": "access_denied", "message": "access denied"}


@pytest.fixture
def client(world: World) -> TestClient:
    return client_for(world.store)


def give(client: TestClient, world: World, subject: str, **kw) -> dict:  # type: ignore[no-untyped-def]
    r = client.post(
        "/portal/consents", json=consent_body(world, subject, **kw), headers=as_(world, "portal")
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_full_flow_from_registration_to_history(store: ConsentStore) -> None:
    world = build_world(store, n_subjects=0)
    client = client_for(store)
    admin = as_(world, "admin")
    r = client.post(
        "/admin/principals",
        json={"role": "department", "name": "江门市人社局", "uscc": uscc(11), "contact": "信息科"},
        headers=admin,
    )
    assert r.status_code == 201, r.text
    dept = {"X-API-Key": r.json()["api_key"]}
    assert r.json()["api_key"].startswith("dsk_")
    r = client.post(
        "/department/datasets",
        json={
            "name": "社保参保",
            "fields": [f.model_dump() for f in FIELDS],
            "subject_key": "身份证号",
            "policy": "open",
        },
        headers=dept,
    )
    assert r.status_code == 201, r.text
    dataset_id = r.json()["id"]
    r = client.post(
        f"/department/datasets/{dataset_id}/records",
        json={"records": [record_for(n) for n in range(3)]},
        headers=dept,
    )
    assert r.json() == {"added": 3}
    subject = resident_id(1)
    created = give(client, world, subject, dataset_id=dataset_id)
    consent, token = created["consent"], created["token"]
    assert token.startswith("cgt_") and consent["status"] == "active"
    assert [e["event"] for e in consent["events"]] == ["given"]
    receipt = created["receipt"]
    payload = json.dumps(
        receipt["payload"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
    )
    assert verify_signature(receipt["public_key"], receipt["signature"], payload.encode())
    assert subject not in json.dumps(receipt, ensure_ascii=False)

    rec = as_(world, "recipient")
    r = client.post("/access/query", json={"token": token}, headers=rec)
    assert r.status_code == 200, r.text
    assert r.json()["records"][0]["手机号"] == phone(1)
    assert r.json()["records"][0]["收入"] == ""
    history = client.post(
        "/portal/subjects/access-history",
        json={"subject_id": subject},
        headers=as_(world, "portal"),
    ).json()
    assert [(h["recipient_name"], h["decision"], h["purpose"]) for h in history] == [
        ("江门农商银行", "granted", "核验申请人联系方式")
    ]
    log = client.get("/department/access-log", headers=dept).json()
    assert [h["fields_released"] for h in log] == [["姓名", "手机号"]]
    assert client.get("/department/access-log", headers=as_(world, "department")).json() == []

    r = client.post(
        f"/portal/consents/{consent['id']}/withdraw",
        json={"subject_id": subject},
        headers=as_(world, "portal"),
    )
    assert r.json()["status"] == "withdrawn"
    r = client.post("/access/query", json={"token": token}, headers=rec)
    assert (r.status_code, r.json()) == (403, DENIED)
    r = client.post(
        f"/portal/consents/{consent['id']}/view",
        json={"subject_id": subject},
        headers=as_(world, "portal"),
    )
    assert [e["event"] for e in r.json()["events"]] == ["given", "used", "withdrawn"]
    assert r.json()["subject_id"] == subject
    report = client.get("/admin/audit/verify", headers=admin).json()
    assert report["ok"] and report["entries"] > 5


def test_every_denial_looks_the_same(client: TestClient, world: World) -> None:
    live = give(client, world, world.subjects[0])["token"]
    withdrawn = give(client, world, world.subjects[1])
    client.post(
        f"/portal/consents/{withdrawn['consent']['id']}/withdraw",
        json={"subject_id": world.subjects[1]},
        headers=as_(world, "portal"),
    )
    exhausted = give(client, world, world.subjects[2], max_uses=1)["token"]
    client.post("/access/query", json={"token": exhausted}, headers=as_(world, "recipient"))
    nobody = give(client, world, resident_id(500))["token"]
    cases = [
        ("recipient", {"token": new_secret("cgt_")}),
        ("recipient", {"token": "not-a-token"}),
        ("other", {"token": live}),
        ("recipient", {"token": withdrawn["token"]}),
        ("recipient", {"token": exhausted}),
        ("recipient", {"token": nobody}),
    ]
    for who, body in cases:
        r = client.post("/access/query", json=body, headers=as_(world, who))
        assert (r.status_code, r.content) == (
            403,
            json.dumps(DENIED, separators=(",", ":")).encode(),
        )
        assert set(r.headers) == {"content-length", "content-type"}


def test_a_verify_consent_past_its_mismatches_is_refused_like_any_other(  # type: ignore[no-untyped-def]
    client: TestClient, world: World, monkeypatch
) -> None:
    monkeypatch.setattr(world.store.settings, "verify_max_mismatches", 2)
    subject = world.subjects[1]
    given = give(client, world, subject, mode="verify", items=[{"field": "手机号"}])

    def check(value: str) -> tuple[int, bytes]:
        r = client.post(
            "/access/verify",
            json={"token": given["token"], "field": "手机号", "value": value},
            headers=as_(world, "recipient"),
        )
        return r.status_code, r.content

    assert [check(phone(n)) for n in (7, 1, 8)] == [
        (200, b'{"match":false}'), (200, b'{"match":true}'), (200, b'{"match":false}')
    ]  # fmt: skip
    assert check(phone(1)) == (403, json.dumps(DENIED, separators=(",", ":")).encode())
    r = client.post(
        f"/portal/consents/{given['consent']['id']}/view",
        json={"subject_id": subject},
        headers=as_(world, "portal"),
    )
    assert r.status_code == 200
    assert (r.json()["mismatches"], r.json()["uses"]) == (2, 3)
    assert given["consent"]["mismatches"] == 0


def test_roles_are_checked_on_every_route(client: TestClient, world: World) -> None:
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            if not op.get("security"):
                continue
            role = {
                "admin": "admin",
                "department": "department",
                "subject portal": "portal",
                "recipient": "recipient",
            }[op["tags"][0]]
            url = path.replace("{", "").replace("}", "")
            r = client.request(method, url, json={})
            assert r.status_code == 401, (method, path)
            r = client.request(method, url, json={}, headers={"X-API-Key": "dsk_" + "x" * 43})
            assert r.status_code == 401, (method, path)
            for other in ("admin", "department", "portal", "recipient"):
                if other != role:
                    r = client.request(method, url, json={}, headers=as_(world, other))
                    assert (r.status_code, r.json()["error"]) == (403, "forbidden"), (
                        method,
                        path,
                        other,
                    )
            checked += 1
    assert checked >= 20


def test_validation_errors_never_echo_values(client: TestClient, world: World) -> None:
    subject = world.subjects[0]
    body = consent_body(world, subject)
    body["notice_sha256"] = subject  # wrong pattern: the value must not come back
    body["channel"] = 13800138000
    r = client.post("/portal/consents", json=body, headers=as_(world, "portal"))
    assert r.status_code == 422 and r.json()["error"] == "invalid_request"
    assert subject not in r.text and "13800138000" not in r.text
    r = client.post(
        "/access/verify",
        json={"token": 5, "field": "手机号", "value": [phone(0)]},
        headers=as_(world, "recipient"),
    )
    assert r.status_code == 422 and phone(0) not in r.text
    r = client.post(
        f"/department/datasets/{world.dataset_id}/records",
        json={"records": [{"身份证号": subject, "extra": phone(3)}]},
        headers=as_(world, "department"),
    )
    assert r.status_code == 422 and subject not in r.text and phone(3) not in r.text


def test_terms_cannot_be_edited(client: TestClient, world: World) -> None:
    consent = give(client, world, world.subjects[0])["consent"]
    for method in ("PUT", "PATCH", "DELETE"):
        r = client.request(
            method,
            f"/portal/consents/{consent['id']}",
            json={"purpose": "x"},
            headers=as_(world, "portal"),
        )
        assert (r.status_code, r.json()["error"]) == (404, "not_found")  # no such route
    r = client.put(
        f"/portal/consents/{consent['id']}/withdraw",
        json={"purpose": "x"},
        headers=as_(world, "portal"),
    )
    assert (r.status_code, r.json()["error"]) == (405, "method_not_allowed")


def test_batch_requires_approval_through_the_api(client: TestClient, world: World) -> None:
    created = give(client, world, world.subjects[0], mode="batch")
    assert created["consent"]["status"] == "pending_approval"
    rec = as_(world, "recipient")
    r = client.post("/access/batch", json={"tokens": [created["token"]]}, headers=rec)
    assert r.json() == {"rows": [{"index": 0, "granted": False, "result": None, "error": False}]}
    r = client.post(
        f"/admin/consents/{created['consent']['id']}/approve", headers=as_(world, "admin")
    )
    assert r.json()["status"] == "active"
    r = client.post("/access/batch", json={"tokens": [created["token"], "x"]}, headers=rec)
    assert [row["granted"] for row in r.json()["rows"]] == [True, False]


def test_suspension_and_objection_through_the_api(client: TestClient, world: World) -> None:
    token = give(client, world, world.subjects[0])["token"]
    rec = as_(world, "recipient")
    r = client.post(f"/admin/recipients/{world.recipient.id}/suspend", headers=as_(world, "admin"))
    assert r.json()["suspended"] is True
    assert client.post("/access/query", json={"token": token}, headers=rec).status_code == 403
    client.post(f"/admin/recipients/{world.recipient.id}/reinstate", headers=as_(world, "admin"))
    assert client.post("/access/query", json={"token": token}, headers=rec).status_code == 200
    r = client.post(
        "/portal/objections",
        json={"subject_id": world.subjects[0], "dataset_id": world.dataset_id},
        headers=as_(world, "portal"),
    )
    assert r.status_code == 201
    assert client.post("/access/query", json={"token": token}, headers=rec).json() == DENIED
    flagged = client.get("/department/objections", headers=as_(world, "department")).json()
    assert [(o["status"], o["records"]) for o in flagged] == [("open", 1)]
    r = client.post(
        f"/department/objections/{flagged[0]['id']}/resolve",
        json={"outcome": "delete"},
        headers=as_(world, "department"),
    )
    assert r.json()["status"] == "deleted"
    assert client.post("/access/query", json={"token": token}, headers=rec).json() == DENIED
    with world.store.reading() as s:
        assert verify_chain(s, world.store.keys.public_key).ok


def test_audit_write_failure_is_503_and_releases_nothing(
    client: TestClient, world: World, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    from desens.consent import audit

    token = give(client, world, world.subjects[0])["token"]

    def broken(session, entry):  # type: ignore[no-untyped-def]
        raise OperationalError("INSERT", {}, Exception("disk full"))

    monkeypatch.setattr(audit, "_insert", broken)
    r = client.post("/access/query", json={"token": token}, headers=as_(world, "recipient"))
    assert r.status_code == 503 and r.json()["error"] == "audit_unavailable"
    assert world.records[world.subjects[0]]["姓名"] not in r.text


def _break_record(world: World, consent_id: str) -> None:
    """Give the consent's subject another subject's sealed record: it no longer opens."""
    from sqlalchemy import text

    with world.store.engine.begin() as conn:
        rows = conn.execute(text("SELECT subject_ref, sealed FROM records ORDER BY id")).all()
        broken = conn.execute(
            text("SELECT subject_ref FROM consents WHERE id = :id"), {"id": consent_id}
        ).scalar()
        other = next(r.sealed for r in rows if r.subject_ref != broken)
        conn.execute(
            text("UPDATE records SET sealed = :s WHERE subject_ref = :ref"),
            {"s": other, "ref": broken},
        )


def test_a_record_that_does_not_open_is_500_and_audited(world: World, caplog) -> None:  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    from api import create_app

    settings = world.store.settings.model_copy(update={"auto_migrate": False})
    # The 500 is answered, not re-raised to the server (which would log the
    # traceback with every message of the exception chain).
    client = TestClient(create_app(settings, store=world.store), raise_server_exceptions=True)
    subject = world.subjects[1]
    given = give(client, world, subject, mode="verify", items=[{"field": "手机号"}])
    _break_record(world, given["consent"]["id"])
    history = "/portal/subjects/access-history"
    before = client.post(history, json={"subject_id": subject}, headers=as_(world, "portal"))
    r = client.post(
        "/access/verify",
        json={"token": given["token"], "field": "手机号", "value": phone(1)},
        headers=as_(world, "recipient"),
    )
    assert (r.status_code, r.json()["error"]) == (500, "internal")
    assert phone(1) not in r.text and subject not in r.text
    assert "internal error: DecisionFailed (from WrongKeyError)" in caplog.text
    assert "Traceback" not in caplog.text
    r = client.post(
        f"/portal/consents/{given['consent']['id']}/view",
        json={"subject_id": subject},
        headers=as_(world, "portal"),
    )
    assert (r.json()["uses"], r.json()["mismatches"]) == (0, 0)
    after = client.post(history, json={"subject_id": subject}, headers=as_(world, "portal"))
    new = after.json()[: len(after.json()) - len(before.json())]
    assert [(e["action"], e["decision"]) for e in new] == [("access.verify", "denied")]
    with world.store.reading() as s:
        assert verify_chain(s, world.store.keys.public_key).ok


def test_a_failed_batch_row_is_marked_and_the_others_answered(
    client: TestClient, world: World
) -> None:
    admin, rec = as_(world, "admin"), as_(world, "recipient")
    given = [give(client, world, s, mode="batch") for s in world.subjects[:3]]
    for g in given:
        approved = client.post(f"/admin/consents/{g['consent']['id']}/approve", headers=admin)
        assert approved.is_success
    _break_record(world, given[1]["consent"]["id"])
    r = client.post("/access/batch", json={"tokens": [g["token"] for g in given]}, headers=rec)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert [(row["granted"], row["error"]) for row in rows] == [
        (True, False), (False, True), (True, False)
    ]  # fmt: skip
    assert rows[1]["result"] is None and rows[2]["result"]["records"][0]["手机号"] == phone(2)


def test_openapi_documents_every_error_with_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    ops = [(p, m, op) for p, item in schema["paths"].items() for m, op in item.items()]
    assert len(ops) >= 24
    for path, method, op in ops:
        assert op.get("summary") and op.get("description"), (method, path)
        if op.get("security"):
            for status in ("401", "403", "422", "500"):
                assert status in op["responses"], (method, path, status)
                assert op["responses"][status]["content"]["application/json"]["example"]
        body = op.get("requestBody", {}).get("content", {}).get("application/json", {})
        if body:
            assert "$ref" in body["schema"] or body["schema"], (method, path)
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"


def test_logs_never_carry_ids_tokens_or_keys(client: TestClient, world: World, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    caplog.set_level(logging.DEBUG)
    subject = world.subjects[0]
    created = give(client, world, subject)
    token = created["token"]
    rec = as_(world, "recipient")
    client.post("/access/query", json={"token": token}, headers=rec)
    client.post("/access/query", json={"token": token}, headers=as_(world, "other"))
    client.post(
        "/portal/subjects/access-history",
        json={"subject_id": subject},
        headers=as_(world, "portal"),
    )
    client.post("/portal/consents", json={"subject_id": subject}, headers=as_(world, "portal"))
    logged = caplog.text + repr([r.args for r in caplog.records])
    secrets = [subject, token, *world.keys.values(), *world.records[subject].values()]
    assert [s for s in secrets if s in logged] == []


def test_problem_locs_never_echo_client_chosen_keys(client: TestClient, world: World) -> None:
    body = consent_body(world, world.subjects[0])
    body["extra13800138000"] = "x"
    r = client.post("/portal/consents", json=body, headers=as_(world, "portal"))
    assert r.status_code == 422 and "13800138000" not in r.text
    assert [p["loc"] for p in r.json()["problems"]] == [["body", "<key>"]]
    r = client.post(
        f"/department/datasets/{world.dataset_id}/records",
        json={"records": [{resident_id(5): 7, "姓名": "x"}]},
        headers=as_(world, "department"),
    )
    assert r.status_code == 422 and resident_id(5) not in r.text
    assert [p["loc"] for p in r.json()["problems"]] == [["body", "records", 0, "<key>"]]
    r = client.post("/access/query", json={"token": 5}, headers=as_(world, "recipient"))
    assert [p["loc"] for p in r.json()["problems"]] == [["body", "token"]]


def test_record_errors_name_missing_fields_and_count_the_others(
    client: TestClient, world: World
) -> None:
    record = record_for(40)
    del record["收入"]
    record[phone(41)] = "x"
    record[resident_id(42)] = None
    r = client.post(
        f"/department/datasets/{world.dataset_id}/records",
        json={"records": [record_for(43), record]},
        headers=as_(world, "department"),
    )
    assert r.status_code == 422 and r.json()["error"] == "rule_violation"
    assert phone(41) not in r.text and resident_id(42) not in r.text
    assert r.json()["message"] == (
        "<request>:2: fields do not match the dataset (missing ['收入'], 2 unexpected keys)"
    )
