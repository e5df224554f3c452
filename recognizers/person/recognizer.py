"""Chinese person names (PERSON) with a character-level CRF.

The recognizer tags each character with a linear-chain CRF trained on CLUENER2020
plus synthetic public-sector records (see ``MODEL_CARD.md``). Its features
already include the context words around a name (姓名, 联系人, 申请人 before it;
先生, 女士, 同志, 经理 after it), so results are marked as context-enhanced and
presidio's context enhancer leaves their scores alone.

Example:
    >>> rec = CnPersonRecognizer()  # doctest: +SKIP
    >>> [(r.start, r.end) for r in rec.analyze("申请人：欧阳明辉", ["PERSON"])]  # doctest: +SKIP
    [(4, 8)]
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from recognizers.person.tagger import PersonTagger

__all__ = ["CnPersonRecognizer"]


class CnPersonRecognizer(EntityRecognizer):
    """Find Chinese person names (including compound surnames and names with ·).

    Scores are the CRF's marginal probability of the exact span, so 0.5 is a
    sensible threshold. Use :meth:`analyze_batch` for many texts: it decodes
    them together and is much faster per character than one call per text.

    Args:
        supported_entities: defaults to ``["PERSON"]``.
        supported_language: defaults to ``"zh"``.
        name: recognizer name; defaults to the class name.
        model_path: a model file to use instead of the shipped ``model.npz``.
    """

    ENTITY = "PERSON"
    name: str  # set by EntityRecognizer.__init__ (declared for type checkers)
    #: Context words the model sees as features (documentation; the model file
    #: is built from ``context_prefix.txt`` and ``context_suffix.txt``).
    CONTEXT: ClassVar[list[str]] = [
        "姓名",
        "联系人",
        "申请人",
        "投诉人",
        "举报人",
        "当事人",
        "法定代表人",
        "经办人",
        "参会人员",
        "先生",
        "女士",
        "同志",
        "经理",
        "主任",
        "老师",
        "记者",
    ]

    def __init__(
        self,
        supported_entities: list[str] | None = None,
        supported_language: str = "zh",
        name: str | None = None,
        model_path: str | Path | None = None,
    ) -> None:
        self._model_path = model_path
        self._tagger: PersonTagger | None = None
        super().__init__(
            supported_entities=supported_entities or [self.ENTITY],
            name=name or type(self).__name__,
            supported_language=supported_language,
            context=list(self.CONTEXT),
        )

    def load(self) -> None:
        """Load the CRF weights and lexicons (called once by the constructor).

        Raises:
            ModelError: the model or lexicons file is missing or was written by
                an incompatible version.
        """
        # Imported here: desens imports recognizers, so a module-level import
        # would be circular when recognizers is imported first.
        from desens.errors import ModelError

        try:
            self._tagger = PersonTagger.load(self._model_path)
        except (OSError, ValueError, KeyError) as exc:
            where = self._model_path or "recognizers/person/model.npz"
            raise ModelError(
                f"cannot load the PERSON model from {where} (with recognizers/person/"
                f"lexicons.npz): {exc}; "
                "reinstall desens or retrain with `python -m recognizers.person.train`"
            ) from exc

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Find names in one text (``entities`` must include PERSON, or nothing is returned)."""
        if entities and self.ENTITY not in entities:
            return []
        return self.analyze_batch([text])[0]

    def analyze_batch(self, texts: Sequence[str]) -> list[list[RecognizerResult]]:
        """Find names in many texts at once; one result list per text, in order."""
        if self._tagger is None:
            self.load()
        assert self._tagger is not None
        metadata = {
            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY: True,
        }
        out: list[list[RecognizerResult]] = []
        for spans in self._tagger.tag(texts):
            results = []
            for start, end, score in spans:
                explanation = AnalysisExplanation(
                    recognizer=self.name,
                    original_score=score,
                    textual_explanation="character CRF: marginal probability of the span",
                )
                results.append(
                    RecognizerResult(
                        entity_type=self.ENTITY,
                        start=start,
                        end=end,
                        score=score,
                        analysis_explanation=explanation,
                        recognition_metadata=dict(metadata),
                    )
                )
            out.append(results)
        return out
