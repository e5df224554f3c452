"""A jieba-backed presidio ``NlpEngine`` for Chinese (language code ``zh``).

presidio's context enhancement compares context words with the tokens before a
match. Its stock engines tokenize Chinese by downloading a spaCy model; this
engine tokenizes with jieba instead and builds presidio's ``NlpArtifacts``
without any model: tokens are a spaCy ``Doc`` made from jieba's words over an
empty vocabulary, lemmas are the tokens themselves (Chinese has no inflection).

Context words are added to the engine's private jieba dictionary so that a
word such as 联系电话 stays one token and presidio's matching can see it.

Example:
    >>> engine = JiebaNlpEngine(extra_words=["联系电话"])
    >>> engine.load()
    >>> artifacts = engine.process_text("联系电话：13800138000", "zh")
    >>> artifacts.tokens[0].text
    '联系电话'
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Iterator
from typing import Any

import jieba
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine
from spacy.tokens import Doc
from spacy.vocab import Vocab

__all__ = ["STOPWORDS", "JiebaNlpEngine"]

LANGUAGE = "zh"

#: Function words that never carry context. Kept short on purpose: a context
#: word must never be a stopword.
STOPWORDS = frozenset("的了是在和与及或等为对将由于把被其之而并也都就这那个着过以向从")


def _is_punct(word: str) -> bool:
    """True when every character is punctuation, a symbol or white space."""
    return all(unicodedata.category(ch)[0] in "PZS" or ch.isspace() for ch in word)


class JiebaNlpEngine(NlpEngine):
    """Tokenize Chinese text with a private jieba tokenizer, for presidio.

    Args:
        extra_words: words to keep as single tokens (context words).
        hmm: let jieba's HMM guess unknown words. Off by default: it is slower
            and its guesses are not needed for context matching.
    """

    engine_name = "jieba"
    is_available = True

    def __init__(self, extra_words: Iterable[str] = (), hmm: bool = False) -> None:
        self._extra_words = sorted(set(extra_words))
        self._hmm = hmm
        self._tokenizer: jieba.Tokenizer | None = None
        self._loaded = False
        self._vocab = Vocab()

    def load(self) -> None:
        """Mark the engine ready; jieba's dictionary loads on first use.

        Loading jieba takes about a second; analyzers that never tokenize
        (the batch path) should not pay for it.
        """
        self._loaded = True

    def is_loaded(self) -> bool:
        """Return True once :meth:`load` has run."""
        return self._loaded

    def add_words(self, words: Iterable[str]) -> None:
        """Keep further words as single tokens (e.g. a new recognizer's context)."""
        new = set(words) - set(self._extra_words)
        self._extra_words = sorted(set(self._extra_words) | new)
        if self._tokenizer is not None:
            for word in sorted(new):
                self._add(self._tokenizer, word)

    def tokenize(self, text: str) -> list[tuple[str, int]]:
        """Split text into (token, start offset) pairs."""
        if not self._loaded:
            raise RuntimeError("JiebaNlpEngine is not loaded; call load() first")
        tokenizer = self._tokenizer or self._make_tokenizer()
        out: list[tuple[str, int]] = []
        pos = 0
        for word in tokenizer.cut(text, HMM=self._hmm):
            out.append((word, pos))
            pos += len(word)
        return out

    def _make_tokenizer(self) -> jieba.Tokenizer:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()  # bundled dictionary, no download
        tokenizer.initialize()
        for word in self._extra_words:
            self._add(tokenizer, word)
        self._tokenizer = tokenizer
        return tokenizer

    @staticmethod
    def _add(tokenizer: jieba.Tokenizer, word: str) -> None:
        # A high frequency makes jieba prefer the whole word over its parts.
        tokenizer.add_word(word, freq=max(tokenizer.suggest_freq(word), 100_000))

    def process_text(self, text: str, language: str) -> NlpArtifacts:
        """Tokenize ``text`` and wrap the tokens as presidio ``NlpArtifacts``."""
        self._check_language(language)
        pairs = self.tokenize(text)
        words = [w for w, _ in pairs]
        doc = Doc(self._vocab, words=words, spaces=[False] * len(words))
        return NlpArtifacts(
            entities=[],
            tokens=doc,
            tokens_indices=[start for _, start in pairs],
            lemmas=words,
            nlp_engine=self,
            language=language,
            scores=[],
        )

    def process_batch(
        self,
        texts: Iterable[str],
        language: str,
        batch_size: int = 1,
        n_process: int = 1,
        **kwargs: Any,
    ) -> Iterator[tuple[str, NlpArtifacts]]:
        """Process texts one by one (jieba has no batch mode)."""
        for text in texts:
            yield text, self.process_text(text, language)

    def is_stopword(self, word: str, language: str) -> bool:
        """Return True for Chinese function words (see :data:`STOPWORDS`)."""
        return word in STOPWORDS

    def is_punct(self, word: str, language: str) -> bool:
        """Return True for punctuation and white-space tokens."""
        return _is_punct(word)

    def get_supported_entities(self) -> list[str]:
        """No NER model: this engine finds no entities itself."""
        return []

    def get_supported_languages(self) -> list[str]:
        """Only Chinese."""
        return [LANGUAGE]

    @staticmethod
    def _check_language(language: str) -> None:
        if language != LANGUAGE:
            raise ValueError(f"JiebaNlpEngine supports only language 'zh', not {language!r}")
