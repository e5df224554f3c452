"""Settings: one object, every variable documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from desens.consent import ConsentSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_in_the_readme() -> None:
    missing = [
        name for name in ConsentSettings.model_fields if f"`DESENS_{name.upper()}`" not in README
    ]
    assert missing == []


def test_settings_come_from_the_environment_and_env_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DESENS_PORT", "9123")
    env = tmp_path / "consent.env"
    env.write_text("DESENS_CHECKPOINT_EVERY=7\nDESENS_DATABASE_URL=sqlite:///x.db\n")
    s = ConsentSettings(_env_file=env)  # type: ignore[call-arg]
    assert (s.port, s.checkpoint_every, s.database_url) == (9123, 7, "sqlite:///x.db")
    monkeypatch.setenv("DESENS_PORT", "0")
    with pytest.raises(ValueError, match="port"):
        ConsentSettings()
