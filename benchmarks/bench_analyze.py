"""Throughput of `desens analyze` against a plain presidio + jieba baseline.

Both run in this process, one after the other, on the same generated corpus of
government records (benchmarks/corpus.py):

(a) desens: ``build_analyzer()`` with every entity including PERSON, through
    ``analyze_batch`` in batches of ``--batch-size`` records (the CLI's path);
(b) baseline: presidio's ``AnalyzerEngine`` with desens's regex recognizers and
    jieba.posseg ``nr``/``nrfg``/``nrt`` words as PERSON, one ``analyze()`` call
    per record — what one would build from presidio and jieba alone.

Prints one JSON object (MB/s of UTF-8 input and records/s per core for each,
the ratio, the same per CPU second (steadier on a shared machine), peak RSS,
PERSON scores on the shared dev sets with the same analyzer settings) and a
human line on stderr.

    python -m benchmarks.bench_analyze --records 20000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult

from benchmarks.corpus import generate_records
from benchmarks.scoring import load_ner, person_scores
from desens import DEFAULT_THRESHOLD, JiebaNlpEngine, build_analyzer
from recognizers import default_recognizers

REPO = Path(__file__).resolve().parents[1]


class JiebaPossegPersonRecognizer(EntityRecognizer):
    """Baseline PERSON: words jieba.posseg tags as person names."""

    TAGS = frozenset({"nr", "nrfg", "nrt"})

    def __init__(self) -> None:
        super().__init__(supported_entities=["PERSON"], supported_language="zh")

    def load(self) -> None:
        import jieba
        import jieba.posseg

        jieba.setLogLevel(60)
        self._posseg = jieba.posseg.POSTokenizer(jieba.Tokenizer())

    def analyze(self, text, entities, nlp_artifacts=None):
        out, pos = [], 0
        for word, flag in self._posseg.cut(text):
            if flag in self.TAGS and len(word) >= 2:
                out.append(RecognizerResult("PERSON", pos, pos + len(word), 0.85))
            pos += len(word)
        return out


def build_baseline(threshold: float) -> AnalyzerEngine:
    recognizers = [r for r in default_recognizers() if "PERSON" not in r.supported_entities]
    recognizers.append(JiebaPossegPersonRecognizer())
    registry = RecognizerRegistry(supported_languages=["zh"])
    for recognizer in recognizers:
        registry.add_recognizer(recognizer)
    engine = JiebaNlpEngine(extra_words={w for r in recognizers for w in r.context})
    return AnalyzerEngine(
        registry=registry,
        nlp_engine=engine,
        supported_languages=["zh"],
        default_score_threshold=threshold,
    )


def timed(fn: Callable[[], object]) -> tuple[float, float]:
    """Wall-clock and CPU seconds of ``fn()``."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - start, time.process_time() - cpu


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--baseline-records", type=int, default=2000, help="the baseline is slow")
    parser.add_argument("--batch-size", type=int, default=1024, help="as `desens analyze`")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds")
    args = parser.parse_args(argv)

    texts = [r["text"] for r in generate_records(args.records, seed=args.seed)]
    base_texts = texts[: args.baseline_records]
    size = lambda xs: sum(len(t.encode("utf-8")) for t in xs)  # noqa: E731

    analyzer = build_analyzer(threshold=args.threshold)
    analyzer.analyze_batch(texts[:64])  # warm-up: first-call costs are not throughput
    baseline = build_baseline(args.threshold)
    baseline.analyze(base_texts[0], language="zh")
    # As `desens analyze` does once its analyzer is built (both sides gain).
    gc.freeze()
    bs = args.batch_size
    # Interleaved rounds: on a shared machine both sides then see the same load.
    # CPU seconds are reported too: on a loaded machine they move less than
    # wall-clock seconds (the headline figures stay wall-clock).
    t_desens = t_base = cpu_desens = cpu_base = 0.0
    for r in range(args.rounds):
        mine = texts[r :: args.rounds]
        theirs = base_texts[r :: args.rounds]
        wall, cpu = timed(
            lambda m=mine: [analyzer.analyze_batch(m[i : i + bs]) for i in range(0, len(m), bs)]
        )
        t_desens, cpu_desens = t_desens + wall, cpu_desens + cpu
        wall, cpu = timed(lambda t=theirs: [baseline.analyze(x, language="zh") for x in t])
        t_base, cpu_base = t_base + wall, cpu_base + cpu

    mbs = size(texts) / t_desens / 1e6
    base_mbs = size(base_texts) / t_base / 1e6
    cpu_mbs = size(texts) / cpu_desens / 1e6
    cpu_base_mbs = size(base_texts) / cpu_base / 1e6
    quality = {}
    for name in ("cluener_dev", "weibo_dev"):
        data = load_ner(name)
        if data is None:
            quality[name] = None
            continue
        predicted = analyzer.analyze_batch([d["text"] for d in data])
        quality[name] = person_scores(data, predicted)
    result = {
        "benchmark": "analyze",
        "corpus": {
            "generator": "benchmarks/corpus.py",
            "seed": args.seed,
            "records": len(texts),
            "mb": round(size(texts) / 1e6, 3),
        },
        "settings": {"threshold": args.threshold, "batch_size": bs, "entities": analyzer.entities},
        "desens": {
            "mb_per_s": round(mbs, 3),
            "records_per_s": round(len(texts) / t_desens),
            "seconds": round(t_desens, 2),
            "cpu_mb_per_s": round(cpu_mbs, 3),
            "cpu_seconds": round(cpu_desens, 2),
        },
        "baseline": {
            "what": "presidio AnalyzerEngine + regex recognizers + jieba.posseg nr",
            "records": len(base_texts),
            "mb_per_s": round(base_mbs, 4),
            "records_per_s": round(len(base_texts) / t_base),
            "seconds": round(t_base, 2),
            "cpu_mb_per_s": round(cpu_base_mbs, 4),
            "cpu_seconds": round(cpu_base, 2),
        },
        "ratio": round(mbs / base_mbs, 1),
        "cpu_ratio": round(cpu_mbs / cpu_base_mbs, 1),
        "person_quality_same_settings": quality,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "machine": {
            "python": platform.python_version(),
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "processes_used": 1,
        },
    }
    print(json.dumps(result, ensure_ascii=False))
    print(
        f"desens {mbs:.2f} MB/s vs baseline {base_mbs:.3f} MB/s ({mbs / base_mbs:.1f}x), "
        f"CPU time: {cpu_mbs:.2f} vs {cpu_base_mbs:.3f} MB/s, peak RSS {result['peak_rss_mb']} MB",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
