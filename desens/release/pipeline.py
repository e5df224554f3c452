"""``desens release``: turn a table into a releasable one, with its report.

The run, in order, and what stops it before any output exists:

1. Open the input (format by extension, encoding detected) and read a sample.
2. Plan every column (:mod:`desens.release.plan`). A column the policy
   declares with ``name:`` must be present; rules with ``names:`` only match.
3. Check that a key ring is there if any planned operator needs one.
4. Read ``--withhold``: the subjects' IDs are kept only as keyed digests under
   a random per-run key.
5. With ``k_anonymity`` in the policy: a first pass computes the
   quasi-identifier classes after their operators; classes smaller than k are
   suppressed in the second pass. (Two passes: the input must be a file.)
6. Transform the rows in chunks, in this process or ``workers`` processes,
   writing to a temporary file, and scan the output for residual personal data.
7. If the residual scan found resident IDs, phones, cards, USCCs or passports,
   the output is discarded and :class:`ResidualDataError` raised; else the
   output is renamed into place, just after the positions of ``fpe`` outputs
   in free text, if any (:mod:`desens.release.fpe_spans`; else an earlier
   release's span file beside the output is removed). Either way the report
   is written.

Numbered ``replace`` tags (``<PERSON_1>``) are consistent within one process
only, so a policy that uses them runs with one worker.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from desens import __version__
from desens.analyzer import DesensAnalyzer, build_analyzer
from desens.chunks import ChunkCodec, RawChunk, raw_chunks, skip_header
from desens.errors import BadRecordError, ConfigError, DesensError, InputError, MissingKeyError
from desens.keys import KeyRing
from desens.parallel import ordered_map
from desens.policy import Policy
from desens.release.fpe_spans import SpanFile, span_path
from desens.release.plan import ColumnPlan, plan_columns
from desens.release.report import ReleaseReport, k_anonymity_summary
from desens.release.transform import (
    RESIDUAL_ENTITIES,
    RESIDUAL_THRESHOLD,
    ChunkResult,
    RowTransformer,
    merge,
    normalize_subject,
    subject_digest,
)
from desens.tables import file_sha256, format_of, open_reader, open_writer
from recognizers.checksums import is_valid_resident_id

__all__ = ["KEYED_OPERATORS", "ReleaseOptions", "ResidualDataError", "release"]

KEYED_OPERATORS = frozenset({"hash", "encrypt", "decrypt", "fpe", "fpe_decrypt", "date_shift"})
CHUNK_ROWS = 2000
#: Bytes of a text table read at a time: a chunk of whole records.
CHUNK_BYTES = 1 << 19
TEXT_FORMATS = ("csv", "tsv", "jsonl")


class ResidualDataError(DesensError):
    """The output still contains personal data; it was not written."""


@dataclass(frozen=True)
class ReleaseOptions:
    """Everything ``desens release`` was asked to do."""

    input: Path
    output: Path
    policy: Policy
    keys: KeyRing | None = None
    input_format: str | None = None
    output_format: str | None = None
    encoding: str | None = None
    withhold: Path | None = None
    workers: int = 1
    progress: bool = False


# Per-process state: the transformer of this process, and the analyzers it
# uses, built once per process (forked workers inherit the parent's).
_worker: dict[str, Any] = {}


def _analyzer(kind: str) -> DesensAnalyzer:
    if kind not in _worker:
        _worker[kind] = (
            build_analyzer()
            if kind == "analyzer"
            else build_analyzer(entities=RESIDUAL_ENTITIES, threshold=RESIDUAL_THRESHOLD)
        )
    analyzer: DesensAnalyzer = _worker[kind]
    return analyzer


def _init_worker(
    args: tuple[Any, ...],
    needs_analyzer: bool,
    codec: ChunkCodec | None,
    out_codec: ChunkCodec | None,
    header: list[str],
) -> None:
    analyzer = _analyzer("analyzer") if needs_analyzer else None
    residual = _analyzer("residual")
    plans, policy, keys, withheld, run_key, source, small = args
    _worker["t"] = RowTransformer(
        plans, policy, analyzer, residual, keys,
        withheld=withheld, run_key=run_key, small_classes=small, source=source,
    )  # fmt: skip
    _worker["codec"], _worker["out_codec"], _worker["header"] = codec, out_codec, header


def _work(chunk: RawChunk | list[tuple[int, list[Any]]]) -> tuple[bytes | None, ChunkResult]:
    """Parse (raw chunks), transform and, for text output, format and encode one chunk."""
    transformer: RowTransformer = _worker["t"]
    out_codec: ChunkCodec | None = _worker["out_codec"]
    if isinstance(chunk, RawChunk):
        parsed = _worker["codec"].parse_columns(chunk)
        result = transformer.transform_columns(
            parsed.columns, parsed.rows, parsed.line_of, all_str=parsed.all_str
        )
        if out_codec is None:
            result.rows = [list(row) for row in zip(*result.columns, strict=True)]
    else:
        result = transformer.transform(chunk)
    if out_codec is None:
        result.columns = []
        return None, result
    if result.columns:
        data = out_codec.format_columns(_worker["header"], result.columns)
    else:  # no columns left: one empty record per row
        data = out_codec.format_rows(_worker["header"], result.rows).encode("utf-8")
    result.rows, result.columns = [], []  # the bytes carry them; don't ship them back twice
    return data, result


def _work_qi(chunk: RawChunk | list[tuple[int, list[Any]]]) -> tuple[bytes | None, ChunkResult]:
    transformer: RowTransformer = _worker["t"]
    if isinstance(chunk, RawChunk):
        parsed = _worker["codec"].parse_columns(chunk)
        result = transformer.transform_columns(
            parsed.columns, parsed.rows, parsed.line_of, qi_only=True, all_str=parsed.all_str
        )
    else:
        result = transformer.transform(chunk, qi_only=True)
    return None, result


def _chunks(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[list[tuple[int, list[Any]]]]:
    while chunk := list(islice(rows, CHUNK_ROWS)):
        yield chunk


@dataclass
class _Source:
    """The input as chunks: raw record bytes for text formats, rows for Parquet.

    Attributes:
        chunks: the chunks, read lazily.
        consumed: the bytes consumed so far.
        codec: parses raw chunks (None for rows).
        sha256: the input's SHA-256, once the chunks are all read.
    """

    chunks: Iterator[Any]
    consumed: Callable[[], int]
    codec: ChunkCodec | None
    sha256: Callable[[], str]


@contextlib.contextmanager
def _source(options: ReleaseOptions, reader: Any, plans: Sequence[ColumnPlan]) -> Iterator[_Source]:
    if reader.format not in TEXT_FORMATS:
        path = options.input
        yield _Source(
            _chunks(reader.rows()), lambda: int(reader.bytes_read), None, lambda: file_sha256(path)
        )
        return
    with options.input.open("rb") as binary:
        first = skip_header(binary, reader.format, reader.encoding)
        start = binary.tell()
        binary.seek(0)
        digest = hashlib.sha256(binary.read(start))  # the header; the chunks follow
        dropped = frozenset(p.name for p in plans if p.action == "drop")
        codec = ChunkCodec(
            reader.format, reader.encoding, reader.source, tuple(reader.header), dropped
        )

        def hashed() -> Iterator[RawChunk]:
            end = os.fstat(binary.fileno()).st_size
            for chunk in raw_chunks(binary, reader.format, first, CHUNK_BYTES, end):
                digest.update(chunk.data)
                yield chunk

        yield _Source(hashed(), binary.tell, codec, lambda: digest.hexdigest())


def _check_header(
    header: Sequence[str],
    source: str,
    residual: DesensAnalyzer,
    analyzer: DesensAnalyzer | None = None,
    known: Collection[str] = (),
) -> None:
    """Refuse a first line that is a record, not a header.

    A file exported without its header row would otherwise be released with
    its first record, in clear, as the column names (which the report repeats).
    The residual analyzer looks for numbers; the full one, when the policy
    needs it anyway, for names and addresses too (header words such as 姓名,
    户主姓名 or 居住地址 are none). Names in ``known`` (declared columns, the
    allow list) are headers by the policy's word: a column named 张江 passes
    once declared.
    """
    names = ["" if str(h) in known else str(h) for h in header]
    found_by = residual.analyze_batch(names)
    if analyzer is not None:
        found_by = [a or b for a, b in zip(found_by, analyzer.analyze_batch(names), strict=True)]
    for column, found in enumerate(found_by, start=1):
        if found:
            raise BadRecordError(
                source,
                1,
                f"line 1 looks like data, not a header (a {found[0].entity_type} in column "
                f"{column}); add a header row",
                column=column,
            )


def _check_plans(policy: Policy, header: Sequence[str], source: str, checked: bool) -> None:
    """Refuse a declared column the header lacks.

    The header is quoted only when the full analyzer found nothing in it
    (``checked``): a file without its header row has a record there.
    """
    for rule in policy.columns:
        if rule.name is not None and rule.name not in header:
            columns = ", ".join(header) if checked else f"{len(header)} of them, not quoted"
            raise InputError(
                f"{source}:1: declared column {rule.name!r} is not in the header "
                f"(columns: {columns}); fix the policy or the file (has it a header row?)"
            )


_ID_SHAPE = re.compile(r"[0-9]{15}|[0-9]{17}[0-9X]")


def _read_withheld(path: Path, run_key: bytes, ids: bool) -> frozenset[bytes]:
    """The keyed digests of the withhold list's entries (``#`` starts a comment line).

    With ``ids`` (the subject key is a resident ID column) an entry shaped
    like a resident ID (15 or 18 digits, an X last) must be a valid one: a
    mistyped one would withhold nobody. Other entries (a passport number,
    another document the column holds) are taken as they are; the report
    counts the entries that matched no record.
    """
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read withhold list {path}: {exc.__class__.__name__}") from None
    digests = set()
    for n, line in enumerate(lines, start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        compact = normalize_subject(entry)
        if ids and _ID_SHAPE.fullmatch(compact) and not is_valid_resident_id(compact):
            raise ConfigError(
                f"{path}:{n}: not a valid resident ID number (date or check "
                "character); correct the line, or remove it"
            )
        digests.add(subject_digest(run_key, entry))
    return frozenset(digests)


class _Progress:
    """rows/s and ETA on stderr, when it is a terminal."""

    def __init__(self, enabled: bool, total_bytes: int) -> None:
        self.enabled = enabled
        self.total = total_bytes
        self.start = time.monotonic()
        self.last = 0.0

    def update(self, rows: int, done_bytes: int, final: bool = False) -> None:
        now = time.monotonic()
        if not self.enabled or (now - self.last < 0.5 and not final):
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        rate = rows / elapsed
        left = (self.total - done_bytes) / (done_bytes / elapsed) if done_bytes else 0
        eta = time.strftime("%H:%M:%S", time.gmtime(max(left, 0)))
        share = 100 * done_bytes / self.total if self.total else 100
        end = "\n" if final else ""
        print(
            f"\r{rows:,} rows  {rate:,.0f} rows/s  {share:5.1f}%  ETA {eta}",
            end=end,
            file=sys.stderr,
        )


@dataclass(frozen=True)
class _Setup:
    plans: list[ColumnPlan]
    needs_analyzer: bool
    worker_args: tuple[Any, ...]  # plans, policy, keys, withheld, run_key, source
    withheld: frozenset[bytes] = frozenset()


def release(options: ReleaseOptions) -> ReleaseReport:
    """Run a release; see the module docstring. Returns the report.

    Raises:
        ConfigError, InputError, MissingKeyError: before any output is written.
        ResidualDataError: the output was discarded; its report is attached
            as ``exc.report``.
    """
    policy = options.policy
    started = time.time()
    with open_reader(options.input, options.input_format, options.encoding) as reader:
        reader.binary_errors = (
            "replace"  # the sample only classifies: a dropped column may hold any bytes
        )
        sample = list(islice(reader.rows(), policy.sample_rows))
        setup = _prepare(options, reader.header, [v for _, v in sample], reader.source)
        _check_flat_columns(reader, setup.plans)
    with _frozen():
        before: Counter[tuple[Any, ...]] = Counter()
        dropped = frozenset(p.index for p in setup.plans if p.action == "drop")
        if policy.k_anonymity is not None:
            with open_reader(options.input, options.input_format, options.encoding) as reader:
                reader.undecoded = dropped
                before = _count_classes(options, setup, reader)
        # The sample was read through the table reader; each pass reads anew.
        with open_reader(options.input, options.input_format, options.encoding) as reader:
            reader.undecoded = dropped
            return _write(options, setup, reader, started, before)


def _check_flat_columns(reader: Any, plans: Sequence[ColumnPlan]) -> None:
    """Refuse a nested Parquet column the release keeps (JSONL: checked per record)."""
    schema = getattr(reader, "arrow_schema", None)
    if schema is None:
        return
    import pyarrow as pa

    for plan in plans:
        kind = schema.field(plan.index).type
        if plan.action != "drop" and pa.types.is_nested(kind):
            raise InputError(
                f"{reader.source}: column {plan.name!r} is nested ({kind}); tables take "
                "flat columns: flatten it, or drop the column"
            )


@contextlib.contextmanager
def _frozen() -> Iterator[None]:
    """Keep what exists now (the analyzers: large, long-lived) out of the collector's way.

    During the run, collections then skip those objects, and forked workers
    leave their pages shared instead of touching them (copy-on-write).
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _prepare(
    options: ReleaseOptions, header: list[str], sample: list[list[Any]], source: str
) -> _Setup:
    policy = options.policy
    needs_analyzer = policy.undeclared in ("classify", "scan") or any(
        r.scan for r in policy.columns
    )
    # Built here, before any worker is forked, so that workers inherit them.
    analyzer = _analyzer("analyzer") if needs_analyzer else None
    known = {h for rule in policy.columns for h in rule.headers} | set(policy.allow_list)
    _check_header(header, source, _analyzer("residual"), analyzer, known)
    plans = plan_columns(header, sample, policy, analyzer)
    _check_plans(policy, header, source, checked=analyzer is not None)
    keyed = {p.operator.name for p in plans if p.operator} & KEYED_OPERATORS
    if any(p.action == "scan" for p in plans):
        keyed |= {s.operator for s in (*policy.entities.values(), policy.default)} & KEYED_OPERATORS
    if keyed and options.keys is None:
        raise MissingKeyError(
            f"policy {policy.name!r} uses {', '.join(sorted(keyed))}, which need a key: "
            "set DESENS_KEYRING (a file from `desens keys new`) or DESENS_KEY"
        )
    if options.workers > 1 and _uses_numbered_tags(plans, policy):
        raise ConfigError("numbered replace tags are consistent only with --workers 1")
    run_key = secrets.token_bytes(32)
    withheld = frozenset[bytes]()
    if options.withhold is not None:
        if not any(p.subject_key for p in plans):
            raise ConfigError(
                "--withhold needs a subject-key column: mark one with subject_key: true"
            )
        subject = next(p for p in plans if p.subject_key)
        withheld = _read_withheld(options.withhold, run_key, subject.entity == "CN_RESIDENT_ID")
    args = (plans, policy, options.keys, withheld, run_key, source)
    return _Setup(plans, needs_analyzer, args, withheld)


