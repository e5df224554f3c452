"""desens: find and desensitize personal data in Chinese public-sector records.

The common case::

    >>> import desens
    >>> [(r.entity_type, r.start, r.end) for r in desens.analyze("联系电话：13800138000")]
    [('PHONE_NUMBER', 5, 16)]

For control over entities, threshold and batching, build an analyzer once with
:func:`build_analyzer` and call its ``analyze_batch``.
"""

from __future__ import annotations

from functools import lru_cache

from presidio_analyzer import RecognizerResult

from desens.analyzer import DEFAULT_THRESHOLD, DesensAnalyzer, build_analyzer, resolve_overlaps
from desens.errors import (
    BadRecordError,
    ConfigError,
    DesensError,
    InputError,
    ModelError,
    UnknownEntityError,
)
from desens.nlp_engine import JiebaNlpEngine

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_THRESHOLD",
    "BadRecordError",
    "ConfigError",
    "DesensAnalyzer",
    "DesensError",
    "InputError",
    "JiebaNlpEngine",
    "ModelError",
    "UnknownEntityError",
    "__version__",
    "analyze",
    "build_analyzer",
    "resolve_overlaps",
]


@lru_cache(maxsize=1)
def _default_analyzer() -> DesensAnalyzer:
    return build_analyzer()


def analyze(text: str) -> list[RecognizerResult]:
    """Find every supported entity in ``text`` at the default threshold.

    The first call builds the default analyzer (about two seconds: jieba's
    dictionary and the PERSON model load) and keeps it for the life of the
    process; this convenience is the one place desens caches an engine. Use
    :func:`build_analyzer` to choose entities or threshold, or to batch.
    """
    return _default_analyzer().analyze_batch([text])[0]
