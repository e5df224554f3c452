"""The key ring: files, environment, derivation, and keeping secrets secret."""

from __future__ import annotations

import base64
import json
import os
import stat
from pathlib import Path

import pytest

from desens.errors import ConfigError, KeyError_, MissingKeyError, WrongKeyError
from desens.keys import ENV_KEY, ENV_KEYRING, PURPOSES, KeyRing, MasterKey

MATERIAL = bytes(range(32))  # synthetic
MATERIAL_B64 = base64.b64encode(MATERIAL).decode()


def write_ring(path: Path, document: object) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def ring_document(**overrides: object) -> dict[str, object]:
    doc: dict[str, object] = {
        "version": 1,
        "keys": [{"id": "k1", "created": "2026-01-01T00:00:00Z", "material": MATERIAL_B64}],
        "default": "k1",
    }
    doc.update(overrides)
    return doc


# ---- KeyRing.new ------------------------------------------------------------------


def test_new_writes_a_0600_file_that_loads(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    ring = KeyRing.new(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = KeyRing.load(path)
    assert loaded.ids == ["k1"] and loaded.default_id == "k1"
    assert loaded.derive("hmac").material == ring.derive("hmac").material
    doc = json.loads(path.read_text())
    assert doc["version"] == 1 and doc["default"] == "k1"
    assert len(base64.b64decode(doc["keys"][0]["material"])) == 32
    assert doc["keys"][0]["created"].endswith("Z")
    assert [p.name for p in tmp_path.iterdir()] == ["ring.json"]  # no temporary left


def test_new_mode_is_0600_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        KeyRing.new(tmp_path / "ring.json")
        # The umask is restored after writing.
        assert os.umask(0) == 0
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "ring.json").stat().st_mode) == 0o600


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "ring.json"
    first = KeyRing.new(path)
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        KeyRing.new(path)
    assert KeyRing.load(path).derive("siv").material == first.derive("siv").material
    second = KeyRing.new(path, overwrite=True, key_id="k2")
    assert KeyRing.load(path).ids == ["k2"]
    assert second.derive("siv").material != first.derive("siv").material
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


# ---- loading ----------------------------------------------------------------------


def test_load_several_keys(tmp_path: Path) -> None:
    doc = ring_document(
        keys=[
            {"id": "k1", "material": MATERIAL_B64},
            {"id": "k2", "material": base64.b64encode(bytes(range(1, 33))).decode()},
        ],
        default="k2",
    )
    ring = KeyRing.load(write_ring(tmp_path / "r.json", doc))
    assert ring.ids == ["k1", "k2"] and ring.default_id == "k2"
    assert ring.derive("fpe").key_id == "k2"
    assert ring.derive("fpe", "k1").material != ring.derive("fpe").material
    assert "k1" in ring and len(ring) == 2 and list(ring) == ["k1", "k2"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param("not json", "not valid JSON", id="not-json"),
        pytest.param([], "JSON object", id="not-object"),
        pytest.param(ring_document(version=2), "version", id="version"),
        pytest.param(ring_document(keys=[]), "non-empty list", id="no-keys"),
        pytest.param(ring_document(keys=[{"id": "k1"}]), "'material'", id="no-material"),
        pytest.param(
            ring_document(keys=[{"id": "k1", "material": "!!!secret!!!"}]),
            "not valid base64",
            id="bad-base64",
        ),
        pytest.param(
            ring_document(keys=[{"id": "k1", "material": base64.b64encode(b"short").decode()}]),
            "at least 16",
            id="short-key",
        ),
        pytest.param(
            ring_document(keys=[{"id": "a:b", "material": MATERIAL_B64}], default="a:b"),
            "key id",
            id="bad-id",
        ),
        pytest.param(
            ring_document(keys=[{"id": "k1", "material": MATERIAL_B64}] * 2),
            "appears twice",
            id="duplicate-id",
        ),
    ],
)
def test_malformed_ring_files(tmp_path: Path, document: object, message: str) -> None:
    path = tmp_path / "r.json"
    if isinstance(document, str):
        path.write_text(document)
    else:
        write_ring(path, document)
    with pytest.raises(MissingKeyError, match=message) as err:
        KeyRing.load(path)
    assert str(path) in str(err.value)
    assert MATERIAL_B64 not in str(err.value) and "!!!secret!!!" not in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(MissingKeyError, match="does not exist"):
        KeyRing.load(tmp_path / "nope.json")


def test_default_not_in_ring(tmp_path: Path) -> None:
    with pytest.raises(WrongKeyError, match="'k9'"):
        KeyRing.load(write_ring(tmp_path / "r.json", ring_document(default="k9")))


# ---- environment ------------------------------------------------------------------