def _write(
    options: ReleaseOptions,
    setup: _Setup,
    reader: Any,
    started: float,
    before: Counter[tuple[Any, ...]],
) -> ReleaseReport:
    policy = options.policy
    k = policy.k_anonymity.k if policy.k_anonymity else None
    small = frozenset(c for c, n in before.items() if k is not None and n < k)
    out_plans = [p for p in setup.plans if p.action != "drop"]
    header = [p.name for p in out_plans]
    totals = ChunkResult()
    after: Counter[tuple[Any, ...]] = Counter()
    progress = _Progress(options.progress, reader.size)
    out_format = format_of(options.output, options.output_format)
    out_codec = (
        ChunkCodec(out_format, "utf-8", str(options.output), tuple(header))
        if out_format in TEXT_FORMATS
        else None
    )
    try:
        with (
            open_writer(
                options.output, header, out_format, _arrow_types(reader, out_plans)
            ) as writer,
            # Exits before the writer: the span file is in place before the output is.
            SpanFile(span_path(options.output)) as span_file,
            _source(options, reader, setup.plans) as source,
        ):
            for data, result in ordered_map(
                _work,
                source.chunks,
                workers=options.workers,
                work_here=True,
                initializer=_init_worker,
                initargs=(
                    (*setup.worker_args, small),
                    setup.needs_analyzer,
                    source.codec,
                    out_codec,
                    header,
                ),
            ):
                if result.fpe_spans:
                    span_file.write(writer.rows_written, result.fpe_spans)
                if data is None:
                    writer.write_rows(result.rows)
                else:
                    writer.write_bytes(data, rows=result.rows_out)
                merge(totals, result)
                after.update(result.qi)
                progress.update(totals.rows_in, source.consumed())
            progress.update(totals.rows_in, reader.size, final=True)
            report = ReleaseReport.build(
                options=options, plans=setup.plans, totals=totals,
                rows_out=writer.rows_written, input_sha256=source.sha256(),
                started=started, version=__version__, encoding=reader.encoding,
                k_anonymity=k_anonymity_summary(policy, before, after, setup.plans),
                fpe_spans=span_file.describe(),
                withhold=(
                    {"entries": len(setup.withheld), "matched": len(totals.withheld_matched)}
                    if options.withhold is not None
                    else None
                ),
            )  # fmt: skip
            if report.leaked:
                report.fpe_spans = None  # discarded with the output
                raise ResidualDataError(
                    f"the residual scan found personal data in the output "
                    f"({report.leak_summary()}); nothing was written. "
                    "Fix the policy for those columns and run again."
                )
    except ResidualDataError as exc:
        exc.report = report  # type: ignore[attr-defined]
        raise
    # Hashed as written; a Parquet file is complete once its writer closed.
    report.output_sha256 = writer.sha256()
    if report.fpe_spans is None:  # an earlier release's, beside the output it replaced
        span_path(options.output).unlink(missing_ok=True)
    return report


