"""Session fixtures of the CLI tests: a synthetic table and a key ring."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_support import People, desens, make_people


@pytest.fixture(scope="session")
def people() -> People:
    return make_people()


@pytest.fixture(scope="session")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "ring.json"
    run = desens("keys", "new", path)
    assert run.returncode == 0, run.stderr
    return path
