from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DESENS_SHARED_DIR", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def analyzer():
    """One default analyzer for the whole session (loading takes ~2 s)."""
    from desens import build_analyzer

    return build_analyzer()