def _count_classes(options: ReleaseOptions, setup: _Setup, reader: Any) -> Counter[tuple[Any, ...]]:
    """First pass of k-anonymity: the size of each quasi-identifier class."""
    counts: Counter[tuple[Any, ...]] = Counter()
    with _source(options, reader, setup.plans) as source:
        for _, result in ordered_map(
            _work_qi,
            source.chunks,
            workers=options.workers,
            work_here=True,
            initializer=_init_worker,
            initargs=(
                (*setup.worker_args, frozenset()),
                setup.needs_analyzer,
                source.codec,
                None,
                [],
            ),
        ):
            counts.update(result.qi)
    return counts


def _uses_numbered_tags(plans: Sequence[ColumnPlan], policy: Policy) -> bool:
    ops = [p.operator for p in plans if p.operator is not None]
    specs = (
        [*policy.entities.values(), policy.default]
        if any(p.action == "scan" for p in plans)
        else []
    )
    return any(o.numbers_values for o in ops) or any(
        s.operator == "replace" and not s.params.get("new_value") for s in specs
    )


def _arrow_types(reader: Any, out_plans: Sequence[ColumnPlan]) -> list[Any] | None:
    """Parquet output keeps the type of kept columns; transformed ones are strings."""
    schema = getattr(reader, "arrow_schema", None)
    if schema is None:
        return None  # not Parquet input: no need to import pyarrow (50 ms)
    import pyarrow as pa

    return [schema.field(p.index).type if p.action == "keep" else pa.string() for p in out_plans]


def default_report_path(output: Path) -> Path:
    """``OUTPUT.report.json`` beside the output."""
    return output.with_name(output.name + ".report.json")
