r"""The PERSON recognizer's lexicons: their sources, and the compiled file it ships.

The features test membership in jieba's dictionary and in the word lists
shipped here (surnames, context words). Compiling them (:meth:`Lexicons.build`
over jieba's 350K-line ``dict.txt``) takes about a second, so it is done once,
when the package is built, and the result ships as ``lexicons.npz``:
:func:`load_lexicons` reads it in a few milliseconds. The features at run time
then no longer depend on the installed jieba: the model and the lexicons it was
trained with ship together.

The file is written by ``python -m recognizers.person.build_lexicon``
(:mod:`recognizers.person.build_lexicon`), which also checks it.
"""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator, Mapping
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from recognizers.person.features import HashTable, Lexicons

__all__ = [
    "LEXICON_FILE",
    "LEXICON_FORMAT",
    "POS_TAGS",
    "SOURCE_KEYS",
    "build_lexicons",
    "jieba_dictionary",
    "jieba_source",
    "lexicon_differences",
    "lexicons_from_arrays",
    "load_lexicons",
    "read_arrays",
    "read_word_list",
    "save_lexicons",
]

#: jieba POS tags that get their own feature value; every other tag shares one.
POS_TAGS = ("nr", "nrfg", "nrt", "ns", "nt", "nz", "n", "v", "vn", "a", "d", "i", "l", "m", "t")
#: The compiled lexicons shipped in this package.
LEXICON_FILE = "lexicons.npz"
#: Version of the layout of :data:`LEXICON_FILE`.
LEXICON_FORMAT = 1
#: Arrays of the file that record where it came from (not compared by the check).
SOURCE_KEYS = ("jieba_version", "dict_sha256")


def read_word_list(name: str) -> list[str]:
    """Read a whitespace-separated word list shipped in this package (``#`` comments)."""
    text = resources.files("recognizers.person").joinpath(name).read_text(encoding="utf-8")
    words: list[str] = []
    seen: set[str] = set()
    for line in text.splitlines():
        for w in line.split("#", 1)[0].split():
            if w not in seen:
                seen.add(w)
                words.append(w)
    return words


def _jieba_dict_path() -> Path:
    return Path(str(resources.files("jieba").joinpath("dict.txt")))


