"""Decide what happens to each column of a table.

Declared columns (by header, in the policy) get their operator without any
detection. Undeclared columns are handled as the policy's ``undeclared`` says;
with ``classify`` (the default) a sample of their values is analyzed, like
presidio-structured does:

- if at least :data:`TYPE_SHARE` of the non-empty sampled values are each one
  whole entity of the same type (a column of phone numbers), the column gets
  that type and the policy's operator for it;
- else if any entity was found in the sample, or the values read like prose
  (average length >= :data:`TEXT_LENGTH` characters), the column is free text
  and is scanned: only the spans found change;
- else if the sample cannot judge a text column: no non-empty value, or
  fewer than :data:`MIN_DISTINCT` distinct ones (a column empty or constant
  in its first rows, such as a contact person filled in only later), it is
  scanned too; that is cheap, each distinct text being analyzed once. A
  column of numbers, dates or booleans (JSONL, Parquet) holds no names or
  addresses, and the residual scan checks its numbers: it is kept;
- else the column is kept as it is. A column whose first rows hold many
  distinct harmless values and later rows personal data is kept: declare
  it, or set ``undeclared: scan``.

The header is passed to the analyzer as context, so a column named 联系电话
counts as context for the phone recognizer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from desens.analyzer import DesensAnalyzer
from desens.errors import ConfigError
from desens.operators import BoundOperator, build_operator
from desens.policy import Policy
from desens.records import cell_text

__all__ = ["MIN_DISTINCT", "TEXT_LENGTH", "TYPE_SHARE", "ColumnPlan", "plan_columns"]

TYPE_SHARE = 0.6
TEXT_LENGTH = 20
MIN_DISTINCT = 20

Action = Literal["operator", "scan", "keep", "drop"]
Source = Literal["declared", "detected", "undeclared"]


@dataclass(frozen=True)
class ColumnPlan:
    """What happens to one column, and why.

    Attributes:
        name: the header.
        index: position in the input row.
        action: ``operator`` (apply ``operator`` to every value), ``scan``
            (free text), ``keep`` or ``drop`` (the column is not written).
        source: ``declared`` in the policy, ``detected`` by sampling, or
            ``undeclared`` (the policy's rule for undeclared columns).
        entity: the column's type, when declared or detected.
        operator: the operator for ``action == "operator"``.
        quasi_identifier: counts towards k-anonymity.
        subject_key: identifies the record's subject.
    """

    name: str
    index: int
    action: Action
    source: Source
    entity: str | None = None
    operator: BoundOperator | None = None
    quasi_identifier: bool = False
    subject_key: bool = False

    def describe(self) -> dict[str, Any]:
        """The plan as it appears in the release report."""
        return {
            "column": self.name,
            "action": self.action,
            "source": self.source,
            "entity": self.entity,
            "operator": self.operator.name if self.operator else None,
            "quasi_identifier": self.quasi_identifier,
        }


def plan_columns(
    header: Sequence[str],
    sample: Sequence[Sequence[Any]],
    policy: Policy,
    analyzer: DesensAnalyzer | None,
) -> list[ColumnPlan]:
    """Plan every column of ``header``.

    Args:
        header: the column names.
        sample: the first rows of the table (for classifying undeclared columns).
        policy: the policy.
        analyzer: needed when a column is classified or scanned.

    Raises:
        ConfigError: the policy names a column twice through ``names``, or a
            column must be classified but no analyzer was given.
    """
    plans = []
    for index, name in enumerate(header):
        rule = policy.column(name)
        if rule is not None:
            plans.append(_declared(name, index, rule, policy))
            continue
        if policy.undeclared in ("keep", "drop", "scan"):
            plans.append(ColumnPlan(name, index, policy.undeclared, "undeclared"))
            continue
        if analyzer is None:
            raise ConfigError("classifying undeclared columns needs an analyzer")
        raw = [row[index] for row in sample if row[index] not in (None, "")]
        values = [text for v in raw if (text := cell_text(v))]
        textual = all(isinstance(v, str) for v in raw)
        plans.append(_classify(name, index, values, policy, analyzer, textual))
    return plans


def _declared(name: str, index: int, rule: Any, policy: Policy) -> ColumnPlan:
    common = {
        "quasi_identifier": rule.quasi_identifier,
        "subject_key": rule.subject_key,
    }
    if rule.scan:
        return ColumnPlan(name, index, "scan", "declared", **common)
    if rule.operator is not None:
        operator = build_operator(rule.operator, rule.params)
    elif rule.entity is not None:
        spec = policy.operator_for(rule.entity)
        operator = build_operator(spec.operator, spec.params)
    else:
        return ColumnPlan(name, index, "keep", "declared", **common)
    action: Action = "keep" if operator.name == "keep" else "operator"
    if operator.name == "suppress" and getattr(operator.params, "scope", "field") == "field":
        action = "drop"  # a suppressed field is left out of the output
    return ColumnPlan(
        name,
        index,
        action,
        "declared",
        rule.entity,
        operator if action == "operator" else None,
        **common,
    )


def _classify(
    name: str,
    index: int,
    values: list[str],
    policy: Policy,
    analyzer: DesensAnalyzer,
    textual: bool = True,
) -> ColumnPlan:
    if not values:  # nothing to judge by: looked at as it comes
        return ColumnPlan(name, index, "scan" if textual else "keep", "undeclared")
    found = analyzer.analyze_batch(values, score_threshold=policy.threshold, context=[name])
    whole: Counter[str] = Counter()
    any_found = False
    for value, results in zip(values, found, strict=True):
        any_found = any_found or bool(results)
        stripped = value.strip()
        offset = len(value) - len(value.lstrip())
        if (
            len(results) == 1
            and results[0].start == offset
            and results[0].end == offset + len(stripped)
        ):
            whole[results[0].entity_type] += 1
    if whole:
        entity, count = whole.most_common(1)[0]
        if count >= TYPE_SHARE * len(values):
            spec = policy.operator_for(entity)
            operator = build_operator(spec.operator, spec.params)
            if operator.name == "keep":
                return ColumnPlan(name, index, "keep", "detected", entity)
            return ColumnPlan(name, index, "operator", "detected", entity, operator)
    if any_found or sum(map(len, values)) / len(values) >= TEXT_LENGTH:
        return ColumnPlan(name, index, "scan", "detected")
    if textual and len(set(values)) < MIN_DISTINCT:  # too few values to judge by
        return ColumnPlan(name, index, "scan", "undeclared")
    return ColumnPlan(name, index, "keep", "undeclared")
