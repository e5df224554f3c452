"""PERSON: Chinese person names found by a character-level CRF (see MODEL_CARD.md)."""

from __future__ import annotations

from recognizers.person.recognizer import CnPersonRecognizer

__all__ = ["CnPersonRecognizer"]