def test_from_env_keyring_file(tmp_path: Path) -> None:
    path = write_ring(tmp_path / "r.json", ring_document())
    ring = KeyRing.from_env({ENV_KEYRING: str(path), ENV_KEY: "ignored"})
    assert ring.ids == ["k1"] and ring.source == str(path)


def test_from_env_single_key_gets_a_fingerprint_id() -> None:
    ring = KeyRing.from_env({ENV_KEY: MATERIAL_B64})
    (key_id,) = ring.ids
    assert key_id.startswith("fp-") and len(key_id) == 11
    assert KeyRing.from_env({ENV_KEY: MATERIAL_B64}).ids == [key_id]
    assert KeyRing.from_key(base64.b64encode(bytes(32)).decode()).ids != [key_id]
    # URL-safe base64 and missing padding are accepted too.
    urlsafe = base64.urlsafe_b64encode(MATERIAL).decode().rstrip("=")
    assert KeyRing.from_key(urlsafe).ids == [key_id]
    assert MATERIAL_B64 not in key_id


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        pytest.param({}, "DESENS_KEYRING", id="nothing-set"),
        pytest.param({ENV_KEY: "   "}, "DESENS_KEYRING", id="blank-key"),
        pytest.param({ENV_KEY: "secret-but-not-base64!"}, "not valid base64", id="bad-key"),
        pytest.param({ENV_KEY: base64.b64encode(b"short").decode()}, "at least 16", id="short"),
    ],
)
def test_from_env_errors(environ: dict[str, str], message: str) -> None:
    with pytest.raises(MissingKeyError, match=message) as err:
        KeyRing.from_env(environ)
    for value in environ.values():
        if value.strip():
            assert value not in str(err.value)


def test_from_env_reads_os_environ_at_call_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_KEYRING, raising=False)
    monkeypatch.setenv(ENV_KEY, MATERIAL_B64)
    assert KeyRing.from_env().ids[0].startswith("fp-")
    monkeypatch.delenv(ENV_KEY)
    with pytest.raises(MissingKeyError):
        KeyRing.from_env()


# ---- derivation and secrecy -------------------------------------------------------


def test_sub_keys_differ_by_purpose_and_have_the_right_size() -> None:
    key = MasterKey("k1", MATERIAL)
    subkeys = {p: key.derive(p).material for p in PURPOSES}  # type: ignore[arg-type]
    assert {p: len(m) for p, m in subkeys.items()} == {
        "hmac": 32,
        "siv": 64,
        "fpe": 32,
        "date_shift": 32,
        "api_key": 32,
        "token": 32,
        "subject": 32,
        "subject_enc": 32,
        "record_enc": 32,
        "audit_sign": 32,
    }
    assert len(set(subkeys.values())) == len(PURPOSES)
    assert MATERIAL not in subkeys.values()
    assert key.derive("hmac").material == MasterKey("k2", MATERIAL).derive("hmac").material


def test_hkdf_labels_are_stable() -> None:
    # Pinning one derivation guards the output format: a changed label would
    # silently change every token made before.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    expected = HKDF(hashes.SHA256(), 32, None, b"desens/v1/hmac").derive(MATERIAL)
    assert MasterKey("k1", MATERIAL).derive("hmac").material == expected


def test_unknown_purpose() -> None:
    with pytest.raises(ConfigError, match="purpose"):
        MasterKey("k1", MATERIAL).derive("signing")  # type: ignore[arg-type]


def test_unknown_key_id_is_wrong_key_error() -> None:
    ring = KeyRing([MasterKey("k1", MATERIAL)])
    with pytest.raises(WrongKeyError, match=r"'k2' is not in the key ring.*holds: k1"):
        ring.derive("hmac", "k2")
    assert issubclass(WrongKeyError, KeyError_) and issubclass(MissingKeyError, KeyError_)
    assert not issubclass(KeyError_, KeyError)


def test_reprs_show_ids_only(tmp_path: Path) -> None:
    ring = KeyRing.new(tmp_path / "r.json")
    texts = [repr(ring), str(ring), repr(ring.get()), repr(ring.derive("siv"))]
    assert texts[0] == "KeyRing(ids=['k1'], default='k1')"
    assert texts[2] == "MasterKey(id='k1')"
    assert texts[3] == "DerivedKey(key_id='k1', purpose='siv')"
    material = base64.b64decode(
        json.loads((tmp_path / "r.json").read_text())["keys"][0]["material"]
    )
    for text in texts:
        assert material.hex() not in text and base64.b64encode(material).decode() not in text


def test_no_secret_on_class_attributes() -> None:
    for cls in (KeyRing, MasterKey):
        for name, value in vars(cls).items():
            assert not isinstance(value, bytes | bytearray), name


def test_generate_makes_fresh_keys() -> None:
    a, b = KeyRing.generate(), KeyRing.generate()
    assert a.derive("hmac").material != b.derive("hmac").material
