"""Anonymization operators: what happens to a value once it is recognised.

Each operator has a name, a frozen pydantic parameter model (what a policy may
say), a pure function in its module, and a presidio-anonymizer ``Operator``
class. :data:`OPERATORS` lists them explicitly; :func:`build_operator` turns a
name and parameters into a callable.

=============  =========================================  =====================
name           does                                       needs
=============  =========================================  =====================
mask           ``138****5678``, ``张**``, ...              --
redact         removes the value                          --
replace        fixed text, or ``<PERSON_1>`` tags          RunState (for tags)
hash           ``h_`` + HMAC-SHA256, truncated             key ring
encrypt        ``enc:k1:...`` (AES-SIV), reversible        key ring
decrypt        reverses ``encrypt``                        key ring
fpe            FF1, keeps the format and checksums         key ring
fpe_decrypt    reverses ``fpe``                            key ring
generalize     province / age band / month / city ...     --
date_shift     per-subject constant shift                 key ring, subject id
suppress       drop marker for the field or record        --
keep           unchanged                                  --
=============  =========================================  =====================

Example:
    >>> op = build_operator("mask", {"keep_first": 1})
    >>> op("13812345678")
    '1**********'
    >>> op = build_operator("replace", {})
    >>> run = RunState()
    >>> op("张三", OperatorContext(entity_type="PERSON", state=run))
    '<PERSON_1>'

To use them through presidio::

    engine = AnonymizerEngine()
    for cls in OPERATORS.values():
        if cls.TYPE is OperatorType.Anonymize:
            engine.add_anonymizer(cls)
    engine.anonymize(text, results, {"PERSON": OperatorConfig("hash", {"key_ring": ring})})
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from desens.errors import UnknownOperatorError
from desens.operators.base import (
    CONTEXT_PARAMS,
    DesensOperator,
    OperatorContext,
    OperatorParams,
    RunState,
)
from desens.operators.date_shift import DateShiftOperator, DateShiftParams, date_shift
from desens.operators.encrypt import (
    DecryptOperator,
    DecryptParams,
    EncryptOperator,
    EncryptParams,
    decrypt,
    decrypt_run,
    encrypt,
)
from desens.operators.fpe import (
    FpeDecryptOperator,
    FpeOperator,
    FpeParams,
    fpe_decrypt,
    fpe_encrypt,
)
from desens.operators.generalize import (
    GeneralizeOperator,
    GeneralizeParams,
    generalize,
    generalizer,
)
from desens.operators.hashing import HashOperator, HashParams, hash_value, hasher
from desens.operators.keep import KeepOperator, KeepParams, keep
from desens.operators.mask import MaskOperator, MaskParams, mask, masker
from desens.operators.redact import (
    RedactOperator,
    RedactParams,
    ReplaceOperator,
    ReplaceParams,
    redact,
    replace,
)
from desens.operators.suppress import (
    Suppressed,
    SuppressOperator,
    SuppressParams,
    is_suppressed,
    suppress,
)

__all__ = [
    "CONTEXT_PARAMS",
    "OPERATORS",
    "BoundOperator",
    "DateShiftOperator",
    "DateShiftParams",
    "DecryptOperator",
    "DecryptParams",
    "DesensOperator",
    "EncryptOperator",
    "EncryptParams",
    "FpeDecryptOperator",
    "FpeOperator",
    "FpeParams",
    "GeneralizeOperator",
    "GeneralizeParams",
    "HashOperator",
    "HashParams",
    "KeepOperator",
    "KeepParams",
    "MaskOperator",
    "MaskParams",
    "OperatorContext",
    "OperatorParams",
    "RedactOperator",
    "RedactParams",
    "ReplaceOperator",
    "ReplaceParams",
    "RunState",
    "SuppressOperator",
    "SuppressParams",
    "Suppressed",
    "build_operator",
    "date_shift",
    "decrypt",
    "decrypt_run",
    "encrypt",
    "fpe_decrypt",
    "fpe_encrypt",
    "generalize",
    "generalizer",
    "hash_value",
    "hasher",
    "is_suppressed",
    "keep",
    "mask",
    "masker",
    "redact",
    "replace",
    "suppress",
]

#: Every built-in operator by its name (the name used in policies and OperatorConfig).
OPERATORS: dict[str, type[DesensOperator[Any]]] = {
    "mask": MaskOperator,
    "redact": RedactOperator,
    "replace": ReplaceOperator,
    "hash": HashOperator,
    "encrypt": EncryptOperator,
    "decrypt": DecryptOperator,
    "fpe": FpeOperator,
    "fpe_decrypt": FpeDecryptOperator,
    "generalize": GeneralizeOperator,
    "date_shift": DateShiftOperator,
    "suppress": SuppressOperator,
    "keep": KeepOperator,
}


@dataclass(frozen=True)
class BoundOperator:
    """An operator with validated parameters, ready to apply to values.

    Call it with a value and, where the operator needs them, an
    :class:`OperatorContext` carrying the entity type, key ring, run state or
    subject id.

    Attributes:
        operator: The operator class.
        params: Its validated, frozen parameters.
    """

    operator: type[DesensOperator[Any]]
    params: OperatorParams

    @property
    def name(self) -> str:
        """The operator's registered name."""
        return self.operator.NAME

    @property
    def numbers_values(self) -> bool:
        """Whether a value's output depends on the values met before it in the run.

        True for ``replace`` with numbered tags (``<PERSON_1>``): the first new
        value gets 1, the next 2. Apply such an operator to values in input
        order, in one process, for outputs that do not change between runs.
        """
        return isinstance(self.params, ReplaceParams) and self.params.new_value is None

    def __call__(self, value: str, ctx: OperatorContext | None = None) -> str:
        """Apply the operator to one value."""
        return self.operator.apply(value, self.params, ctx or OperatorContext())

    def bind(self, ctx: OperatorContext | None = None) -> Callable[[Sequence[str]], list[str]]:
        """This operator as a function of a column of (non-empty) values.

        Same results as calling the operator with ``ctx`` on each value; the
        parameters are bound once (an HMAC keyed once, common shapes of
        masked values taken by a short cut), which matters over millions of
        values.

        Raises:
            MissingKeyError, WrongKeyError: The operator needs a key the
                context does not have.
        """
        ctx = ctx or OperatorContext()
        params = self.params
        if isinstance(params, HashParams):
            return hasher(params, ctx.require_keys(self.name), ctx.entity_type)
        if isinstance(params, MaskParams):
            return masker(params, ctx.entity_type)
        if isinstance(params, GeneralizeParams):
            return generalizer(params, ctx.entity_type)
        apply = self.operator.apply

        def many(values: Sequence[str]) -> list[str]:
            return [apply(value, params, ctx) for value in values]

        return many


def build_operator(
    name: str, params: Mapping[str, Any] | OperatorParams | None = None
) -> BoundOperator:
    """Look up an operator by name and validate its parameters.

    Args:
        name: A key of :data:`OPERATORS`.
        params: Policy parameters (a mapping or the operator's model); None
            for the defaults.

    Returns:
        The operator bound to its parameters.

    Raises:
        UnknownOperatorError: If no operator has that name.
        ConfigError: If the parameters are invalid.
    """
    try:
        operator = OPERATORS[name]
    except (KeyError, TypeError):
        raise UnknownOperatorError(
            f"unknown operator {name!r}; known operators: {', '.join(OPERATORS)}"
        ) from None
    return BoundOperator(operator, operator.parse_params(params))
