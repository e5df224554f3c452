"""Reverse the reversible operators of a release, with the key (``desens reidentify``).

Two operators can be reversed by whoever holds the key ring:

- ``encrypt``: its tokens (``enc:<key id>:<base64>``) name the key id, so they
  are found and decrypted wherever they are: a whole cell, or a span inside
  free text or a JSONL string;
- ``fpe``: its outputs look like real identifiers and carry no key id, so they
  are reversed only where the release put them, with the policy's parameters:

  * whole cells of the columns the policy declares with ``fpe`` (by header, or
    through the declared entity's operator);
  * with the release report (:func:`read_release_report`), also the columns
    the release detected as a type whose operator is ``fpe``; the report
    also names the key id of the release, used for ``fpe`` without a
    ``key_id`` parameter, and must come from the same policy (digest);
  * inside free text (a text line, the JSONL text field, a scanned column),
    the spans the analyzer finds again, at the policy's threshold and with
    its allow and deny lists, whose entity's operator is ``fpe``. An ``fpe``
    output keeps the format and check digit of its input, so it is found as
    the input was; spans overlapping an ``encrypt`` token are left to the
    token. A scanned column is one the report says was scanned; without a
    report, one the policy declares ``scan: true``, or any undeclared
    column when the policy's ``undeclared`` is ``scan`` (with ``classify``,
    which columns were scanned is known only from the report).

  The count of reversed values is reported. ``fpe`` decrypts any value of the
  right shape, so a found span that was never encrypted (a policy that is not
  the release's, or an identifier the release left in clear because its
  operator was not ``fpe``) would come back wrong: the policy and, for
  tables, the report must be the release's.

Inputs: CSV, TSV and Parquet (through :mod:`desens.tables`), JSONL (each line
an object; every string, nested too, is searched for tokens; top-level fields
are columns) and plain text (``.txt``: every line is free text). A token the
key ring cannot decrypt raises :class:`~desens.errors.WrongKeyError`; the
output is written atomically, so then nothing is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desens.analyzer import DesensAnalyzer, build_analyzer
from desens.anonymizer import TextAnonymizer
from desens.atomic import atomic_output
from desens.errors import BadRecordError, ConfigError, InputError
from desens.keys import KeyRing
from desens.operators import DecryptParams, FpeParams, decrypt, fpe_decrypt
from desens.policy import Policy
from desens.records import chunked, parse_json_object, read_lines
from desens.tables import format_of, open_reader, open_writer

__all__ = [
    "TEXT_SUFFIXES",
    "Reidentifier",
    "ReidentifyResult",
    "ReleaseInfo",
    "Reversal",
    "policy_reversals",
    "read_release_report",
    "reidentify_file",
]

#: Extensions read as plain text (every line is free text).
TEXT_SUFFIXES = frozenset({".txt", ".text", ".log"})
#: Rows reversed together (free text is analyzed a batch at a time).
BATCH_ROWS = 1000
#: ``fpe`` needs six digits; a text with fewer holds no ``fpe`` output.
_SIX_DIGITS = re.compile(r"\d(?:\D*\d){5}")


@dataclass(frozen=True)
class Reversal:
    """How one column of a release is reversed (``encrypt`` tokens always are).

    Attributes:
        fpe: the ``fpe`` parameters when every cell was encrypted whole.
        entity: the column's entity type (the FF1 tweak of ``fpe``).
        scan: the column is free text: ``fpe`` spans found in it are reversed.
    """

    fpe: FpeParams | None = None
    entity: str | None = None
    scan: bool = False


@dataclass(frozen=True)
class ReleaseInfo:
    """What ``desens reidentify`` needs from a release report."""

    key_id: str | None
    columns: Mapping[str, Reversal]


@dataclass
class ReidentifyResult:
    """What a run reversed: counts and the key ids used (never values)."""

    rows: int = 0
    tokens: int = 0
    fpe_values: int = 0
    key_ids: set[str] = field(default_factory=set)
    #: Undeclared columns that may hold ``fpe`` output only the report can place.
    unplaced_columns: list[str] = field(default_factory=list)


def _with_key(params: dict[str, Any], key_id: str | None) -> FpeParams:
    if key_id is not None and not params.get("key_id"):
        params = {**params, "key_id": key_id}
    return FpeParams(**params)


def policy_reversals(policy: Policy, key_id: str | None = None) -> dict[str, Reversal]:
    """The columns the policy declares, as far as reversing goes."""
    out: dict[str, Reversal] = {}
    for rule in policy.columns:
        if rule.scan:
            reversal = Reversal(scan=True)
        else:
            if rule.operator is not None:
                name, params = rule.operator, rule.params
            elif rule.entity is not None:
                spec = policy.operator_for(rule.entity)
                name, params = spec.operator, spec.params
            else:
                continue
            reversal = (
                Reversal(fpe=_with_key(params, key_id), entity=rule.entity)
                if name == "fpe"
                else Reversal()
            )
        for header in rule.headers:
            out[header] = reversal
    return out


def read_release_report(path: Path, policy: Policy, keys: KeyRing) -> ReleaseInfo:
    """Read a release report: the key id and what happened to each column.

    Raises:
        ConfigError: the file is not a release report, or it was made with
            another policy (digest).
        WrongKeyError: the key ring does not hold the release's key.
    """
    where = str(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        digest = report["policy"]["digest"]
        name = report["policy"]["name"]
        key_id = report["key_id"]
        columns = [
            (c["column"], c["action"], c["entity"], c["operator"]) for c in report["columns"]
        ]
    except OSError as exc:
        raise ConfigError(f"cannot read the release report {where}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError):
        raise ConfigError(
            f"{where} is not a desens release report (policy, key_id and columns are needed)"
        ) from None
    if digest != policy.digest:
        raise ConfigError(
            f"{where}: the release used policy {name!r} (digest {str(digest)[:12]}), not "
            f"{policy.name!r} (digest {policy.digest[:12]}); pass the release's policy"
        )
    if key_id is not None:
        keys.get(key_id)  # WrongKeyError, naming the ring, when it lacks the release's key
    declared = policy_reversals(policy, key_id)
    out: dict[str, Reversal] = {}
    for header, action, entity, operator in columns:
        if action == "scan":
            out[header] = Reversal(scan=True)
        elif action == "operator" and operator == "fpe":
            known = declared.get(header)
            if known is not None and known.fpe is not None:
                out[header] = known
            else:  # detected by sampling: the policy's operator for its type
                out[header] = Reversal(
                    fpe=_with_key(policy.operator_for(entity).params, key_id), entity=entity
                )
        else:
            out[header] = Reversal()
    return ReleaseInfo(key_id, out)


class Reidentifier:
    """Reverse ``encrypt`` tokens anywhere and ``fpe`` where the release put it.

    Args:
        policy: the policy the data was released with.
        keys: the key ring it was released with.
        release: the release report's reading; without it, columns are
            known from the policy alone (see the module docstring).
        analyzer: finds ``fpe`` spans in free text; built when first needed
            (only policies whose entity operators include ``fpe`` need one).
    """

    def __init__(
        self,
        policy: Policy,
        keys: KeyRing,
        release: ReleaseInfo | None = None,
        analyzer: DesensAnalyzer | None = None,
    ) -> None:
        self.policy = policy
        self.keys = keys
        self.result = ReidentifyResult()
        self.release = release
        self._key_id = release.key_id if release is not None else None
        self.columns: dict[str, Reversal] = (
            dict(release.columns) if release is not None else policy_reversals(policy)
        )
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
        #: Whether free text can hold ``fpe`` output (an entity operator is ``fpe``).
        self.fpe_in_text = any(s.operator == "fpe" for s in specs)
        self._analyzer = analyzer
        self._finder: TextAnonymizer | None = None
        self._span_params: dict[str, FpeParams] = {}

    @property
    def fpe_columns(self) -> dict[str, Reversal]:
        """The columns whose cells were encrypted whole with ``fpe``."""
        return {h: r for h, r in self.columns.items() if r.fpe is not None}

    def reversal(self, column: str) -> Reversal:
        """How ``column`` is reversed (tokens only when nothing more is known)."""
        known = self.columns.get(column)
        if known is not None:
            return known
        if self.release is None and self.policy.undeclared == "scan":
            return Reversal(scan=True)
        return Reversal()

    # -- free text -----------------------------------------------------------

    def text(self, value: str, context: Sequence[str] = ()) -> str:
        """``value`` with every ``encrypt`` token and ``fpe`` span reversed."""
        return self.texts([value], context)[0]

    def texts(self, values: Sequence[str], context: Sequence[str] = ()) -> list[str]:
        """Free texts, reversed together (the analyzer runs once for the batch)."""
        found: dict[int, list[tuple[int, int, str]]] = {}
        if self.fpe_in_text:
            todo = [i for i, v in enumerate(values) if _SIX_DIGITS.search(v)]
            if todo:
                finder = self._get_finder()
                results = finder.find([values[i] for i in todo], context)
                for i, spans in zip(todo, results, strict=True):
                    try:
                        found[i] = self._fpe_spans(values[i], spans)
                    except InputError as exc:
                        raise _Unreversible(i, str(exc)) from None
        return [self._restore(v, found.get(i, ())) for i, v in enumerate(values)]

    def tokens(self, value: str) -> str:
        """``value`` with every ``encrypt`` token decrypted (no ``fpe`` search)."""
        return self._token.sub(self._decrypt, value)

    def _get_finder(self) -> TextAnonymizer:
        if self._finder is None:
            if self._analyzer is None:
                self._analyzer = build_analyzer()
            self._finder = TextAnonymizer(self.policy, self._analyzer, self.keys)
        return self._finder

    def _fpe_spans(self, text: str, results: Sequence[Any]) -> list[tuple[int, int, str]]:
        tokens = [m.span() for m in self._token.finditer(text)]
        out = []
        for r in results:
            params = self._params_for(r.entity_type)
            if params is None or any(r.start < e and s < r.end for s, e in tokens):
                continue
            try:
                plain = fpe_decrypt(text[r.start : r.end], params, self.keys, r.entity_type)
            except InputError as exc:
                raise InputError(
                    f"a {r.entity_type} found in the text is not an fpe output: {exc}"
                ) from None
            self.result.fpe_values += 1
            self.result.key_ids.add(params.key_id or self.keys.default_id)
            out.append((r.start, r.end, plain))
        return out

    def _params_for(self, entity: str) -> FpeParams | None:
        params = self._span_params.get(entity)
        if params is None:
            spec = self.policy.operator_for(entity)
            if spec.operator != "fpe":
                return None
            params = self._span_params[entity] = _with_key(spec.params, self._key_id)
        return params

    def _restore(self, text: str, spans: Sequence[tuple[int, int, str]]) -> str:
        if not spans:
            return self.tokens(text)
        pieces: list[str] = []
        end = len(text)
        for start, stop, plain in sorted(spans, reverse=True):
            pieces.append(self.tokens(text[stop:end]))
            pieces.append(plain)
            end = start
        pieces.append(self.tokens(text[:end]))
        return "".join(reversed(pieces))

    def _decrypt(self, match: re.Match[str]) -> str:
        token = match.group(0)
        plain = decrypt(token, DecryptParams(prefix=match["prefix"]), self.keys)
        self.result.tokens += 1
        self.result.key_ids.add(token.split(":", 2)[1])
        return plain

    # -- tables --------------------------------------------------------------

    def cell(self, column: str, value: Any) -> Any:
        """One table cell, reversed as its column says."""
        return self.column(column, [value])[0]

    def column(self, column: str, values: Sequence[Any]) -> list[Any]:
        """A column's cells of a batch of rows, reversed as the column says.

        Raises:
            InputError: a cell the column's ``fpe`` cannot decrypt (its shape
                is wrong: not the release's output); the caller adds the row.
        """
        how = self.reversal(column)
        idx = [i for i, v in enumerate(values) if isinstance(v, str) and v]
        out = list(values)
        if how.fpe is not None:
            for i in idx:
                try:
                    out[i] = fpe_decrypt(values[i], how.fpe, self.keys, how.entity)
                except InputError as exc:
                    raise _Unreversible(i, f"not an fpe output: {exc}") from None
            if idx:
                self.result.fpe_values += len(idx)
                self.result.key_ids.add(how.fpe.key_id or self.keys.default_id)
        elif how.scan:
            try:
                texts = self.texts([values[i] for i in idx], [column])
            except _Unreversible as exc:
                raise _Unreversible(idx[exc.index], exc.reason) from None
            for i, new in zip(idx, texts, strict=True):
                out[i] = new
        else:
            for i in idx:
                out[i] = self.tokens(values[i])
        return out

    def nested(self, value: Any) -> Any:
        """Every string inside a JSON value, tokens decrypted."""
        if isinstance(value, str):
            return self.tokens(value)
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
    report: Path | None = None,
    text_field: str = "text",
    analyzer: DesensAnalyzer | None = None,
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
        report: the release report of a table (see :func:`read_release_report`).
        text_field: JSONL: the field ``desens anonymize`` changed; free text
            unless the policy or the report says otherwise.
        analyzer: finds ``fpe`` spans in free text (built when needed).

    Raises:
        WrongKeyError: a token or value the key ring cannot decrypt; nothing
            is written.
        ConfigError: the report is not one, or not of this policy.
        InputError: the input cannot be read, or a value of an ``fpe`` column
            or span cannot be an ``fpe`` output (file, row and column named).
    """
    release = read_release_report(report, policy, keys) if report is not None else None
    worker = Reidentifier(policy, keys, release, analyzer)
    source = str(input)
    kind = _kind(input, fmt)
    if kind == "text":
        with input.open("rb") as raw, atomic_output(output, newline="") as out:
            for batch in chunked(read_lines(raw, source), BATCH_ROWS):
                worker.result.rows += len(batch)
                try:
                    texts = worker.texts([line.text for line in batch])
                except _Unreversible as exc:
                    raise BadRecordError(source, batch[exc.index].line, exc.reason) from None
                out.writelines(text + "\n" for text in texts)
    elif kind == "jsonl":
        if text_field not in worker.columns:
            worker.columns[text_field] = Reversal(scan=True)
        with input.open("rb") as raw, atomic_output(output, newline="") as out:
            for objs in chunked(_json_objects(raw, source), BATCH_ROWS):
                worker.result.rows += len(objs)
                for restored in _jsonl_batch(worker, objs, source):
                    out.write(json.dumps(restored, ensure_ascii=False) + "\n")
    else:
        with open_reader(input, kind, encoding) as reader:
            header = reader.header
            if release is None and worker.fpe_in_text and policy.undeclared == "classify":
                worker.result.unplaced_columns = [h for h in header if h not in worker.columns]
            schema = getattr(reader, "arrow_schema", None)
            types = [f.type for f in schema] if schema is not None else None
            with open_writer(output, header, output_format, types) as writer:
                for rows in chunked(reader.rows(), BATCH_ROWS):
                    worker.result.rows += len(rows)
                    columns = []
                    for c, name in enumerate(header):
                        try:
                            columns.append(worker.column(name, [row[1][c] for row in rows]))
                        except _Unreversible as exc:
                            raise BadRecordError(
                                source, rows[exc.index][0], f"column {name!r}: {exc.reason}", c + 1
                            ) from None
                    writer.write_rows([list(row) for row in zip(*columns, strict=True)])
    return worker.result


def _jsonl_batch(
    worker: Reidentifier, objs: Sequence[tuple[int, dict[str, Any]]], source: str
) -> list[dict[str, Any]]:
    """A batch of JSONL objects: top-level strings by column, the rest tokens only."""
    restored = [dict(obj) for _, obj in objs]
    cells: dict[str, list[int]] = {}
    for n, obj in enumerate(restored):
        for key, value in obj.items():
            if isinstance(value, str):
                cells.setdefault(key, []).append(n)
            else:
                obj[key] = worker.nested(value)
    for key, rows in cells.items():
        try:
            values = worker.column(key, [restored[n][key] for n in rows])
        except _Unreversible as exc:
            line = objs[rows[exc.index]][0]
            raise BadRecordError(source, line, f"field {key!r}: {exc.reason}") from None
        for n, value in zip(rows, values, strict=True):
            restored[n][key] = value
    return restored


def _json_objects(raw: Any, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for line in read_lines(raw, source):
        if line.text.strip():
            yield line.line, parse_json_object(line.text, source, line.line)


class _Unreversible(InputError):
    """A value that cannot be an ``fpe`` output, at ``index`` in its batch."""

    def __init__(self, index: int, reason: str) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason
