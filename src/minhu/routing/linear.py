"""The classifier's prediction path: its fitted parts as plain arrays, applied without scikit-learn.

scikit-learn checks its inputs on every call, which for one message costs more than the arithmetic
(``predict_proba`` of one row took milliseconds). Prediction here reads the fitted vocabulary, IDF
weights, coefficients and calibration parameters once and scores a message with a few array
operations. A test keeps the outputs equal to the fitted scikit-learn estimators'
(tests/routing/test_classifier.py).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import expit

_WHITE_SPACES = re.compile(r"\s\s+")  # what scikit-learn's char analyzer collapses to one space
_BITS = 21  # a code point + 1 fits in 21 bits: three of them, an n-gram up to 3 characters, in one int64
MAX_N = 3


def gram_key(gram: str) -> int:
    """An n-gram (n ≤ 3) as one integer: its code points + 1, 21 bits each. Different n never collide: the
    first code point is never 0."""
    key = 0
    for ch in gram:
        key = (key << _BITS) | (ord(ch) + 1)
    return key


def gram_keys(text: str, max_n: int) -> np.ndarray:
    """The keys of every character n-gram of ``text``, n = 1…``max_n``, repeats included, as a char
    TfidfVectorizer sees the text (lower case, runs of white space as one space)."""
    text = _WHITE_SPACES.sub(" ", text.lower())
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.int64) + 1
    parts = []
    for n in range(1, min(max_n, len(points)) + 1):
        count = len(points) - n + 1
        keys = points[:count]
        for j in range(1, n):
            keys = (keys << _BITS) | points[j:j + count]
        parts.append(keys)
    return np.concatenate(parts) if parts else np.zeros(0, np.int64)


@dataclass
class Found:
    """The known n-grams of some messages: lexicon ids and counts, message i's at ``indptr[i]:indptr[i+1]``."""

    ids: np.ndarray
    counts: np.ndarray
    indptr: np.ndarray


@dataclass
class Lexicon:
    """Every n-gram that some member reading the same text knows, as sorted integer keys (``gram_key``); an
    n-gram's id is its position. One look-up per n-gram serves all members, and a message is looked up as
    one array (a binary search), not one string at a time."""

    keys: np.ndarray
    max_n: int

    @classmethod
    def of(cls, vectorizers: Sequence[Any]) -> Lexicon:
        max_n = max(int(v.ngram_range[1]) for v in vectorizers)
        if max_n > MAX_N:
            raise ValueError(f"n-grams up to {MAX_N} characters only")
        keys = np.unique(np.fromiter((gram_key(str(g)) for v in vectorizers for g in v.vocabulary_), np.int64))
        return cls(keys, max_n)

    def ids(self, grams: Sequence[str]) -> np.ndarray:
        keys = np.fromiter((gram_key(g) for g in grams), np.int64, len(grams))
        return np.searchsorted(self.keys, keys)

    def find(self, texts: Sequence[str]) -> Found:
        ids: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        indptr = [0]
        for text in texts:
            keys = gram_keys(text, self.max_n)
            at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
            known, times = np.unique(at[self.keys[at] == keys], return_counts=True)
            ids.append(known)
            counts.append(times.astype(np.float64))
            indptr.append(indptr[-1] + len(known))
        if not ids:
            return Found(np.zeros(0, np.int64), np.zeros(0), np.asarray(indptr))
        return Found(np.concatenate(ids), np.concatenate(counts), np.asarray(indptr))


@dataclass
class CharTfidf:
    """A fitted char-n-gram TfidfVectorizer (sublinear tf, L2 norm): its column of each lexicon id (-1 when
    it does not know the n-gram) and its IDF weights."""

    columns: np.ndarray
    idf: np.ndarray

    @classmethod
    def of(cls, vectorizer: Any, lexicon: Lexicon) -> CharTfidf:
        if vectorizer.analyzer != "char" or not vectorizer.sublinear_tf or vectorizer.norm != "l2" \
                or not vectorizer.lowercase:
            raise ValueError("only lower-cased, sublinear, L2-normalised char TF-IDF is compiled")
        columns = np.full(len(lexicon.keys), -1, dtype=np.int32)
        grams = [str(g) for g in vectorizer.vocabulary_]
        columns[lexicon.ids(grams)] = np.fromiter(vectorizer.vocabulary_.values(), np.int32, len(grams))
        return cls(columns, np.asarray(vectorizer.idf_, dtype=np.float64))

    def transform(self, found: Found) -> sp.csr_matrix:
        """One L2-normalised row per message."""
        columns = self.columns[found.ids]
        known = columns >= 0
        row_of = np.repeat(np.arange(len(found.indptr) - 1), np.diff(found.indptr))[known]
        columns = columns[known]
        values = (np.log(found.counts[known]) + 1.0) * self.idf[columns]
        rows = len(found.indptr) - 1
        norms = np.sqrt(np.bincount(row_of, weights=values * values, minlength=rows))
        values /= norms[row_of]
        indptr = np.zeros(rows + 1, dtype=np.int32)
        np.cumsum(np.bincount(row_of, minlength=rows), out=indptr[1:])
        return sp.csr_matrix((values.astype(np.float32), columns, indptr), shape=(rows, len(self.idf)))


