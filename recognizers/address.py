"""Best-effort recognizer for mainland postal addresses (地址, 住址)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import regex
from presidio_analyzer import AnalysisExplanation, Pattern, RecognizerResult

if TYPE_CHECKING:
    from presidio_analyzer.nlp_engine import NlpArtifacts

from recognizers.batch import BatchPatternRecognizer, JoinedTexts

__all__ = ["CnAddressRecognizer"]

# A CJK character that can be part of a place or road name. Function words and
# pronouns never are, which stops a name from swallowing "的", "在", "我" ...
_NOT_IN_NAMES = "的在是与或我你他她们了到住址为把被就也还而但及请"
_N = rf"(?:(?![{_NOT_IN_NAMES}])\p{{Han}})"
_NUM = "[0-9０-９]"
_CNUM = "[0-9０-９一二三四五六七八九十百零〇]"

# Words ending in 区 that name no district ("小区" is a housing estate).
_NOT_DISTRICT = r"(?<!小区|社区|市区|景区|片区|街区|辖区|园区|校区|地区|灾区|疫区|禁区)"

_PROVINCE = (
    r"(?:北京|天津|上海|重庆)市?"
    r"|(?:河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东"
    r"|海南|四川|贵州|云南|陕西|甘肃|青海|台湾)省?"
    r"|(?:内蒙古|广西壮族|广西|西藏|宁夏回族|宁夏|新疆维吾尔|新疆)(?:自治区)?"
    r"|(?:香港|澳门)(?:特别行政区)?"
)
# Named groups say which kind of component matched; the order of the
# alternatives is the order of preference at one position.
_COMPONENT = (
    rf"(?P<province>{_PROVINCE})"
    rf"|(?P<city>{_N}{{2,8}}?自治州|{_N}{{2,4}}?(?:地区|盟)|{_N}{{2,4}}?市)"
    rf"|(?P<district>{_N}{{1,8}}?(?:自治县|自治旗)|{_N}{{1,5}}?(?:区|县|旗|市){_NOT_DISTRICT})"
    rf"|(?P<town>{_N}{{1,5}}?(?:街道办事处|街道|镇|乡|苏木))"
    rf"|(?P<village>(?:{_N}|[A-Za-z0-9]){{1,8}}?(?:村委会|居委会|社区|小区|新村|花园|大厦|公寓|家园|村))"
    rf"|(?P<road>(?:{_N}|{_NUM}){{1,8}}?(?:大道|大街|路|街|巷|弄|胡同"
    rf"|道(?=[东西南北中]?{_CNUM}+号))(?:[东西南北中](?:段|侧)?)?(?:{_CNUM}+(?:段|巷|弄))?)"
    rf"|(?P<building>{_N}{{0,6}}?(?:{_NUM}+|[A-Za-z])(?:号楼|栋|幢|座|楼|层))"
    rf"|(?P<number>{_CNUM}+(?:[\-－之]{_NUM}+)?号(?:院)?)"
    rf"|(?P<unit>{_NUM}+单元)"
    rf"|(?P<room>{_NUM}+(?:室|房|号房)|(?<=单元|栋|幢|座|号楼){_NUM}{{3,4}}(?![0-9０-９]))"
    rf"|(?P<group>{_CNUM}+(?:组|队))"
)
# Every component ends in one of these; checking for one ahead first skips most
# positions of ordinary text cheaply.
_SUFFIX_CHARS = "省区市县旗州盟镇乡道村会园厦寓路街巷弄同号栋幢座楼层元室房组队"
_ADDRESS = rf"(?=(?:\p{{Han}}|[0-9０-９A-Za-z]){{0,10}}[{_SUFFIX_CHARS}])(?:{_COMPONENT})+"

_HAN_SPANS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2EBEF))
_HAN_RANGES = "[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _HAN_SPANS) + "]"


def _class_without(spans: tuple[tuple[int, int], ...], excluded: str) -> str:
    """A character class of the code points in ``spans`` except those in ``excluded``."""
    parts = []
    for lo, hi in spans:
        cut = [c for c in sorted(map(ord, excluded)) if lo <= c <= hi]
        for a, b in zip([lo] + [c + 1 for c in cut], [c - 1 for c in cut] + [hi], strict=True):
            if a <= b:
                parts.append(chr(a) if a == b else f"{chr(a)}-{chr(b)}")
    return "[" + "".join(parts) + "]"


# _N as one character class: the same characters, but the stdlib engine tests
# a class in one step (a bitmap over the BMP) where the negative lookahead
# and the class took two; this halves the time of the chain search.
_N_CLASS = _class_without(_HAN_SPANS, _NOT_IN_NAMES)


def _stdlib_pattern(pattern: str) -> str:
    """The chain pattern in stdlib ``re`` syntax: one class for `_N`, fixed-width lookbehinds."""
    return (
        pattern.replace(_N, _N_CLASS)
        .replace(r"\p{Han}", _HAN_RANGES)
        .replace("(?<=单元|栋|幢|座|号楼)", "(?:(?<=单元)|(?<=栋)|(?<=幢)|(?<=座)|(?<=号楼))")
    )


_ADMIN = ("province", "city", "district", "town")
_FINE = ("village", "road", "building", "number", "unit", "room", "group")

# Words that introduce an address and tend to be swallowed into the first
# place name ("户籍地江门市" would otherwise start at "籍").
_LEAD_WORDS = (
    "户籍所在地",
    "户籍地址",
    "家庭住址",
    "联系地址",
    "通讯地址",
    "注册地址",
    "经营地址",
    "居住地址",
    "所在地",
    "户籍地",
    "居住地",
    "出生地",
    "住所地",
    "现住址",
    "住址",
    "地址",
    "住所",
    "籍贯",
    "家住",
    "现住",
    "现居",
    "居住",
    "位于",
    "地处",
    "来自",
    "坐落",
    "本人",
)


_LONGEST_LEAD = max(map(len, _LEAD_WORDS))
# Every place an introducing word starts (a lookahead, so they may overlap).
_LEAD_RE = re.compile(
    "(?=(" + "|".join(map(re.escape, sorted(_LEAD_WORDS, key=len, reverse=True))) + "))"
)

# How far into a match an introducing word may hide (a first name is short).
_FIRST_NAME_WINDOW = 8


def _score(kinds: list[str]) -> float:
    """Score a chain of components: longer and finer-grained chains score higher."""
    n = len(kinds)
    if n < 2:
        return 0.0
    if not any(k in _FINE for k in kinds):
        # Only administrative areas ("广东省江门市"): a region, not an address,
        # unless a context word says otherwise.
        return 0.3 if n == 2 else 0.4
    return {2: 0.45, 3: 0.6, 4: 0.7}.get(n, 0.8)


class CnAddressRecognizer(BatchPatternRecognizer):
    """Find postal addresses as chains of administrative and street components.

    A component is a name followed by a suffix: 省/自治区/市/区/县/镇/乡/街道,
    村/社区/小区, 路/街/大道/巷/弄, or a number with 号/栋/幢/座/单元/室/楼.
    Province names come from a closed list. The score grows with the number
    of components: two 0.45, three 0.6, four 0.7, five or more 0.8; a chain
    of administrative areas only (``广东省江门市``) gets 0.3-0.4, and a lone
    component (``江门市``) is not reported. Introducing words (住址, 户籍地 ...)
    are trimmed from the front. This is a heuristic: a name glued to preceding
    ordinary words ("本人江门市...") may include them.

    Example:
        >>> r = CnAddressRecognizer()
        >>> text = "住址：广东省江门市蓬江区建设路88号3栋502室。"
        >>> [(x.start, x.end) for x in r.analyze(text, ["CN_ADDRESS"])]
        [(3, 24)]
    """

    ENTITY = "CN_ADDRESS"
    # The pattern score is a placeholder: analyze() scores each chain itself.
    PATTERNS: ClassVar[list[Pattern]] = [Pattern("cn_address_chain", _ADDRESS, 0.5)]
    # Chains are Han characters, digits, Latin letters and dashes, and hold a
    # suffix character: the patterns run over the pieces of a batch made of
    # those (see recognizers.excerpt); punctuation and numbers-only runs drop out.
    SCAN_ALPHABET: ClassVar[str] = _HAN_RANGES[1:-1] + "〇0-9０-９A-Za-z\\-－"
    SCAN_KEYS: ClassVar[str] = _SUFFIX_CHARS
    CONTEXT: ClassVar[list[str]] = [
        "地址",
        "住址",
        "户籍地",
        "户籍地址",
        "住所",
        "居住地",
        "现住址",
        "家庭住址",
        "联系地址",
        "通讯地址",
        "注册地址",
        "所在地",
    ]

    def __init__(self, supported_language: str = "zh", **kw: Any) -> None:
        super().__init__(supported_language, **kw)
        # Chains are found with the stdlib engine (2-3x faster on this pattern;
        # same matches, tested) and broken into components with ``regex``,
        # which keeps every capture of a repeated group.
        self._finder = re.compile(_stdlib_pattern(_ADDRESS), flags=re.DOTALL | re.MULTILINE)
        self._component = re.compile(_stdlib_pattern(_COMPONENT), flags=re.DOTALL | re.MULTILINE)
        self._compiled = regex.compile(_ADDRESS, flags=self.global_regex_flags)
        # presidio assigns ``name`` in branches mypy cannot type.
        self._result_name: str = str(self.name)  # type: ignore[has-type]

    def analyze(
        self,
        text: str,
        entities: list[str],
        nlp_artifacts: NlpArtifacts | None = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Find component chains, trim introducing words and score each chain.

        Args:
            text: The text to search.
            entities: The entities asked for; nothing is returned unless
                ``CN_ADDRESS`` is among them.
            nlp_artifacts: Unused; accepted for the presidio interface.
            regex_flags: Unused; the pattern is compiled at construction.

        Returns:
            One result per chain of at least two components with a score above 0.
        """
        if entities and self.ENTITY not in entities:
            return []
        return self.analyze_batch([text])[0]

    def scan_patterns(self) -> tuple[str, ...]:
        """The chain pattern in stdlib syntax, the one the finder runs."""
        return (_stdlib_pattern(_ADDRESS),)

    def _batch_results(self, joined: JoinedTexts) -> Iterator[tuple[int, RecognizerResult]]:
        text, origin = self._scan_text(joined)
        for match in self._finder.finditer(text):
            start, end = self._trim_lead(text, match.start(), match.end())
            kinds = self._chain_kinds(text, start, end)
            if kinds is None:
                continue
            if origin is not None:
                moved = origin(start)
                start, end = moved, moved + end - start
            located = joined.locate(start, end)
            if located is None:
                continue
            score = _score(kinds)
            if score <= 0:
                continue
            i, local_start, local_end = located
            explanation = AnalysisExplanation(
                recognizer=self._result_name,
                original_score=score,
                pattern_name="cn_address_chain",
                textual_explanation=f"{len(kinds)} address components: {'/'.join(kinds)}",
            )
            yield (
                i,
                RecognizerResult(
                    entity_type=self.ENTITY,
                    start=local_start,
                    end=local_end,
                    score=score,
                    analysis_explanation=explanation,
                    recognition_metadata={
                        RecognizerResult.RECOGNIZER_NAME_KEY: self._result_name,
                        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                    },
                ),
            )

    @staticmethod
    def _trim_lead(text: str, start: int, end: int) -> tuple[int, int]:
        """Move ``start`` past an introducing word swallowed by the first name.

        The word may begin before the match ("户籍地江门市" matches from "籍") or
        lie inside the first component ("公司位于广州市" matches from "司"), so
        look in a window around the start no longer than a first place name.
        """
        window_start = max(0, start - _LONGEST_LEAD + 1)
        window = text[window_start : min(end, start + _FIRST_NAME_WINDOW)]
        new_start = start
        # The end of the last introducing word (the longest one at each place).
        for found in _LEAD_RE.finditer(window):
            new_start = max(new_start, window_start + found.start() + len(found.group(1)))
        return new_start, end

    def _chain_kinds(self, text: str, start: int, end: int) -> list[str] | None:
        """The component kinds of the chain ``text[start:end]``; None if it is no chain.

        Walks the components with the stdlib engine, taking the first
        component that matches at each position. When that walk ends exactly
        at ``end`` it is the decomposition ``regex`` would report (its first
        successful path); otherwise ask ``regex``, which backtracks.
        """
        kinds: list[str] = []
        pos = start
        component = self._component.match
        while pos < end:
            m = component(text, pos, end)
            if m is None or m.end() == pos:
                break
            kinds.append(m.lastgroup or "")
            pos = m.end()
        if pos == end and kinds:
            return kinds
        chain = self._compiled.fullmatch(text, start, end)
        return None if chain is None else self._kinds(chain)

    @staticmethod
    def _kinds(match: regex.Match[str]) -> list[str]:
        """List the component kinds of a chain, in text order."""
        spans: list[tuple[int, str]] = []
        for kind in (*_ADMIN, *_FINE):
            spans.extend((s, kind) for s, _ in match.spans(kind))
        return [kind for _, kind in sorted(spans)]
