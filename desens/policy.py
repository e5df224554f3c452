"""Policies: what survives of a record, chosen by the data's share/open class.

A policy is a YAML file parsed into a frozen, validated :class:`Policy`. It
says, for free text, which operator each entity gets, and for tables, which
operator each column gets (by header name, or by the type detected when the
column is not declared). It also sets the detection threshold, allow and deny
lists, the quasi-identifier columns and the k of k-anonymity.

Errors name the file, line and key (``open.yaml:12: columns[2].operator:
unknown operator 'maskk'``); unknown keys are errors, not silently ignored, and
so are duplicate keys. Keys never live in a policy: operators that need one
take it from the key ring at run time.

Example::

    name: my-survey
    data_class: open
    threshold: 0.5
    entities:                     # free text and detected columns
      PERSON: {operator: mask}
      PHONE_NUMBER: {operator: mask}
    default: {operator: redact}   # any other entity found
    columns:
      - name: 身份证号
        entity: CN_RESIDENT_ID
        operator: generalize
        params: {to: age_band, band: 10}
        quasi_identifier: true
      - name: 备注
        scan: true                # free text: only the found spans change
    undeclared: classify          # classify | scan | keep | drop
    k_anonymity: {k: 5}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from desens.errors import ConfigError, PolicyError

__all__ = [
    "ColumnRule",
    "KAnonymity",
    "OperatorSpec",
    "Policy",
    "parse_policy",
    "read_policy",
]

DataClass = Literal["open", "open-conditional", "share", "custom"]


class _LocatedError(ValueError):
    """A model-level error that knows which key it is about (for its line number)."""

    def __init__(self, message: str, loc: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.loc = loc


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _known_operator(name: str | None) -> str | None:
    from desens.operators import OPERATORS

    if name is not None and name not in OPERATORS:
        raise ValueError(f"unknown operator {name!r}; known operators: {', '.join(OPERATORS)}")
    return name


def _valid_params(params: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
    from desens.operators import build_operator

    operator = info.data.get("operator")
    if operator is None:
        if params and "operator" in info.data:
            raise ValueError("'params' without 'operator'")
        return params
    try:
        build_operator(operator, params)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    return params


class OperatorSpec(_Frozen):
    """An operator by name with its parameters, checked against the operator."""

    operator: str
    params: dict[str, Any] = Field(default_factory=dict)

    _check_operator = field_validator("operator")(_known_operator)
    _check_params = field_validator("params")(_valid_params)


class ColumnRule(_Frozen):
    """What happens to one table column, chosen by its header.

    Attributes:
        name: the header; ``names`` lists alternatives (身份证号, 证件号码).
        entity: the column's declared type; no detection is run on it.
        operator: overrides the policy's operator for ``entity``.
        params: the operator's parameters.
        scan: the column is free text: run the analyzer, change only the spans.
        quasi_identifier: counts towards k-anonymity (after its operator).
        subject_key: the column identifies the record's subject (for
            ``date_shift`` and ``--withhold``).
    """

    name: str | None = None
    names: tuple[str, ...] = ()
    entity: str | None = None
    operator: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    scan: bool = False
    quasi_identifier: bool = False
    subject_key: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> ColumnRule:
        if not self.headers:
            raise ValueError("a column rule needs 'name' or 'names'")
        if self.scan and (self.operator or self.entity):
            raise ValueError(
                "'scan' columns take their operators from 'entities'; drop 'operator'/'entity'"
            )
        return self

    _check_operator = field_validator("operator")(_known_operator)
    _check_params = field_validator("params")(_valid_params)

    @field_validator("entity")
    @classmethod
    def _known_entity(cls, value: str | None) -> str | None:
        if value is not None:
            _check_entity(value)
        return value

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header this rule applies to."""
        return ((self.name,) if self.name else ()) + self.names


class KAnonymity(_Frozen):
    """k-anonymity over the quasi-identifier columns, enforced by suppression."""

    k: int = Field(ge=2, le=1000)


