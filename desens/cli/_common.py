"""Pieces shared by the subcommands: input and output, batching, key rings.

Every subcommand reads its input as bytes (a path or ``-`` for stdin), writes
its output atomically (``-o``) or to stdout, and hands records to worker
processes in ordered batches, so the output is the same with any number of
workers and memory stays flat.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any, TypeVar

from desens.atomic import atomic_output
from desens.errors import BadRecordError, ConfigError
from desens.keys import ENV_KEY, ENV_KEYRING, KeyRing
from desens.parallel import ordered_map
from desens.records import JsonRecord, read_jsonl

__all__ = [
    "add_keyring_argument",
    "check_output",
    "good_records",
    "keyring_from",
    "open_input",
    "open_output",
    "paired",
    "positive_int",
    "settle",
    "skipper",
    "used_files",
]

T = TypeVar("T")
R = TypeVar("R")


def settle() -> None:
    """Call once the process's long-lived objects (its analyzer, the modules) exist.

    Moves them to the collector's permanent generation: its full passes stop
    re-scanning them (2-4% of analysis time), and workers forked afterwards
    keep those pages shared instead of copying them.
    """
    gc.freeze()


@contextlib.contextmanager
def open_input(path: str) -> Iterator[IO[bytes]]:
    """The input as a binary stream: the file at ``path``, or stdin for ``-``."""
    if path == "-":
        yield sys.stdin.buffer
        return
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    with fh:
        yield fh


@contextlib.contextmanager
def open_output(path: str | None) -> Iterator[IO[str]]:
    """A text stream to write to: stdout, or ``path`` written atomically."""
    if path is None:
        yield sys.stdout
        return
    try:
        with atomic_output(path, newline="\n") as fh:
            yield fh
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror}") from None


def paired(
    fn: Callable[[list[str]], R],
    chunks: Iterable[list[Any]],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
) -> Iterator[tuple[list[Any], R]]:
    """Pair each chunk of records with ``fn`` of their texts, in order.

    Only the texts (each record's ``.text``) travel to the workers; the
    records wait here, as many chunks of them as :func:`ordered_map` keeps in flight.
    """
    in_flight: deque[list[Any]] = deque()

    def texts() -> Iterator[list[str]]:
        for chunk in chunks:
            in_flight.append(chunk)
            yield [item.text for item in chunk]

    for result in ordered_map(
        fn, texts(), workers=workers, initializer=initializer, initargs=initargs
    ):
        yield in_flight.popleft(), result


def good_records(
    raw: IO[bytes], source: str, text_field: str, on_error: str, skipped: list[int]
) -> Iterator[JsonRecord]:
    """The usable JSONL records; a bad one stops the run or (``skip``) is reported.

    ``skipped[0]`` counts the records skipped.
    """
    for item in read_jsonl(raw, source, text_field):
        if isinstance(item, BadRecordError):
            if on_error == "fail":
                raise item
            skipped[0] += 1
            print(f"desens: warning: {item}; record skipped", file=sys.stderr)
            continue
        yield item


def skipper(on_error: str, skipped: list[int]) -> Callable[[BadRecordError], None] | None:
    """For ``read_lines``: with ``skip``, report a bad line and count it; else None (stop)."""
    if on_error == "fail":
        return None

    def skip(error: BadRecordError) -> None:
        skipped[0] += 1
        print(f"desens: warning: {error}; line skipped", file=sys.stderr)

    return skip


def add_keyring_argument(p: argparse.ArgumentParser) -> None:
    """Add ``--keyring PATH``."""
    p.add_argument(
        "--keyring",
        metavar="PATH",
        help=f"key-ring file (default: ${ENV_KEYRING}, or a base64 key in ${ENV_KEY})",
    )


def keyring_from(path: str | None, environ: Mapping[str, str] | None = None) -> KeyRing | None:
    """The key ring of ``--keyring``, else of the environment, else None.

    Raises:
        MissingKeyError: the named file or the environment's key is unusable.
    """
    if path is not None:
        return KeyRing.load(Path(path))
    env = os.environ if environ is None else environ
    if env.get(ENV_KEYRING, "").strip() or env.get(ENV_KEY, "").strip():
        return KeyRing.from_env(env)
    return None


def used_files(args: argparse.Namespace) -> list[str]:
    """The files a command reads besides its input, which no output may replace.

    The key ring (``--keyring``, else ``DESENS_KEYRING``), and the policy and
    withhold list when the command takes them as files. (A report is read by
    ``reidentify`` but written by ``release``: the commands add it.)
    """
    files = [
        getattr(args, "keyring", None) or os.environ.get(ENV_KEYRING, "").strip(),
        getattr(args, "policy", None),
        getattr(args, "withhold", None),
    ]
    return [f for f in files if f and Path(f).is_file()]


def check_output(path: Path, *inputs: str | Path, create_folder: bool = False) -> None:
    """Refuse an output that overwrites an input or lies in a missing folder.

    Args:
        path: the output file.
        *inputs: files the output must not replace.
        create_folder: make a missing folder (with its parents) instead of
            refusing; for data outputs such as ``release -o out/people.csv``.

    Raises:
        ConfigError: with what to do.
    """
    for source in inputs:
        if str(source) != "-" and Path(source).resolve() == path.resolve():
            raise ConfigError(
                f"the output {path} would replace {source}, which this command also uses: "
                "choose another path"
            )
    folder = path.parent
    if create_folder and not folder.exists():
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the folder {folder}: {exc.strerror}") from None
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"cannot write {path}: {folder} is not a folder")
    if not folder.is_dir():
        raise ConfigError(f"cannot write {path}: the folder {folder} does not exist")
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"cannot write {path}: the folder {folder} is not writable")


def positive_int(value: str) -> int:
    """An argparse type: a whole number >= 1."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return number
