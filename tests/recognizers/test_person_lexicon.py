"""The shipped PERSON lexicons file: up to date with jieba and the word lists, and lossless."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from recognizers.person.build_lexicon import DEFAULT_PATH, main, stale_message
from recognizers.person.features import Lexicons
from recognizers.person.lexicon import (
    LEXICON_FORMAT,
    lexicon_differences,
    load_lexicons,
    read_arrays,
    save_lexicons,
)
from recognizers.person.tagger import PersonTagger

SOURCE = {"jieba_version": "0.0-test", "dict_sha256": "0" * 64}


def small_lexicons() -> Lexicons:
    return Lexicons.build(
        dictionary=[
            ("张伟", 5, "nr"),
            ("北京市", 900, "ns"),
            ("人民政府", 40_000, "nt"),
            ("好", 9, "a"),
        ],
        surnames=["张", "李"],
        compound_surnames=["欧阳"],
        prefixes=["联系人", "致"],
        suffixes=["先生", "说"],
        pos_tags=("nr", "ns"),
    )


def test_shipped_file_matches_installed_jieba_and_word_lists() -> None:
    # Fails after a jieba upgrade that changes dict.txt, or an edit of a word
    # list, until the file is regenerated (the message says how).
    problem = stale_message(DEFAULT_PATH)
    assert problem is None, problem


def test_save_load_round_trip_is_exact(tmp_path: Path) -> None:
    lex = small_lexicons()
    path = tmp_path / "lex.npz"
    save_lexicons(lex, path, SOURCE)
    back = load_lexicons(path)
    assert lexicon_differences(lex, back) == []
    assert np.array_equal(back.table.keys, lex.table.keys)
    assert np.array_equal(back.table.values, lex.table.values)
    assert back.table.max_probe == lex.table.max_probe
    assert np.array_equal(back.gram_chars, lex.gram_chars)
    assert back.gram_chars.dtype == lex.gram_chars.dtype
    assert np.array_equal(back.char_info, lex.char_info)
    assert back.char_info.dtype == lex.char_info.dtype
    assert back.pos_tags == lex.pos_tags
    assert str(read_arrays(path)["jieba_version"]) == "0.0-test"


def test_output_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    a, b = tmp_path / "a.npz", tmp_path / "b.npz"
    save_lexicons(small_lexicons(), a, SOURCE)
    save_lexicons(small_lexicons(), b, SOURCE)
    assert a.read_bytes() == b.read_bytes()


def test_differences_are_named() -> None:
    other = Lexicons.build(
        dictionary=[("张伟", 5, "nr")],
        surnames=["张", "李"],
        compound_surnames=["欧阳"],
        prefixes=["联系人", "致"],
        suffixes=["先生", "说"],
        pos_tags=("nr", "ns"),
    )
    diff = lexicon_differences(small_lexicons(), other)
    assert "table_keys" in diff
    assert "pos_tags" not in diff


def test_check_reports_a_stale_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "lex.npz"
    save_lexicons(small_lexicons(), path, SOURCE)
    assert main(["--out", str(path), "--check"]) == 1
    err = capsys.readouterr().err
    assert "is stale" in err
    assert "python -m recognizers.person.build_lexicon" in err
    assert "jieba 0.0-test" in err


def test_wrong_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lex.npz"
    save_lexicons(small_lexicons(), path, SOURCE)
    arrays = read_arrays(path)
    arrays["format_version"] = np.array(LEXICON_FORMAT + 1)
    np.savez(path, **arrays)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="lexicon format"):
        load_lexicons(path)


def test_tagger_uses_the_shipped_lexicons() -> None:
    tagger = PersonTagger.load()
    shipped = load_lexicons()
    assert lexicon_differences(tagger.extractor.lexicons, shipped) == []
