"""What every desens operator shares: parameter models, run context, presidio glue.

An operator is three things:

* a parameter model (a frozen pydantic model, subclass of
  :class:`OperatorParams`): what a policy file may say about it. It never
  holds secrets;
* a pure function in its module (``mask(value, params, ...)``) that does the
  work and can be called and tested on its own;
* a presidio-anonymizer :class:`~presidio_anonymizer.operators.Operator`
  subclass (subclass of :class:`DesensOperator`), so that
  ``AnonymizerEngine().add_anonymizer(MaskOperator)`` makes it usable from
  presidio with an ``OperatorConfig("mask", {...})``.

What is not policy travels in an :class:`OperatorContext`: the entity type,
the :class:`~desens.keys.KeyRing`, the per-run :class:`RunState` and the
subject id (for ``date_shift``). Through presidio these come in the params
dict under the reserved names in :data:`CONTEXT_PARAMS`; presidio itself adds
``entity_type``.

Example:
    >>> from presidio_anonymizer import AnonymizerEngine
    >>> from presidio_anonymizer.entities import OperatorConfig, RecognizerResult
    >>> from desens.operators import MaskOperator
    >>> engine = AnonymizerEngine()
    >>> engine.add_anonymizer(MaskOperator)
    >>> engine.anonymize(
    ...     "电话13812345678",
    ...     [RecognizerResult("PHONE_NUMBER", 2, 13, 0.9)],
    ...     {"DEFAULT": OperatorConfig("mask", {})},
    ... ).text
    '电话138****5678'
"""

from __future__ import annotations

import hmac
import secrets
import threading
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, ClassVar, Generic, TypeVar

from presidio_anonymizer.operators import Operator, OperatorType
from pydantic import BaseModel, ConfigDict, ValidationError

from desens.errors import ConfigError, MissingKeyError
from desens.keys import KeyRing

__all__ = [
    "CONTEXT_PARAMS",
    "DesensOperator",
    "OperatorContext",
    "OperatorParams",
    "RunState",
]

#: Keys of a presidio params dict that carry run context, not policy.
CONTEXT_PARAMS = ("entity_type", "key_ring", "run_state", "subject")


