"""Unit tests of the PERSON recognizer: exact spans on records and government prose."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from presidio_analyzer import RecognizerResult

from recognizers.person import CnPersonRecognizer
from recognizers.person.crf import BEGIN, END, INSIDE, SINGLE, LinearChainCrf, allowed_transitions
from recognizers.person.features import REACH, HashTable, encode_batch


def spans(text: str, *names: str) -> list[tuple[int, int]]:
    """Exact spans of ``names`` in ``text``, searched left to right."""
    out, pos = [], 0
    for name in names:
        start = text.index(name, pos)
        out.append((start, start + len(name)))
        pos = start + len(name)
    return out


@pytest.fixture(scope="module")
def recognizer() -> CnPersonRecognizer:
    return CnPersonRecognizer()


def found(rec: CnPersonRecognizer, text: str) -> list[tuple[int, int]]:
    return [(r.start, r.end) for r in rec.analyze(text, ["PERSON"]) if r.score >= 0.5]


T1 = "申请人：欧阳明辉，身份证号：440102199001011234，联系电话：13800138000。"
T2 = "联系人 古丽米拉·艾买提 电话 13912345678"
T3 = "参会人员：张伟、李娜、王芳"
T4 = "经办人：王刚  审核人：司马燕"
T5 = "李建国，13800138000，广州市越秀区中山路12号"
T6 = "请陈志强先生于本周五前到窗口补交材料。"
T7 = "感谢黄丽华女士对我市政务服务工作的支持。"
T8 = "投诉人诸葛文反映小区噪音扰民问题。"
T9 = "经研究，任命周建平同志为市数据资源管理局副局长。"
T10 = "上官婉儿,13712345678,女"
T11 = "收件人：热依拉·买买提 13800001111 乌鲁木齐市天山区"

POSITIVE = [
    pytest.param(T1, spans(T1, "欧阳明辉"), id="compound-surname-with-context"),
    pytest.param(T2, spans(T2, "古丽米拉·艾买提"), id="minority-name-with-dot"),
    pytest.param(T3, spans(T3, "张伟", "李娜", "王芳"), id="list-of-two-char-names"),
    pytest.param(T4, spans(T4, "王刚", "司马燕"), id="one-char-given-names"),
    pytest.param(T5, spans(T5, "李建国"), id="no-context-word"),
    pytest.param(T6, spans(T6, "陈志强"), id="title-xiansheng"),
    pytest.param(T7, spans(T7, "黄丽华"), id="title-nvshi"),
    pytest.param(T8, spans(T8, "诸葛文"), id="compound-surname-one-char-given"),
    pytest.param(T9, spans(T9, "周建平"), id="tongzhi-with-organisation"),
    pytest.param(T10, spans(T10, "上官婉儿"), id="csv-row"),
    pytest.param(T11, spans(T11, "热依拉·买买提"), id="minority-name-recipient"),
]

NEGATIVE = [
    pytest.param("为保护个人隐私，公开前须对数据进行脱敏处理。", id="tuomin"),
    pytest.param("各地要建立健全公共数据安全管理制度。", id="jianlijianquan"),
    pytest.param("各单位要严格执行请示报告制度。", id="yangejianxing"),
    pytest.param("进一步完善政民互动平台，及时回应群众关切。", id="zhengminhudong"),
    pytest.param("温政办〔2021〕12号", id="document-number"),
    pytest.param(
        "江门市人民政府办公室关于印发江门市政务数据管理办法的通知", id="government-office"
    ),
    pytest.param("市数据资源管理局负责统筹全市数据共享工作。", id="data-bureau"),
    pytest.param("<p>第三条 数据处理者应当依法履行数据安全保护义务。</p>", id="markup"),
    pytest.param("订单号：202311220001，金额：1280.00元，日期：2023年11月22日", id="order-number"),
]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_finds_names(recognizer: CnPersonRecognizer, text: str, expected: list) -> None:
    assert found(recognizer, text) == expected


@pytest.mark.parametrize("text", NEGATIVE)
def test_no_names_in_government_prose(recognizer: CnPersonRecognizer, text: str) -> None:
    assert found(recognizer, text) == []


def test_result_metadata(recognizer: CnPersonRecognizer) -> None:
    (result,) = recognizer.analyze(T6, ["PERSON"])
    assert result.entity_type == "PERSON"
    assert 0.5 <= result.score <= 1.0
    assert result.analysis_explanation is not None
    assert result.analysis_explanation.recognizer == recognizer.name
    meta = result.recognition_metadata
    assert meta[RecognizerResult.RECOGNIZER_NAME_KEY] == "CnPersonRecognizer"
    assert meta[RecognizerResult.RECOGNIZER_IDENTIFIER_KEY] == recognizer.id
    assert meta[RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY] is True


def test_other_entities_only_returns_nothing(recognizer: CnPersonRecognizer) -> None:
    assert recognizer.analyze(T6, ["PHONE_NUMBER"]) == []


def test_batch_equals_single(recognizer: CnPersonRecognizer) -> None:
    texts = [T1, "", T3, "没有名字。", T5 * 20]
    batch = recognizer.analyze_batch(texts)
    single = [recognizer.analyze(t, ["PERSON"]) for t in texts]
    assert [[(r.start, r.end, round(r.score, 4)) for r in rs] for rs in batch] == [
        [(r.start, r.end, round(r.score, 4)) for r in rs] for rs in single
    ]
    assert batch[1] == []


def test_a_text_gets_the_same_names_and_scores_in_any_batch(
    recognizer: CnPersonRecognizer,
) -> None:
    # Context words at the end of one text must not reach the next one.
    before = ["联系申请人", "经办人：", "致王先生", "", "身份证号码"]
    texts = ["张伟到场", "欧阳娜娜已签收", T1]
    alone = [recognizer.analyze_batch([t])[0] for t in texts]
    for prefix in before:
        for text, expected in zip(texts, alone, strict=True):
            got = recognizer.analyze_batch([prefix, text, prefix])[1]
            assert [(r.start, r.end, r.score) for r in got] == [
                (r.start, r.end, r.score) for r in expected
            ]


def test_long_text_is_decoded_in_pieces(recognizer: CnPersonRecognizer) -> None:
    text = "，".join(["参会人员：张伟、李娜"] * 40)  # one sentence longer than a segment
    starts = [r.start for r in recognizer.analyze(text, ["PERSON"]) if r.score >= 0.5]
    assert len(starts) >= 70


def test_supported_entities_and_language(recognizer: CnPersonRecognizer) -> None:
    assert recognizer.supported_entities == ["PERSON"]
    assert recognizer.supported_language == "zh"
    assert "先生" in recognizer.CONTEXT


def _brute_force(
    crf: LinearChainCrf, em: np.ndarray
) -> tuple[tuple[int, ...], dict[tuple[int, ...], float]]:
    """Best labeling and log-score of every legal labeling of one sequence ((T, 5))."""
    ok = allowed_transitions()
    scores = {}
    for seq in itertools.product(range(5), repeat=em.shape[0]):
        if seq[0] in (INSIDE, END) or seq[-1] in (BEGIN, INSIDE):
            continue
        if any(not ok[a, b] for a, b in itertools.pairwise(seq)):
            continue
        scores[seq] = float(
            sum(em[t, y] for t, y in enumerate(seq))
            + sum(crf.transition[a, b] for a, b in itertools.pairwise(seq))
        )
    return max(scores, key=scores.__getitem__), scores


@pytest.mark.parametrize("seed", range(8))
def test_decoder_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    crf = LinearChainCrf(np.zeros((4, 5), np.float32), rng.normal(size=(5, 5)).astype(np.float32))
    steps = 6
    lengths = np.array([steps, int(rng.integers(1, steps + 1))])
    em = (rng.normal(size=(2, steps, 5)) * 2).astype(np.float32)
    labels = crf.viterbi(np.ascontiguousarray(em.transpose(2, 1, 0)), lengths)
    for row in range(2):
        n = int(lengths[row])
        best, scores = _brute_force(crf, em[row, :n])
        assert tuple(labels[row, :n]) == best
        log_z = np.logaddexp.reduce(list(scores.values()))
        starts = [t for t, y in enumerate(best) if y in (BEGIN, SINGLE)]
        ends = [t + 1 for t, y in enumerate(best) if y in (END, SINGLE)]
        for s, e in zip(starts, ends, strict=True):
            expected = sum(np.exp(v - log_z) for q, v in scores.items() if q[s:e] == best[s:e])
            got = crf.span_marginals(
                np.ascontiguousarray(em[[row]].transpose(2, 1, 0)),
                lengths[[row]],
                labels[[row]],
                np.array([0]),
                np.array([s]),
                np.array([e]),
            )
            assert got[0] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("seed", range(8))
def test_maybe_named_keeps_every_name_label_of_the_best_path(seed: int) -> None:
    rng = np.random.default_rng(seed)
    transition = rng.normal(size=(5, 5)).astype(np.float32)
    transition[0, 0] = transition.max() + 1.0  # O -> O is the likeliest, as in training
    crf = LinearChainCrf(np.zeros((4, 5), np.float32), transition)
    lengths = rng.integers(1, 7, size=40)
    em = rng.normal(size=(int(lengths.sum()), 5)).astype(np.float32) * 2
    em[:, 0] += 1.5
    seg_first = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    gain = em[:, 1:].max(axis=1) - em[:, 0]
    maybe = crf.maybe_named(gain, seg_first, lengths)
    for first, n in zip(seg_first.tolist(), lengths.tolist(), strict=True):
        best, _ = _brute_force(crf, em[first : first + n])
        named = np.array(best) != 0
        assert not (named & ~maybe[first : first + n]).any()
    assert 0 < maybe.sum() < maybe.size  # the bound rules out some characters, not all


def test_features_of_a_stretch_with_reach_margins_are_those_of_the_whole(
    recognizer: CnPersonRecognizer,
) -> None:
    # Long context words (公民身份 after a name, 犯罪嫌疑人 before one) look
    # farthest; the tagger computes emissions a stretch at a time.
    texts = ["张伟公民身份号码", "犯罪嫌疑人：李四", "申请人：欧阳明辉先生说", "致刘洋："]
    cps, _ = encode_batch(texts)
    extractor = recognizer._tagger.extractor  # type: ignore[union-attr]
    whole = extractor.extract(cps)
    n = cps.size
    short = 0
    for cut in range(1, n):
        for lo, hi in ((0, cut), (cut, n)):
            for margin in (REACH, REACH - 2):
                a, b = max(0, lo - margin), min(n, hi + margin)
                same = np.array_equal(
                    extractor.extract(cps[a:b])[:, lo - a : hi - a], whole[:, lo:hi]
                )
                assert same or margin < REACH, (cut, lo, hi)
                short += not same
    assert short > 0  # a smaller margin would not do: the texts reach that far


def test_hash_table_finds_keys_and_only_keys() -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(1, 2**63, 5000, dtype=np.uint64)
    table = HashTable.build(keys, np.arange(5000, dtype=np.int32))
    assert table.lookup(keys).tolist() == list(range(5000))
    others = rng.integers(1, 2**63, 5000, dtype=np.uint64)
    assert (table.lookup(np.setdiff1d(others, keys)) == -1).all()


def test_character_classes() -> None:
    from recognizers.person import features as f

    text = "\x00张5５Aａé·，, 　\t😀"
    expected = [
        f.C_PAD,
        f.C_HAN,
        f.C_DIGIT,
        f.C_DIGIT,
        f.C_LATIN,
        f.C_LATIN,
        f.C_LATIN,
        f.C_DOT,
        f.C_PUNCT,
        f.C_PUNCT,
        f.C_SPACE,
        f.C_SPACE,  # U+3000 is in the CJK punctuation block, but a space
        f.C_SPACE,
        f.C_OTHER,
    ]
    cps = np.array([ord(c) for c in text], dtype=np.int64)
    assert f.char_classes(cps).tolist() == expected