class Policy(_Frozen):
    """A validated, immutable policy. Build it with :func:`read_policy`."""

    name: str = Field(min_length=1)
    description: str = ""
    data_class: DataClass
    threshold: float = Field(default=0.5, ge=0.0, le=1.0)
    allow_list: tuple[str, ...] = ()
    deny_list: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    entities: dict[str, OperatorSpec] = Field(default_factory=dict)
    default: OperatorSpec = OperatorSpec(operator="redact")
    columns: tuple[ColumnRule, ...] = ()
    undeclared: Literal["classify", "scan", "keep", "drop"] = "classify"
    sample_rows: int = Field(default=200, ge=1, le=100_000)
    k_anonymity: KAnonymity | None = None

    @field_validator("entities", "deny_list")
    @classmethod
    def _known_entities(cls, value: Mapping[str, Any]) -> Mapping[str, Any]:
        for entity in value:
            _check_entity(entity)
        return value

    @model_validator(mode="after")
    def _columns_unique(self) -> Policy:
        seen: set[str] = set()
        for index, rule in enumerate(self.columns):
            for header in rule.headers:
                if header in seen:
                    raise _LocatedError(f"column {header!r} is declared twice", ("columns", index))
                seen.add(header)
        if self.k_anonymity and not any(r.quasi_identifier for r in self.columns):
            raise _LocatedError(
                "k_anonymity needs at least one column with quasi_identifier: true",
                ("k_anonymity",),
            )
        return self

    def operator_for(self, entity: str) -> OperatorSpec:
        """The operator for a span or column of type ``entity``."""
        return self.entities.get(entity, self.default)

    def column(self, header: str) -> ColumnRule | None:
        """The rule declared for ``header``, if any."""
        for rule in self.columns:
            if header in rule.headers:
                return rule
        return None

    @property
    def quasi_identifiers(self) -> tuple[str, ...]:
        """Headers of the quasi-identifier columns (first header of each rule)."""
        return tuple(r.headers[0] for r in self.columns if r.quasi_identifier)

    @property
    def digest(self) -> str:
        """SHA-256 of the policy's canonical JSON: equal policies, equal digest."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _check_entity(entity: str) -> None:
    from recognizers import ENTITIES

    if entity not in ENTITIES:
        raise ValueError(f"unknown entity {entity!r}; known: {', '.join(ENTITIES)}")


# -- YAML with positions -------------------------------------------------------

Path_ = tuple[str | int, ...]


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int], source: str) -> Any:
    """Turn a composed YAML node into plain data, recording each path's line."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = yaml.safe_load(yaml.serialize(key_node))
            if not isinstance(key, str):
                raise PolicyError(f"{source}:{key_node.start_mark.line + 1}: keys must be text")
            if key in out:
                raise PolicyError(f"{source}:{key_node.start_mark.line + 1}: duplicate key {key!r}")
            out[key] = _construct(value_node, (*path, key), lines, source)
            lines[(*path, key)] = key_node.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(v, (*path, i), lines, source) for i, v in enumerate(node.value)]
    return yaml.safe_load(yaml.serialize(node))


def _dotted(loc: Path_) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(msg: str) -> str:
    return msg.removeprefix("Value error, ")


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Parse and validate policy YAML.

    Args:
        text: the YAML document.
        source: the file name used in error messages.

    Raises:
        PolicyError: with ``source:line: key: what is wrong``.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise PolicyError(f"{source}{line}: invalid YAML: {exc.problem or exc.context}") from None
    if node is None:
        raise PolicyError(f"{source}: the policy is empty")
    lines: dict[Path_, int] = {}
    data = _construct(node, (), lines, source)
    if not isinstance(data, dict):
        raise PolicyError(f"{source}:1: a policy is a mapping of keys (name, data_class, ...)")
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_input=False, include_url=False):
            cause = err.get("ctx", {}).get("error")
            loc = cause.loc if isinstance(cause, _LocatedError) else err["loc"]
            loc = tuple(p for p in loc if not (isinstance(p, str) and p.startswith("function-")))
            lineno = next((lines[loc[:i]] for i in range(len(loc), -1, -1) if loc[:i] in lines), 1)
            problems.append(f"{source}:{lineno}: {_dotted(loc)}: {_message(err['msg'])}")
        raise PolicyError("\n".join(problems)) from None


def read_policy(name_or_path: str | Path) -> Policy:
    """Load a built-in policy by name (``open``) or a policy file by path.

    Raises:
        PolicyError: the file is invalid (with file, line and key).
        ConfigError: there is no such built-in policy or file.
    """
    from policies import builtin_names, builtin_path

    text_name = str(name_or_path)
    path = builtin_path(text_name) if text_name in builtin_names() else Path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"no policy {text_name!r}: not a built-in ({', '.join(builtin_names())}) nor a file"
        ) from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: not UTF-8 text") from None
    except OSError as exc:  # a folder, no permission, ...
        raise ConfigError(f"cannot read policy {path}: {exc.strerror}") from None
    return parse_policy(text, str(path))
