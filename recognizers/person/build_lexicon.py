r"""Write or check the PERSON recognizer's compiled lexicons (``lexicons.npz``).

Regenerate the file after editing a word list (``surnames_*.txt``,
``context_*.txt``) or upgrading jieba, then retrain the model, whose weights
were learnt with the old lexicons (see ``MODEL_CARD.md``)::

    .venv/bin/python -m recognizers.person.build_lexicon          # write
    .venv/bin/python -m recognizers.person.build_lexicon --check  # exit 1 if stale

The output is byte for byte the same for the same jieba dictionary and word
lists. ``tests/recognizers/test_person_lexicon.py`` runs the check, so a jieba
upgrade cannot silently change the features.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from recognizers.person.lexicon import (
    LEXICON_FILE,
    SOURCE_KEYS,
    build_lexicons,
    jieba_source,
    lexicon_differences,
    lexicons_from_arrays,
    read_arrays,
    save_lexicons,
)

__all__ = ["DEFAULT_PATH", "main", "stale_message"]

#: The file shipped in the package (in the source tree).
DEFAULT_PATH = Path(__file__).with_name(LEXICON_FILE)


def stale_message(path: str | Path = DEFAULT_PATH) -> str | None:
    """Why the file at ``path`` differs from what the sources give now; None if it does not."""
    data = read_arrays(path)
    diff = lexicon_differences(build_lexicons(), lexicons_from_arrays(data))
    if not diff:
        return None
    was = {k: str(data[k]) for k in SOURCE_KEYS if k in data}
    now = jieba_source()
    return (
        f"{path} is stale: its {', '.join(diff)} differ from what the installed jieba "
        f"{now['jieba_version']} (dict.txt sha256 {now['dict_sha256'][:12]}) and the word "
        f"lists give; it was built from jieba {was.get('jieba_version', '?')} (dict.txt "
        f"sha256 {was.get('dict_sha256', '?')[:12]}). Regenerate it with "
        "`python -m recognizers.person.build_lexicon`, then retrain the model "
        "(`python -m recognizers.person.train`, see recognizers/person/MODEL_CARD.md)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_PATH,
        help="file to write or check (default: the one in this package)",
    )
    ap.add_argument("--check", action="store_true", help="compare, do not write; exit 1 if stale")
    args = ap.parse_args(argv)
    if args.check:
        problem = stale_message(args.out)
        print(problem or f"{args.out} is up to date", file=sys.stderr)
        return 1 if problem else 0
    save_lexicons(build_lexicons(), args.out, jieba_source())
    print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
