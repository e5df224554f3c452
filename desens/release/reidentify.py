"""Reverse the reversible operators of a release, with the key (``desens reidentify``).

Two operators can be reversed by whoever holds the key ring:

- ``encrypt``: its tokens (``enc:<key id>:<base64>``) name the key id, so they
  are found and decrypted wherever they are: a whole cell, or a span inside
  free text or a JSONL string;
- ``fpe``: its outputs look like real identifiers and carry no key id, so only
  the columns the policy declares with ``fpe`` (by header, or through the
  declared entity's operator) are decrypted, with the policy's parameters.
  Format-preserving pseudonyms inside scanned free text are not reversed.

Inputs: CSV, TSV and Parquet (through :mod:`desens.tables`), JSONL (each line
an object; every string, nested too, is searched for tokens; top-level fields
named like an ``fpe`` column are decrypted) and plain text (``.txt``: tokens
only). A token the key ring cannot decrypt raises
:class:`~desens.errors.WrongKeyError`; the output is written atomically, so
then nothing is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desens.atomic import atomic_output
from desens.errors import BadRecordError
from desens.keys import KeyRing
from desens.operators import DecryptParams, FpeParams, decrypt, fpe_decrypt
from desens.policy import Policy
from desens.records import read_lines
from desens.tables import format_of, open_reader, open_writer

__all__ = ["TEXT_SUFFIXES", "Reidentifier", "ReidentifyResult", "reidentify_file"]

#: Extensions read as plain text (tokens only).
TEXT_SUFFIXES = frozenset({".txt", ".text", ".log"})


@dataclass
class ReidentifyResult:
    """What a run reversed: counts and the key ids used (never values)."""

    rows: int = 0
    tokens: int = 0
    fpe_values: int = 0
    key_ids: set[str] = field(default_factory=set)


class Reidentifier:
    """Reverse ``encrypt`` tokens anywhere and ``fpe`` in the policy's columns.

    Args:
        policy: the policy the data was released with.
        keys: the key ring it was released with.
    """

    def __init__(self, policy: Policy, keys: KeyRing) -> None:
        self.keys = keys
        self.result = ReidentifyResult()
        specs = [*policy.entities.values(), policy.default]
        prefixes = {"enc"} | {
            str(s.params.get("prefix", "enc")) for s in specs if s.operator == "encrypt"
        }
        prefixes |= {
            str(r.params.get("prefix", "enc")) for r in policy.columns if r.operator == "encrypt"
        }
        alternatives = "|".join(sorted(map(re.escape, prefixes), key=len, reverse=True))
        self._token = re.compile(
            rf"(?<![A-Za-z0-9_])(?P<prefix>{alternatives}):[A-Za-z0-9_.-]{{1,64}}:[A-Za-z0-9_-]+"
        )
        self.fpe_columns: dict[str, tuple[FpeParams, str | None]] = {}
        for rule in policy.columns:
            if rule.scan:
                continue
            if rule.operator is not None:
                name, params = rule.operator, rule.params
            elif rule.entity is not None:
                spec = policy.operator_for(rule.entity)
                name, params = spec.operator, spec.params
            else:
                continue
            if name == "fpe":
                for header in rule.headers:
                    self.fpe_columns[header] = (FpeParams(**params), rule.entity)

    def text(self, value: str) -> str:
        """``value`` with every ``encrypt`` token decrypted."""
        return self._token.sub(self._decrypt, value)

    def _decrypt(self, match: re.Match[str]) -> str:
        token = match.group(0)
        plain = decrypt(token, DecryptParams(prefix=match["prefix"]), self.keys)
        self.result.tokens += 1
        self.result.key_ids.add(token.split(":", 2)[1])
        return plain

    def cell(self, column: str, value: Any) -> Any:
        """One table cell: ``fpe`` reversed in its columns, tokens everywhere."""
        if not isinstance(value, str) or not value:
            return value
        fpe = self.fpe_columns.get(column)
        if fpe is not None:
            params, entity = fpe
            self.result.fpe_values += 1
            self.result.key_ids.add(params.key_id or self.keys.default_id)
            return fpe_decrypt(value, params, self.keys, entity)
        return self.text(value)

    def nested(self, value: Any) -> Any:
        """Every string inside a JSON value, tokens decrypted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.nested(v) for v in value]
        if isinstance(value, dict):
            return {k: self.nested(v) for k, v in value.items()}
        return value


def _kind(path: Path, fmt: str | None) -> str:
    if fmt == "text" or (fmt is None and path.suffix.lower() in TEXT_SUFFIXES):
        return "text"
    return format_of(path, fmt)


def reidentify_file(
    input: Path,
    output: Path,
    policy: Policy,
    keys: KeyRing,
    *,
    fmt: str | None = None,
    output_format: str | None = None,
    encoding: str | None = None,
) -> ReidentifyResult:
    """Reverse a released file into ``output`` (written atomically).

    Args:
        input: the released table, JSONL or text.
        output: where the restored data goes.
        policy: the policy of the release.
        keys: the key ring of the release.
        fmt: the input format (``csv``, ``tsv``, ``jsonl``, ``parquet``,
            ``text``); by extension when None.
        output_format: for tables, the output format (by extension when None).
        encoding: for CSV/TSV input, the encoding (detected when None).

    Raises:
        WrongKeyError: a token or value the key ring cannot decrypt; nothing
            is written.
        InputError: the input cannot be read (file, row and column named).
    """
    worker = Reidentifier(policy, keys)
    kind = _kind(input, fmt)
    if kind == "text":
        with input.open("rb") as raw, atomic_output(output, newline="") as out:
            for line in read_lines(raw, str(input)):
                worker.result.rows += 1
                out.write(worker.text(line.text) + "\n")
    elif kind == "jsonl":
        with input.open("rb") as raw, atomic_output(output, newline="") as out:
            for obj in _json_objects(raw, str(input)):
                worker.result.rows += 1
                restored = {
                    k: worker.cell(k, v) if isinstance(v, str) else worker.nested(v)
                    for k, v in obj.items()
                }
                out.write(json.dumps(restored, ensure_ascii=False) + "\n")
    else:
        with open_reader(input, kind, encoding) as reader:
            schema = getattr(reader, "arrow_schema", None)
            types = [f.type for f in schema] if schema is not None else None
            with open_writer(output, reader.header, output_format, types) as writer:
                header = reader.header
                for _, values in reader.rows():
                    worker.result.rows += 1
                    writer.write_rows(
                        [[worker.cell(c, v) for c, v in zip(header, values, strict=True)]]
                    )
    return worker.result


def _json_objects(raw: Any, source: str) -> Iterator[dict[str, Any]]:
    for line in read_lines(raw, source):
        if not line.text.strip():
            continue
        try:
            obj = json.loads(line.text)
        except json.JSONDecodeError as exc:
            raise BadRecordError(source, line.line, f"invalid JSON: {exc.msg}", exc.colno) from None
        if not isinstance(obj, dict):
            raise BadRecordError(source, line.line, "expected a JSON object")
        yield obj