@dataclass
class Softmax:
    """A multinomial logistic regression: probabilities = softmax(x·W + b)."""

    weights: np.ndarray  # (features, labels)
    intercept: np.ndarray

    @classmethod
    def of(cls, model: Any) -> Softmax:
        weights, intercept = np.asarray(model.coef_, np.float64), np.asarray(model.intercept_, np.float64)
        if len(weights) == 1:  # two labels: p = expit(score) is the softmax of (-score/2, score/2)
            weights, intercept = np.vstack([-weights / 2, weights / 2]), np.concatenate([-intercept / 2, intercept / 2])
        return cls(np.ascontiguousarray(weights.T, dtype=np.float32), intercept)

    def probabilities(self, rows: sp.csr_matrix) -> np.ndarray:
        scores = np.asarray(rows @ self.weights, dtype=np.float64) + self.intercept  # float32 × float32: no copy
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        return np.asarray(scores / scores.sum(axis=1, keepdims=True))


@dataclass
class SigmoidCalibrated:
    """One-vs-rest linear scores, each passed through its fitted sigmoid (Platt) and normalised to sum 1:
    a CalibratedClassifierCV(method="sigmoid", ensemble=False) around a linear model."""

    weights: np.ndarray  # (features, labels)
    intercept: np.ndarray
    slope: np.ndarray  # per label: p = 1 / (1 + exp(slope·score + offset))
    offset: np.ndarray

    @classmethod
    def of(cls, calibrated: Any) -> SigmoidCalibrated:
        (member,) = calibrated.calibrated_classifiers_
        estimator = member.estimator
        if list(estimator.classes_) != list(range(len(estimator.classes_))):
            raise ValueError("labels must be 0…k-1")
        return cls(np.ascontiguousarray(estimator.coef_.T, dtype=np.float32),
                   np.asarray(estimator.intercept_, np.float64),
                   np.asarray([c.a_ for c in member.calibrators], np.float64),
                   np.asarray([c.b_ for c in member.calibrators], np.float64))

    def probabilities(self, rows: sp.csr_matrix) -> np.ndarray:
        scores = np.asarray(rows @ self.weights, dtype=np.float64) + self.intercept  # float32 × float32: no copy
        each = expit(-(scores * self.slope + self.offset))
        if each.shape[1] == 1:  # two labels: one score, for the second
            return np.hstack([1.0 - each, each])
        total = each.sum(axis=1, keepdims=True)
        uniform = np.full_like(each, 1.0 / each.shape[1])
        return np.asarray(np.divide(each, total, out=uniform, where=total != 0))


@dataclass
class Member:
    """One model of the ensemble: which text it reads (the composed message or the title), its features and
    its probabilities."""

    reads: str  # "message" or "title"
    features: CharTfidf
    scorer: Softmax | SigmoidCalibrated


def average(lexicons: dict[str, Lexicon], members: Sequence[Member], texts: Mapping[str, Sequence[str]]) -> np.ndarray:
    """The members' probabilities averaged, one row per message. ``texts`` maps what members read to texts."""
    found = {reads: lexicons[reads].find(texts[reads]) for reads in {m.reads for m in members}}
    total: np.ndarray | None = None
    for member in members:
        probabilities = member.scorer.probabilities(member.features.transform(found[member.reads]))
        total = probabilities if total is None else total + probabilities
    assert total is not None
    return np.asarray(total / len(members))


def sharpen(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """Probabilities raised to the power 1/``temperature`` and renormalised (temperature scaling of their
    logarithms): below 1 sharper, 1 unchanged. The order of the labels never changes."""
    if temperature == 1.0:
        return probabilities
    scores = np.log(np.maximum(probabilities, 1e-300)) / temperature
    scores -= scores.max(axis=1, keepdims=True)
    np.exp(scores, out=scores)
    return np.asarray(scores / scores.sum(axis=1, keepdims=True))
