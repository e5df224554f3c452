"""``desens anonymize``: apply a policy to plain text or JSONL.

Plain text (the default) is anonymized line by line: every entity the
analyzer finds is replaced by the output of the operator the policy names for
it, the rest of the line is untouched. With ``--jsonl`` each input line is a
JSON object whose text field (``--text-field``, default ``text``) is replaced
by its anonymized version; other fields are kept and nothing is added.

Input conventions are those of ``desens analyze``: UTF-8, bad records stop the
run with ``FILE:LINE[:COLUMN]`` (or are skipped with ``--on-error skip``),
output written with ``-o`` appears only when the run succeeds.

Operators that need a key (hash, encrypt, fpe, date_shift) take it from
``--keyring`` or the environment (``DESENS_KEYRING`` / ``DESENS_KEY``); a
missing key is an error before anything is written.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from typing import Any

from desens.analyzer import build_analyzer
from desens.anonymizer import TextAnonymizer
from desens.cli._common import (
    add_keyring_argument,
    good_records,
    keyring_from,
    open_input,
    open_output,
    paired,
    positive_int,
    settle,
    skipper,
)
from desens.errors import ConfigError, MissingKeyError
from desens.keys import KeyRing
from desens.operators import RunState
from desens.policy import Policy, read_policy
from desens.records import chunked, read_lines
from desens.release.pipeline import KEYED_OPERATORS

__all__ = ["needs_key", "register", "run"]

# Per-process anonymizer of a worker (set by _init_worker in each process).
_worker: dict[str, TextAnonymizer] = {}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``anonymize`` subcommand."""
    p = sub.add_parser(
        "anonymize",
        help="apply a policy to text or JSONL",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    p.add_argument("path", nargs="?", default="-", help="input file, or - for stdin (default)")
    p.add_argument("--policy", required=True, help="built-in policy name or policy file")
    p.add_argument("--jsonl", action="store_true", help="input is JSON Lines")
    p.add_argument("--text-field", default="text", help="JSONL field to anonymize (default: text)")
    p.add_argument("-o", "--output", help="write here (atomically) instead of stdout")
    add_keyring_argument(p)
    p.add_argument(
        "--on-error",
        choices=("fail", "skip"),
        default="fail",
        help="bad JSONL record: stop with an error (default) or report it and skip it",
    )
    p.add_argument("--workers", type=positive_int, default=1, help="processes (default: 1)")
    p.add_argument(
        "--batch-size", type=positive_int, default=1024, help="records per batch (default: 1024)"
    )
    p.set_defaults(run=run)


def needs_key(policy: Policy) -> list[str]:
    """The keyed operators the policy's entity rules use (sorted)."""
    specs = [*policy.entities.values(), policy.default]
    return sorted({s.operator for s in specs} & KEYED_OPERATORS)


def _numbered_tags(policy: Policy) -> bool:
    specs = [*policy.entities.values(), policy.default]
    return any(s.operator == "replace" and not s.params.get("new_value") for s in specs)


def run(args: argparse.Namespace) -> int:
    """Execute ``desens anonymize``."""
    policy = read_policy(args.policy)
    keys = keyring_from(args.keyring)
    keyed = needs_key(policy)
    if keyed and keys is None:
        raise MissingKeyError(
            f"policy {policy.name!r} uses {', '.join(keyed)}, which need a key: pass --keyring "
            "or set DESENS_KEYRING (a file from `desens keys new`) or DESENS_KEY"
        )
    if args.workers > 1 and _numbered_tags(policy):
        raise ConfigError("numbered replace tags are consistent only with --workers 1")
    source = "<stdin>" if args.path == "-" else args.path
    skipped = [0]
    initargs = (policy, keys if keyed else None)
    with open_input(args.path) as raw, open_output(args.output) as out:
        if args.jsonl:
            records = good_records(raw, source, args.text_field, args.on_error, skipped)
            for chunk, texts in _anonymized(args, chunked(records, args.batch_size), initargs):
                for record, text in zip(chunk, texts, strict=True):
                    obj = dict(record.obj)
                    obj[args.text_field] = text
                    out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        else:
            lines = read_lines(raw, source, skipper(args.on_error, skipped))
            for _chunk, texts in _anonymized(args, chunked(lines, args.batch_size), initargs):
                out.writelines(text + "\n" for text in texts)
    if skipped[0]:
        print(f"desens: {skipped[0]} bad record(s) skipped", file=sys.stderr)
    if keyed and keys is not None:
        print(f"desens: key id {keys.default_id}", file=sys.stderr)
    return 0


def _anonymized(
    args: argparse.Namespace, chunks: Iterable[list[Any]], initargs: tuple[Any, ...]
) -> Iterator[tuple[list[Any], list[str]]]:
    return paired(
        _anonymize_chunk,
        chunks,
        workers=args.workers,
        initializer=_init_worker,
        initargs=initargs,
    )


def _init_worker(policy: Policy, keys: KeyRing | None) -> None:
    _worker["anonymizer"] = TextAnonymizer(policy, build_analyzer(), keys, RunState())
    settle()


def _anonymize_chunk(texts: list[str]) -> list[str]:
    return [item.text for item in _worker["anonymizer"].anonymize_batch(texts)]