class OperatorParams(BaseModel):
    """Base of every operator's parameter model: frozen, unknown fields rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class RunState:
    """State that links values within one run, and never across runs.

    The ``replace`` operator numbers its tags here (``<PERSON_1>``): the same
    value gets the same number throughout the run. Make one per run (per
    file batch, per request, per tenant) and pass it in; two instances share
    nothing. Values are remembered as HMACs under a random per-run key, so the
    state holds no plaintext. Safe to share between threads of one run.

    Example:
        >>> run = RunState()
        >>> run.tag_number("PERSON", "张三"), run.tag_number("PERSON", "李四")
        (1, 2)
        >>> run.tag_number("PERSON", "张三")
        1
    """

    __slots__ = ("_lock", "_run_key", "_tags")

    def __init__(self) -> None:
        self._run_key = secrets.token_bytes(32)
        self._tags: dict[str, dict[bytes, int]] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        counts = {entity: len(seen) for entity, seen in self._tags.items()}
        return f"RunState(tags={counts!r})"

    def tag_number(self, entity_type: str, normalized_value: str) -> int:
        """Return the 1-based number of ``normalized_value`` among ``entity_type`` values.

        Args:
            entity_type: Numbering is separate per entity type.
            normalized_value: The value after normalisation (equal values,
                equal numbers).

        Returns:
            The number assigned when the value was first seen in this run.
        """
        digest = hmac.new(self._run_key, normalized_value.encode("utf-8"), sha256).digest()
        with self._lock:
            seen = self._tags.setdefault(entity_type, {})
            number = seen.get(digest)
            if number is None:
                number = len(seen) + 1
                seen[digest] = number
            return number


@dataclass(frozen=True)
class OperatorContext:
    """What an operator needs besides the value and its policy parameters.

    Attributes:
        entity_type: The entity the value was recognised as (``PHONE_NUMBER``).
        keys: The key ring; needed by hash, encrypt, decrypt, fpe, date_shift.
        state: The per-run state; needed by ``replace`` with numbered tags.
        subject: The id of the record's subject; needed by ``date_shift``.
    """

    entity_type: str | None = None
    keys: KeyRing | None = None
    state: RunState | None = None
    subject: str | None = None

    def __repr__(self) -> str:
        # The subject id is personal data: never show it.
        return (
            f"OperatorContext(entity_type={self.entity_type!r}, keys={self.keys!r}, "
            f"state={self.state!r}, subject={'<set>' if self.subject else None})"
        )

    def require_keys(self, operator: str) -> KeyRing:
        """Return the key ring, or explain that ``operator`` needs one.

        Raises:
            MissingKeyError: If no key ring was passed in.
        """
        if self.keys is None:
            raise MissingKeyError(
                f"operator {operator!r} needs a key ring: pass key_ring=KeyRing.from_env() "
                "(DESENS_KEYRING or DESENS_KEY); keys never come from a policy file"
            )
        return self.keys


P = TypeVar("P", bound=OperatorParams)


class DesensOperator(Operator, Generic[P]):
    """A presidio operator backed by a desens parameter model and pure function.

    Subclasses set :attr:`NAME`, :attr:`PARAMS` (and :attr:`TYPE` for
    deanonymizers) and implement :meth:`apply`.
    """

    NAME: ClassVar[str]
    PARAMS: ClassVar[type[OperatorParams]]
    TYPE: ClassVar[OperatorType] = OperatorType.Anonymize

    @classmethod
    @abstractmethod
    def apply(cls, value: str, params: P, ctx: OperatorContext) -> str:
        """Transform one value. Subclasses call their module's pure function."""

    @classmethod
    def parse_params(
        cls, params: Mapping[str, Any] | OperatorParams | None, *, with_context: bool = False
    ) -> P:
        """Validate policy parameters into the operator's model.

        Args:
            params: A mapping, an instance of the model, or None for the defaults.
            with_context: The mapping is a presidio params dict, whose reserved
                keys (:data:`CONTEXT_PARAMS`) carry run context and are skipped
                here. Otherwise those keys are an error: a policy must never
                carry a key ring or a subject id.

        Raises:
            ConfigError: If a parameter is unknown or invalid. The message names
                the parameter and the rule, not the value given.
        """
        if isinstance(params, cls.PARAMS):
            return params  # type: ignore[return-value]
        if isinstance(params, OperatorParams):
            raise ConfigError(
                f"operator {cls.NAME!r} takes {cls.PARAMS.__name__}, not {type(params).__name__}"
            )
        if not with_context:
            reserved = sorted(set(params or {}) & set(CONTEXT_PARAMS))
            if reserved:
                raise ConfigError(
                    f"operator {cls.NAME!r}: {', '.join(reserved)} is run context, not a "
                    "policy parameter; pass it in OperatorContext (keys come from the key ring)"
                )
        policy = {k: v for k, v in (params or {}).items() if k not in CONTEXT_PARAMS}
        try:
            return cls.PARAMS.model_validate(policy)  # type: ignore[return-value]
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(part) for part in err['loc']) or 'params'}: {err['msg']}"
                for err in exc.errors(include_input=False, include_url=False)
            )
            raise ConfigError(f"operator {cls.NAME!r}: {problems}") from None

    @staticmethod
    def context_from(params: Mapping[str, Any] | None) -> OperatorContext:
        """Build the run context from the reserved keys of a presidio params dict.

        Raises:
            ConfigError: If a reserved key holds the wrong kind of object.
        """
        params = params or {}
        keys = params.get("key_ring")
        state = params.get("run_state")
        if keys is not None and not isinstance(keys, KeyRing):
            raise ConfigError("params 'key_ring' must be a desens.keys.KeyRing")
        if state is not None and not isinstance(state, RunState):
            raise ConfigError("params 'run_state' must be a desens.operators.RunState")
        entity_type = params.get("entity_type")
        subject = params.get("subject")
        return OperatorContext(
            entity_type=str(entity_type) if entity_type is not None else None,
            keys=keys,
            state=state,
            subject=str(subject) if subject is not None else None,
        )

    # -- presidio Operator interface ----------------------------------------

    def operate(self, text: str, params: dict[str, Any] | None = None) -> str:
        """Presidio entry point: parse ``params`` and apply the operator to ``text``."""
        return self.apply(
            text, self.parse_params(params, with_context=True), self.context_from(params)
        )

    def validate(self, params: dict[str, Any] | None = None) -> None:
        """Presidio entry point: raise :class:`ConfigError` if ``params`` are invalid."""
        self.parse_params(params, with_context=True)
        self.context_from(params)

    def operator_name(self) -> str:
        """The name used in ``OperatorConfig`` and policy files."""
        return self.NAME

    def operator_type(self) -> OperatorType:
        """Anonymize, or Deanonymize for the operators that restore values."""
        return self.TYPE
