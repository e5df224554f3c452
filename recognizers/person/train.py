r"""Train the PERSON tagger offline and write ``model.npz``.

Usage (from the repository root; needs the ``train`` extra, python-crfsuite)::

    .venv/bin/python -m recognizers.person.train --data ../shared/data/ner \\
        --out recognizers/person/model.npz

Trains a linear-chain CRF (crfsuite, L-BFGS with elastic-net regularisation,
one thread) on CLUENER2020's train split plus synthetic record-style sentences
(:mod:`recognizers.person.synth`), using the hashed features of
:mod:`recognizers.person.features` as attributes, so the exported weights plug
straight into the numpy decoder. Prints exact-span P/R/F1 on the dev files
(never trained on). Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from recognizers.person.crf import LABELS
from recognizers.person.features import FeatureExtractor, encode_batch
from recognizers.person.lexicon import build_lexicons, lexicon_differences, load_lexicons
from recognizers.person.synth import generate, swap_names
from recognizers.person.tagger import FORMAT_VERSION, PersonTagger

__all__ = ["bioes", "main", "prf", "read_jsonl"]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Read a JSONL file of ``{"text", "spans"}`` records."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def person_spans(record: dict[str, Any]) -> set[tuple[int, int]]:
    """The gold PERSON spans of a record."""
    return {(int(s), int(e)) for s, e, label in record["spans"] if label == "PERSON"}


def bioes(length: int, spans: Iterable[tuple[int, int]]) -> list[str]:
    """BIOES labels for a text of ``length`` characters with the given name spans."""
    labels = ["O"] * length
    for s, e in sorted(spans):
        if e - s == 1:
            labels[s] = "S"
        else:
            labels[s] = "B"
            labels[s + 1 : e - 1] = ["I"] * (e - s - 2)
            labels[e - 1] = "E"
    return labels


def prf(
    gold: Sequence[set[tuple[int, int]]], pred: Sequence[set[tuple[int, int]]]
) -> dict[str, float]:
    """Exact-span precision, recall and F1."""
    tp = sum(len(g & p) for g, p in zip(gold, pred, strict=True))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4)}


def evaluate(
    tagger: PersonTagger, records: list[dict[str, Any]], threshold: float
) -> dict[str, float]:
    """Score ``tagger`` on ``records`` keeping spans with confidence >= threshold."""
    found = tagger.tag([r["text"] for r in records])
    pred = [{(s, e) for s, e, c in spans if c >= threshold} for spans in found]
    return prf([person_spans(r) for r in records], pred)


def _items(
    extractor: FeatureExtractor, records: list[dict[str, Any]]
) -> Iterable[tuple[list[list[str]], list[str]]]:
    texts = [r["text"] for r in records]
    cps, starts = encode_batch(texts)
    ids = extractor.extract(cps)
    for rec, start in zip(records, starts.tolist(), strict=True):
        n = len(rec["text"])
        if not n:
            continue
        block = ids[:, start : start + n].T.tolist()
        yield [[str(f) for f in row] for row in block], bioes(n, person_spans(rec))


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with cluener_*.jsonl")
    ap.add_argument("--out", type=Path, required=True, help="model file to write")
    ap.add_argument("--bits", type=int, default=20, help="log2 of the hashed feature space")
    ap.add_argument("--synth", type=int, default=6000, help="synthetic sentences to add")
    ap.add_argument("--swap", type=float, default=1.0, help="share of name-swapped copies")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--c1", type=float, default=0.01, help="L1 penalty")
    ap.add_argument("--c2", type=float, default=0.02, help="L2 penalty")
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--threshold", type=float, default=0.5)
    args = ap.parse_args(argv)

    import pycrfsuite  # training-only dependency

    t0 = time.perf_counter()
    lexicons = build_lexicons()
    if lexicon_differences(lexicons, load_lexicons()):
        print(
            "note: the shipped recognizers/person/lexicons.npz differs from jieba's dictionary "
            "and the word lists this model is trained with; regenerate it with "
            "`python -m recognizers.person.build_lexicon`",
            file=sys.stderr,
        )
    extractor = FeatureExtractor(lexicons, args.bits)
    train = read_jsonl(args.data / "cluener_train.jsonl")
    train += swap_names(train, seed=args.seed, share=args.swap)
    train += generate(args.synth, seed=args.seed)
    trainer = pycrfsuite.Trainer(verbose=False)
    for xseq, yseq in _items(extractor, train):
        trainer.append(xseq, yseq)
    trainer.set_params(
        {
            "c1": args.c1,
            "c2": args.c2,
            "max_iterations": args.max_iter,
            "feature.possible_transitions": True,
        }
    )
    print(f"features built in {time.perf_counter() - t0:.0f}s; training", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        crf_path = str(Path(tmp) / "person.crfsuite")
        trainer.train(crf_path)
        tagger = pycrfsuite.Tagger()
        tagger.open(crf_path)
        info = tagger.info()
        state = np.zeros((1 << args.bits, len(LABELS)), dtype=np.float32)
        col = {lab: i for i, lab in enumerate(LABELS)}
        for (attr, label), w in info.state_features.items():
            state[int(attr), col[label]] = w
        transition = np.zeros((len(LABELS), len(LABELS)), dtype=np.float32)
        for (a, b), w in info.transitions.items():
            transition[col[a], col[b]] = w
        tagger.close()
    print(f"trained in {time.perf_counter() - t0:.0f}s", file=sys.stderr)

    rows = np.flatnonzero(np.abs(state).max(axis=1) > 0)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        args.out,
        format_version=np.int64(FORMAT_VERSION),
        bits=np.int64(args.bits),
        state_index=rows.astype(np.uint32),
        state_weight=state[rows].astype(np.float16),
        transition=transition,
    )
    tagger_np = PersonTagger.load(args.out, lexicons)
    report = {
        "model": str(args.out),
        "bytes": args.out.stat().st_size,
        "active_features": int(rows.size),
        "train_records": len(train),
    }
    for name in ("cluener_dev", "weibo_dev"):
        path = args.data / f"{name}.jsonl"
        if path.exists():
            report[name] = evaluate(tagger_np, read_jsonl(path), args.threshold)
    print(json.dumps(report, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
