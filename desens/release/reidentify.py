"""Reverse the reversible operators of a release, with the key (``desens reidentify``).

Two operators can be reversed by whoever holds the key ring:

- ``encrypt``: its tokens (``enc:<key id>:<base64>``) name the key id, so they
  are found and decrypted wherever they are: a whole cell, or a span inside
  free text or a JSONL string. Inside free text a token may run straight
  into the next one, or into ASCII letters and digits (``enc:k1:...138****5678``
  after a name written next to a masked phone), and a prefix may come before
  it (``tel:tel:k1:...``): the token is the length of the run that decrypts
  (:func:`~desens.operators.encrypt.decrypt_run`; AES-SIV authenticates, so
  only the token's own length does). A run that does not decrypt is an
  error (wrong key), unless it starts inside an ASCII word, where plain text
  such as ``xenc:a:b`` can stand: it is left as it is and counted.
- ``fpe``: its outputs look like real identifiers, carry no key id, and
  ``fpe`` decrypts any value of the right shape, so a wrong key or a column
  that was never encrypted would give wrong values without an error. It is
  reversed only with the release report (:func:`read_release_report`), in
  whole columns: those the policy declares with ``fpe`` and those the
  release classified as a type whose operator is ``fpe``. The report must be
  the one of the file being reversed (its ``output_sha256``; the report of a
  failed run names no output) and of the same policy (digest), and names the
  fingerprint of every key the release used: another key under the same id
  is an error. Its key id is used for ``fpe`` without a ``key_id``.

  ``fpe`` outputs inside free text are reversed by position: the release
  writes where each stands in the span file next to its output
  (:mod:`desens.release.fpe_spans`), which the report names with its
  SHA-256. Without the span file they cannot be told from identifiers the
  release left alone (re-detecting them is not exact: other operators change
  the text around a span, and a pseudonym need not be recognized as its
  input was), so ``desens anonymize`` output's stay as they are.

The run's ``notes`` say, in counts, what may have been left as released.
Inputs: CSV, TSV and Parquet (through :mod:`desens.tables`), JSONL (each line
an object; every string, nested too, is searched for tokens; top-level fields
are columns) and plain text (``.txt``: tokens only). JSONL without a report
may be ``desens anonymize`` output, whose other fields were never changed:
tokens only. A token the key ring cannot decrypt raises
:class:`~desens.errors.WrongKeyError`; the output is written atomically, so
then nothing is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desens.atomic import atomic_output
from desens.errors import BadRecordError, ConfigError, InputError, WrongKeyError
from desens.keys import KeyRing
from desens.operators import FpeParams, decrypt_run, fpe_decrypt
from desens.operators.encrypt import TOKEN_PATTERN
from desens.policy import Policy
from desens.records import chunked, parse_json_object, read_lines
from desens.release.fpe_spans import Spans, read_spans
from desens.tables import file_sha256, format_of, open_reader, open_writer

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

#: Extensions read as plain text (tokens only).
TEXT_SUFFIXES = frozenset({".txt", ".text", ".log"})
#: Rows reversed together.
BATCH_ROWS = 1000
#: Shortest token body: base64 of the 16-byte SIV tag and one byte.
_MIN_BODY = 23
#: Distinct fpe values remembered per column.
_FPE_CACHE = 100_000


@dataclass(frozen=True)
class Reversal:
    """How the cells of one column are reversed (``encrypt`` tokens always are).

    Attributes:
        fpe: the ``fpe`` parameters when every cell was encrypted whole.
        entity: the column's entity type (the FF1 tweak of ``fpe``).
    """

    fpe: FpeParams | None = None
    entity: str | None = None


@dataclass(frozen=True)
class ReleaseInfo:
    """What ``desens reidentify`` takes from a release report."""

    key_id: str | None
    columns: Mapping[str, Reversal]
    #: Columns the release scanned as free text.
    scanned: tuple[str, ...] = ()
    #: Key ids of the ring whose fingerprints the report confirmed.
    key_ids: tuple[str, ...] = ()
    #: The released file's format (``csv``, ``tsv``, ``jsonl``, ``parquet``).
    format: str | None = None
    #: The span file of fpe outputs in free text and its SHA-256, when the
    #: release wrote one (:mod:`desens.release.fpe_spans`).
    spans: tuple[Path, str] | None = None
    #: The report says whether there are fpe spans (reports before span
    #: files did not).
    spans_known: bool = True


@dataclass
class ReidentifyResult:
    """What a run reversed: counts and the key ids used (never values)."""

    rows: int = 0
    tokens: int = 0
    fpe_values: int = 0
    key_ids: set[str] = field(default_factory=set)
    #: Token-like runs inside ASCII words that did not decrypt (left as they are).
    undecrypted: int = 0
    #: Tokens of a prefix the policy's encrypt does not write (left as they are).
    foreign: int = 0
    #: What may have been left as released, and why (no values).
    notes: list[str] = field(default_factory=list)


def _with_key(params: Mapping[str, Any], key_id: str | None) -> FpeParams:
    if key_id is not None and not params.get("key_id"):
        params = {**params, "key_id": key_id}
    return FpeParams(**params)


def policy_reversals(policy: Policy, key_id: str | None = None) -> dict[str, Reversal]:
    """The columns the policy declares, as far as reversing goes."""
    out: dict[str, Reversal] = {}
    for rule in policy.columns:
        name, params = None, {}
        if rule.operator is not None:
            name, params = rule.operator, rule.params
        elif rule.entity is not None:
            spec = policy.operator_for(rule.entity)
            name, params = spec.operator, spec.params
        reversal = (
            Reversal(fpe=_with_key(params, key_id), entity=rule.entity)
            if name == "fpe"
            else Reversal()
        )
        for header in rule.headers:
            out[header] = reversal
    return out


def read_release_report(
    path: Path, policy: Policy, keys: KeyRing, released: Path | None = None
) -> ReleaseInfo:
    """Read a release report: the key and what happened to each column.

    Args:
        path: the report.
        policy: the policy the data was released with.
        keys: the key ring.
        released: the file to be reversed; it must be the report's output.

    Raises:
        ConfigError: the file is not a release report, is the report of a
            failed run or of another output, or was made with another policy.
        WrongKeyError: the key ring lacks the release's key, or holds another
            key under its id (when the report has the key's fingerprint).
    """
    where = str(path)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        digest = report["policy"]["digest"]
        name = report["policy"]["name"]
        key_id = report["key_id"]
        fingerprints = report.get("key_fingerprints") or {}
        if not isinstance(fingerprints, dict):
            raise TypeError
        output_sha256 = report["output_sha256"]
        out_format = (report.get("output") or {}).get("format")
        span_file = report.get("fpe_spans")
        spans_known = "fpe_spans" in report
        if span_file is not None:
            span_file = (Path(str(span_file["file"])).name, str(span_file["sha256"]))
        columns = [
            (c["column"], c["action"], c["entity"], c["operator"]) for c in report["columns"]
        ]
    except OSError as exc:
        raise ConfigError(f"cannot read the release report {where}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ConfigError(
            f"{where} is not a desens release report (policy, key_id, output_sha256 and "
            "columns are needed)"
        ) from None
    if digest != policy.digest:
        raise ConfigError(
            f"{where}: the release used policy {name!r} (digest {str(digest)[:12]}), not "
            f"{policy.name!r} (digest {policy.digest[:12]}); pass the release's policy"
        )
    if output_sha256 is None:
        raise ConfigError(f"{where} is the report of a failed release: it wrote no output")
    if released is not None and file_sha256(released) != output_sha256:
        raise ConfigError(
            f"{where} is not the report of {released}: the output it describes has another "
            "SHA-256 (was the file changed?); pass the report written with this file "
            "(--report), or --no-report to reverse encrypt tokens only"
        )
    for kid, fingerprint in fingerprints.items():
        if kid in keys and keys.get(kid).fingerprint() != fingerprint:
            raise WrongKeyError(
                f"key {kid!r} of the key ring from {keys.source} is not the key the release "
                f"used (fingerprint {fingerprint}, the ring's is {keys.get(kid).fingerprint()})"
            )
    declared = policy_reversals(policy, key_id)
    out: dict[str, Reversal] = {}
    for header, action, entity, operator in columns:
        if action == "operator" and operator == "fpe":
            known = declared.get(header)
            if known is not None and known.fpe is not None:
                out[header] = known
            else:  # classified by sampling: the policy's operator for its type
                out[header] = Reversal(
                    fpe=_with_key(policy.operator_for(entity).params, key_id), entity=entity
                )
        else:
            out[header] = Reversal()
    spans = None
    pinned = {r.fpe.key_id or keys.default_id for r in out.values() if r.fpe}
    if span_file is not None:
        folder = (released or path).parent
        spans = (folder / span_file[0], span_file[1])
        specs = [*policy.entities.values(), policy.default]
        pinned |= {
            _with_key(s.params, key_id).key_id or keys.default_id
            for s in specs
            if s.operator == "fpe"
        }
    # fpe decrypts any value of the right shape: its key must be pinned.
    for kid in sorted(pinned):
        keys.get(kid)  # WrongKeyError, naming the ring, when it lacks the key
        if kid not in fingerprints:
            raise ConfigError(
                f"{where} names no fingerprint for key {kid!r}, which its fpe columns need "
                "(an older desens wrote it): release again, or pass --no-report to reverse "
                "encrypt tokens only"
            )
    scanned = tuple(header for header, action, _, _ in columns if action == "scan")
    verified = tuple(k for k in fingerprints if k in keys)
    return ReleaseInfo(key_id, out, scanned, verified, out_format, spans, spans_known)


class Reidentifier:
    """Reverse ``encrypt`` tokens anywhere and ``fpe`` in the columns known to hold it.

    Args:
        policy: the policy the data was released with.
        keys: the key ring it was released with.
        release: the release report's reading; without it, ``encrypt``
            tokens only (see the module docstring).
    """

    def __init__(self, policy: Policy, keys: KeyRing, release: ReleaseInfo | None = None) -> None:
        self.policy = policy
        self.keys = keys
        self.release = release
        self.result = ReidentifyResult()
        # Without a report, no fpe: nothing would tell a wrong key.
        self.columns: dict[str, Reversal] = dict(release.columns) if release is not None else {}
        specs = [*policy.entities.values(), policy.default]
        prefixes = {"enc"} | {
            str(s.params.get("prefix", "enc")) for s in specs if s.operator == "encrypt"
        }
        prefixes |= {
            str(r.params.get("prefix", "enc")) for r in policy.columns if r.operator == "encrypt"
        }
        #: The prefixes the policy's ``encrypt`` writes, longest first.
        self._prefixes = sorted(prefixes, key=len, reverse=True)
        self._fpe_done: dict[str, dict[str, str]] = {}
        self._span_params: dict[str, FpeParams] = {}
        #: Key ids known to be right: the report checked their fingerprints,
        #: or they decrypted a token in this run.
        self._verified: set[str] = set(release.key_ids) if release is not None else set()

    def reversal(self, column: str) -> Reversal:
        """How ``column`` is reversed (tokens only when nothing more is known)."""
        return self.columns.get(column) or Reversal()

    def text(self, value: str) -> str:
        """``value`` with every ``encrypt`` token decrypted.

        A token is ``<prefix>:<key id>:<body>`` with a prefix the policy's
        ``encrypt`` writes (``enc`` and the policy's own). Its body may run
        on into ASCII text (the token is the length that decrypts) and a run
        that does not decrypt may hold a token further in (``tel:tel:k1:...``,
        a prefix written before a token): the search goes on inside it. A
        run that starts at a word boundary and does not decrypt is an error;
        one inside an ASCII word (``A0001enc:k1:...``, a code written next
        to a name) is a token only if it decrypts. Plain text such as
        ``note:a:b`` stays as it is. Counted, not replaced: runs long enough
        to be tokens that do not decrypt (``undecrypted``), and tokens of a
        prefix the policy does not write (``foreign``: another policy's;
        where such a token starts in the word before ``:`` is unknown).
        """
        pieces: list[str] = []
        pos = at = 0
        after_token = -1  # where the last token ended: a token may follow it directly
        failed: tuple[Exception, bool, int] | None = None  # error, strict, run's end
        while True:
            match = TOKEN_PATTERN.search(value, at)
            if failed is not None and (match is None or match.start() >= failed[2]):
                self._failed(failed[0], failed[1])
                failed = None
            if match is None:
                break
            start, prefix = self._start(match)
            in_word = start > 0 and start != after_token and _is_word(value[start - 1])
            found = self._decrypt(match)
            if prefix is None and not isinstance(found, Exception):
                # A token, but of a prefix this policy does not write: where
                # it starts in the word before ':' is not known. Left, counted.
                self.result.foreign += 1
                at = found[1]
                continue
            if isinstance(found, Exception):
                short = len(match["body"]) < _MIN_BODY
                if not short and not (in_word and prefix is None):
                    failed = failed or (found, prefix is not None and not in_word, match.end())
                elif short and prefix is not None and match["key_id"] in self.keys:
                    self.result.undecrypted += 1  # a token of this ring, cut short?
                # Starts inside the prefix word share this key id and body.
                at = match.start("key_id")
                continue
            failed = None  # a token inside the run: the run's start was text
            plain, end = found
            self.result.tokens += 1
            self.result.key_ids.add(match["key_id"])
            pieces.append(value[pos:start])
            pieces.append(plain)
            pos = at = after_token = end
        pieces.append(value[pos:])
        return "".join(pieces)

    def _start(self, match: re.Match[str]) -> tuple[int, str | None]:
        """Where the token starts, and its prefix when the policy writes it."""
        word = match["prefix"]
        for prefix in self._prefixes:
            if word.endswith(prefix):
                return match.start() + len(word) - len(prefix), prefix
        return match.start(), None

    def _decrypt(self, match: re.Match[str]) -> tuple[str, int] | Exception:
        """The token at ``match``: its value and where it ends, or why it does not decrypt."""
        key_id = match["key_id"]
        if len(match["body"]) < _MIN_BODY:
            return InputError("too short to be a token")
        if key_id not in self.keys:
            # Not quoted: the text of a run that is no token may be data.
            return WrongKeyError(
                f"a token names a key id that is not in the key ring from {self.keys.source} "
                f"(it holds: {', '.join(self.keys.ids)}); load the ring of the release"
            )
        opened = decrypt_run(match["body"], key_id, self.keys)
        if opened is None and key_id in self._verified:
            return InputError(
                f"a token does not decrypt under key {key_id!r}, which is the release's: "
                "the token was altered or cut"
            )
        if opened is None:
            return WrongKeyError(
                f"decrypt: key {key_id!r} of the key ring from {self.keys.source} does not "
                "decrypt a token: the ring holds a different key under that id, or the token "
                "was altered"
            )
        plain, length = opened
        self._verified.add(key_id)
        return plain, match.start("body") + length

    def _failed(self, error: Exception, strict: bool) -> None:
        if strict:
            raise error
        self.result.undecrypted += 1

    def column(self, column: str, values: Sequence[Any]) -> list[Any]:
        """A column's cells of a batch of rows, reversed as the column says.

        Raises:
            InputError: a cell that cannot be reversed (an ``fpe`` cell of the
                wrong shape, a malformed token), with its index in the batch
                (``_Unreversible``); the caller adds file, row and column.
        """
        how = self.reversal(column)
        out = list(values)
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value:
                continue
            try:
                if how.fpe is not None:
                    # fpe is deterministic: a value seen before is not decrypted again.
                    cache = self._fpe_done.setdefault(column, {})
                    plain = cache.get(value)
                    if plain is None:
                        plain = fpe_decrypt(value, how.fpe, self.keys, how.entity)
                        if len(cache) < _FPE_CACHE:
                            cache[value] = plain
                    out[i] = plain
                    self.result.fpe_values += 1
                    self.result.key_ids.add(how.fpe.key_id or self.keys.default_id)
                else:
                    out[i] = self.text(value)
            except WrongKeyError as exc:
                raise _Unreversible(i, str(exc), key=True) from None
            except InputError as exc:
                reason = str(exc).replace("to encrypt", "").replace("decrypt: ", "")
                if how.fpe is not None:
                    reason = f"not an fpe output of this policy: {reason}"
                raise _Unreversible(i, reason) from None
        return out

    def fpe_spans(self, value: Any, spans: Spans, index: int = 0) -> str:
        """``value`` with the ``fpe`` outputs at ``spans`` decrypted (span file positions).

        Raises:
            _Unreversible: a span that is not in the cell or not an fpe output
                of this policy, with ``index`` (the caller locates it).
        """
        if not isinstance(value, str):
            raise _Unreversible(index, "the span file names an fpe output in a cell with no text")
        key_id = self.release.key_id if self.release is not None else None
        pieces: list[str] = []
        end = len(value)
        for start, stop, entity in sorted(spans, reverse=True):
            spec = self.policy.operator_for(entity)
            if not 0 <= start < stop <= end or spec.operator != "fpe":
                raise _Unreversible(
                    index, f"the span file names an fpe output of {entity} the cell does not hold"
                )
            params = self._span_params.get(entity)
            if params is None:
                params = self._span_params[entity] = _with_key(spec.params, key_id)
            try:
                plain = fpe_decrypt(value[start:stop], params, self.keys, entity)
            except WrongKeyError as exc:
                raise _Unreversible(index, str(exc), key=True) from None
            except InputError as exc:
                raise _Unreversible(
                    index, f"the span file's fpe output of {entity} does not reverse: {exc}"
                ) from None
            pieces.append(value[stop:end])
            pieces.append(plain)
            end = start
            self.result.fpe_values += 1
            self.result.key_ids.add(params.key_id or self.keys.default_id)
        pieces.append(value[:end])
        return "".join(reversed(pieces))

    def nested(self, value: Any) -> Any:
        """Every string inside a JSON value, tokens decrypted."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.nested(v) for v in value]
        if isinstance(value, dict):
            return {k: self.nested(v) for k, v in value.items()}
        return value

    def note_unreversed(self, header: Sequence[str] | None, free_text: bool) -> None:
        """Say what this run may have left as released (counts, never values).

        Args:
            header: a table's columns or the JSONL fields; None for text.
            free_text: the input may be ``desens anonymize`` output (text, or
                JSONL without a report).
        """
        notes = self.result.notes
        if self.result.foreign:
            notes.append(
                f"{self.result.foreign} token(s) with a prefix this policy's encrypt does not "
                "write were left as they are: pass the policy of the release"
            )
        if self.result.undecrypted:
            notes.append(
                f"{self.result.undecrypted} token-like run(s) did not decrypt and were left as "
                "they are (plain text, or tokens of another key ring)"
            )
        policy = self.policy
        in_text = any(s.operator == "fpe" for s in (*policy.entities.values(), policy.default))
        in_columns = in_text or any(
            (r.operator or (policy.operator_for(r.entity).operator if r.entity else None)) == "fpe"
            for r in policy.columns
        )
        if self.release is None and in_columns and header is not None:
            notes.append(
                "fpe columns of a release are reversed only with its report, which pins the "
                "key: pass --report"
            )
        if not in_text:
            return
        if free_text or self.release is None:
            notes.append(
                "fpe inside free text is reversed only with a release report and its span file "
                "(desens anonymize output's is not; the policy's entities use fpe)"
            )
        elif not self.release.spans_known and any(h in self.release.scanned for h in header or ()):
            notes.append(
                "fpe inside free text is not reversed: the release report names no span file "
                "(an older desens wrote it)"
            )


def _is_word(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


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
) -> ReidentifyResult:
    """Reverse a released file into ``output`` (written atomically).

    Args:
        input: the released table, JSONL or text.
        output: where the restored data goes.
        policy: the policy of the release.
        keys: the key ring of the release.
        fmt: the input format (``csv``, ``tsv``, ``jsonl``, ``parquet``,
            ``text``); by extension when None.
        output_format: for tables, the output format (when None: by the
            output's extension, else the input's format).
        encoding: for CSV/TSV input, the encoding (detected when None).
        report: the release report of ``input`` (see :func:`read_release_report`).

    Raises:
        WrongKeyError: a token or value the key ring cannot decrypt, or a
            report naming a key the ring does not hold; nothing is written.
        ConfigError: the report is not one, or not of this file or policy.
        InputError: the input cannot be read, or a value cannot be reversed
            (file, row and column named).
    """
    release = read_release_report(report, policy, keys, input) if report is not None else None
    worker = Reidentifier(policy, keys, release)
    spans = _SpanCursor(release.spans if release is not None else None)
    source = str(input)
    # A report says what the release wrote, whatever the file is called.
    if release is not None and release.format and fmt not in (None, "text", release.format):
        raise ConfigError(
            f"{source} is {release.format} by its release report, not {fmt}: drop --format"
        )
    kind = _kind(input, fmt or (release.format if release is not None else None))
    if kind == "text" and release is not None and release.format is not None:
        raise ConfigError(
            f"{source} is a table by its release report ({release.format}); "
            "reverse it as one (--format)"
        )
    if output_format is None and kind != "text":
        try:  # by the output's extension, else as the input
            output_format = format_of(output)
        except ConfigError:
            output_format = kind
    if kind == "text":
        with input.open("rb") as raw, atomic_output(output, newline="") as out:
            for line in read_lines(raw, source):
                worker.result.rows += 1
                try:
                    out.write(worker.column("", [line.text])[0] + "\n")
                except _Unreversible as exc:
                    raise exc.located(source, line.line, "") from None
        worker.note_unreversed(None, free_text=True)
    elif kind == "jsonl":
        header: dict[str, None] = {}
        with input.open("rb") as raw, atomic_output(output, newline="") as out:
            for objs in chunked(_json_objects(raw, source), BATCH_ROWS):
                in_spans = spans.take(worker.result.rows, len(objs))
                worker.result.rows += len(objs)
                for restored in _jsonl_batch(worker, objs, source, in_spans):
                    header.update(dict.fromkeys(restored))
                    out.write(json.dumps(restored, ensure_ascii=False) + "\n")
            spans.finish(source)  # before the output is renamed into place
        # Without a report, JSONL may be anonymize output: free text.
        worker.note_unreversed(list(header), free_text=release is None)
    else:
        with open_reader(input, kind, encoding) as reader:
            columns = reader.header
            schema = getattr(reader, "arrow_schema", None)
            types = [f.type for f in schema] if schema is not None else None
            with open_writer(output, columns, output_format, types) as writer:
                for rows in chunked(reader.rows(), BATCH_ROWS):
                    first = worker.result.rows
                    in_spans = spans.take(first, len(rows))
                    if not in_spans.keys() <= set(columns):
                        raise ConfigError(
                            f"the span file names columns {source} does not have "
                            f"({', '.join(sorted(in_spans.keys() - set(columns)))}): it belongs "
                            "to another release, or the file is read in another format"
                        )
                    worker.result.rows += len(rows)
                    cells: list[list[Any]] = []
                    for c, name in enumerate(columns):
                        values = [row[1][c] for row in rows]
                        try:
                            for n, row_spans in in_spans.get(name, {}).items():
                                values[n] = worker.fpe_spans(values[n], row_spans, n)
                            cells.append(worker.column(name, values))
                        except _Unreversible as exc:
                            at = rows[exc.index][0]
                            raise exc.located(source, at, f"column {name!r}: ", c + 1) from None
                    writer.write_rows([list(row) for row in zip(*cells, strict=True)])
                spans.finish(source)
        worker.note_unreversed(columns, free_text=False)
    return worker.result


class _SpanCursor:
    """The span file's cells, taken batch by batch as the released rows are read."""

    def __init__(self, spans: tuple[Path, str] | None) -> None:
        self._cells = read_spans(*spans) if spans is not None else iter(())
        self._next = next(self._cells, None)
        self._path = spans[0] if spans is not None else None

    def take(self, first: int, count: int) -> dict[str, dict[int, Spans]]:
        """Per column, the spans of rows ``first`` to ``first + count - 1`` (by position)."""
        out: dict[str, dict[int, Spans]] = {}
        while self._next is not None and self._next[0] < first + count:
            row, column, cell = self._next
            out.setdefault(column, {})[row - first] = cell
            self._next = next(self._cells, None)
        return out

    def finish(self, source: str) -> None:
        """Refuse a span file with cells past the released rows (not this file's)."""
        if self._next is not None:
            raise ConfigError(
                f"the span file {self._path} names rows that {source} does not have: "
                "it belongs to another release"
            )


def _jsonl_batch(
    worker: Reidentifier,
    objs: Sequence[tuple[int, dict[str, Any]]],
    source: str,
    spans: Mapping[str, Mapping[int, Spans]],
) -> list[dict[str, Any]]:
    """A batch of JSONL objects: top-level strings by column, the rest tokens only."""
    restored = [dict(obj) for _, obj in objs]
    for key, of_rows in spans.items():
        for n, cell in of_rows.items():
            try:
                restored[n][key] = worker.fpe_spans(restored[n].get(key), cell)
            except _Unreversible as exc:
                raise exc.located(source, objs[n][0], f"field {key!r}: ") from None
    cells: dict[str, list[int]] = {}
    for n, obj in enumerate(restored):
        for key, value in obj.items():
            if isinstance(value, str):
                cells.setdefault(key, []).append(n)
            else:
                try:
                    obj[key] = worker.nested(value)
                except WrongKeyError as exc:
                    error = _Unreversible(0, str(exc), key=True)
                    raise error.located(source, objs[n][0], f"field {key!r}: ") from None
                except InputError as exc:
                    raise BadRecordError(source, objs[n][0], f"field {key!r}: {exc}") from None
    for key, rows in cells.items():
        try:
            values = worker.column(key, [restored[n][key] for n in rows])
        except _Unreversible as exc:
            raise exc.located(source, objs[rows[exc.index]][0], f"field {key!r}: ") from None
        for n, value in zip(rows, values, strict=True):
            restored[n][key] = value
    return restored


def _json_objects(raw: Any, source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for line in read_lines(raw, source):
        if line.text.strip():
            yield line.line, parse_json_object(line.text, source, line.line)


class _Unreversible(InputError):
    """A value that cannot be reversed, at ``index`` in its batch (``key``: for want of a key)."""

    def __init__(self, index: int, reason: str, key: bool = False) -> None:
        super().__init__(reason)
        self.index = index
        self.reason = reason
        self.key = key

    def located(self, source: str, line: int, where: str, column: int | None = None) -> Exception:
        """The error to raise, naming file, row and column (exit 2 for a key, else 1)."""
        if self.key:
            place = f"{source}:{line}" + (f":{column}" if column is not None else "")
            return WrongKeyError(f"{place}: {where}{self.reason}")
        return BadRecordError(source, line, f"{where}{self.reason}", column)