def jieba_dictionary() -> Iterator[tuple[str, int, str]]:
    """Yield ``(word, frequency, pos)`` from the installed jieba's dict.txt.

    Read directly from jieba's package data, so no tokenizer is initialised.
    """
    with _jieba_dict_path().open(encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                yield parts[0], int(parts[1]), parts[2]


def jieba_source() -> dict[str, str]:
    """The installed jieba's version and the SHA-256 of its dict.txt."""
    digest = hashlib.sha256(_jieba_dict_path().read_bytes()).hexdigest()
    return {"jieba_version": metadata.version("jieba"), "dict_sha256": digest}


def build_lexicons() -> Lexicons:
    """Compile jieba's dictionary and the shipped lists into :class:`Lexicons` (~1 s)."""
    return Lexicons.build(
        dictionary=jieba_dictionary(),
        surnames=read_word_list("surnames_single.txt"),
        compound_surnames=read_word_list("surnames_compound.txt"),
        prefixes=read_word_list("context_prefix.txt"),
        suffixes=read_word_list("context_suffix.txt"),
        pos_tags=POS_TAGS,
    )


def _arrays(lexicons: Lexicons) -> dict[str, npt.NDArray[np.generic]]:
    """The arrays that make up ``lexicons``, compactly.

    The hash table keeps its slot layout (so loading is a copy, not a rebuild)
    but only its occupied slots are stored, with a bit mask of where they are;
    ``gram_chars`` is stored as its nonzero entries.
    """
    table = lexicons.table
    occupied = table.keys != 0
    if not np.all(table.values[~occupied] == -1):
        raise ValueError("hash table has values in empty slots")
    points = np.flatnonzero(lexicons.gram_chars).astype(np.uint32)
    return {
        "format_version": np.array(LEXICON_FORMAT, dtype=np.int64),
        "pos_tags": np.array(lexicons.pos_tags, dtype=str),
        "table_occupied": np.packbits(occupied),
        "table_keys": table.keys[occupied],
        "table_values": table.values[occupied],
        "table_max_probe": np.array(table.max_probe, dtype=np.int64),
        "char_info": lexicons.char_info,
        "gram_points": points,
        "gram_bits": lexicons.gram_chars[points],
        "gram_size": np.array(lexicons.gram_chars.shape[0], dtype=np.int64),
    }


def lexicons_from_arrays(data: Mapping[str, npt.NDArray[np.generic]]) -> Lexicons:
    """Rebuild :class:`Lexicons` from the arrays of a lexicons file.

    Raises:
        KeyError: an array is missing.
        ValueError: the arrays are in another format.
    """
    version = int(data["format_version"])
    if version != LEXICON_FORMAT:
        raise ValueError(f"lexicon format {version}, expected {LEXICON_FORMAT}")
    occupied = np.unpackbits(np.asarray(data["table_occupied"], dtype=np.uint8)).astype(bool)
    keys = np.zeros(occupied.shape[0], dtype=np.uint64)
    keys[occupied] = data["table_keys"]
    values = np.full(occupied.shape[0], -1, dtype=np.int32)
    values[occupied] = data["table_values"]
    gram_chars = np.zeros(int(data["gram_size"]), dtype=np.uint16)
    gram_chars[data["gram_points"].astype(np.int64)] = data["gram_bits"]
    return Lexicons(
        table=HashTable(keys, values, int(data["table_max_probe"])),
        pos_tags=tuple(str(t) for t in data["pos_tags"]),
        char_info=np.asarray(data["char_info"], dtype=np.int8),
        gram_chars=gram_chars,
    )


def save_lexicons(lexicons: Lexicons, path: str | Path, source: Mapping[str, str]) -> None:
    """Write ``lexicons`` to an ``.npz`` file, byte for byte the same for the same input.

    Args:
        lexicons: what to write.
        path: the file to write (replaced atomically).
        source: where the lexicons came from (see :func:`jieba_source`).
    """
    arrays = _arrays(lexicons)
    arrays.update({k: np.array(source[k], dtype=str) for k in SOURCE_KEYS})
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    # Written member by member with a fixed timestamp (np.savez stamps the
    # current time), so that regenerating an unchanged file changes nothing.
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as fh:
                np.lib.format.write_array(fh, np.asarray(arrays[name]), allow_pickle=False)
    tmp.replace(path)


def read_arrays(path: str | Path | None = None) -> dict[str, npt.NDArray[np.generic]]:
    """Every array of a lexicons file (default: the shipped one), source info included."""
    res = resources.files("recognizers.person").joinpath(LEXICON_FILE)
    with (
        open(path, "rb") if path is not None else res.open("rb") as fh,
        np.load(fh, allow_pickle=False) as data,
    ):
        return {k: data[k] for k in data.files}


def load_lexicons(path: str | Path | None = None) -> Lexicons:
    """Read compiled lexicons (default: the ``lexicons.npz`` shipped in this package).

    Raises:
        FileNotFoundError: the file does not exist.
        KeyError: the file lacks an array.
        ValueError: the file was written in another format.
    """
    return lexicons_from_arrays(read_arrays(path))


def lexicon_differences(a: Lexicons, b: Lexicons) -> list[str]:
    """Names of the stored arrays in which ``a`` and ``b`` differ (empty if equal)."""
    xa, xb = _arrays(a), _arrays(b)
    return [
        k
        for k in xa
        if xa[k].dtype != xb[k].dtype
        or xa[k].shape != xb[k].shape
        or not np.array_equal(xa[k], xb[k])
    ]
