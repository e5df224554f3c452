"""Unauthenticated routes: health and the signing key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.auth import get_store
from api.schemas import PublicKeyOut
from desens.consent.store import ConsentStore

router = APIRouter(tags=["public"])


@router.get("/health")
def health() -> dict[str, str]:
    """Liveness."""
    return {"status": "ok"}


@router.get("/audit/public-key", response_model=PublicKeyOut)
def public_key(store: Annotated[ConsentStore, Depends(get_store)]) -> PublicKeyOut:
    """The Ed25519 key that signs audit checkpoints and consent receipts."""
    return PublicKeyOut(public_key=store.keys.public_key)
