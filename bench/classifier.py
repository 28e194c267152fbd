"""Text classification of citizen messages: which model should route a message to its first-level category?

Predicts the 一级标签 (7 labels) of the labelled 12345 messages in ``../shared/data/messages_train.csv``
from title + detail and compares, on the same data and splits:

1. ``lr_char``   char n-gram TF-IDF (1–2 or 1–3, sublinear tf) + multinomial LogisticRegression
2. ``svc_char``  the same features + LinearSVC inside CalibratedClassifierCV (sigmoid), for probabilities
3. ``cnb_char``  the same features + ComplementNB
4. ``lr_jieba``  jieba word TF-IDF + char bigram TF-IDF + LogisticRegression
5. ``sgd_hash``  hashed char n-grams (2**18 buckets, no vocabulary) + SGDClassifier(log_loss)

All five see the title three times followed by the detail (a title is ~19 characters against a
~214-character median detail, and says most of what the message is about). Two extra rows check that choice on
``lr_char``: the plain ``title + detail`` text (no weighting) and separate title and detail
vectorizers (a ColumnTransformer, each side L2-normalised so the short title weighs as much as
the long detail).

Protocol
* A fixed stratified 80/20 split (random_state=0). Hyper-parameters (n-gram range, C, alpha) are
  chosen by 3-fold stratified CV inside the 80 % part only; the 20 % part is touched once, by the
  final model, for accuracy, macro-F1, calibration (ECE, 10 bins, of the top-1 probability) and
  top-3 accuracy. Training time, single-message prediction time (median of 200 calls of
  ``predict_proba`` on one message, after unpickling, which is what the product would do) and the
  pickled size are measured on that final model.
* 5-fold stratified CV (shuffle, random_state=0) over all messages with the hyper-parameters chosen
  above: mean ± std of accuracy, macro-F1, ECE and top-3 accuracy, and per-fold macro-F1 so that
  methods can be compared fold by fold (paired). The tuning saw 80 % of the rows that the CV folds
  test on, so CV figures are a little optimistic in absolute terms; the grids are small and the
  comparison between methods is what the CV is for.

Speed: the char analyzer of scikit-learn is pure Python (≈10 s for 1–3-grams of this corpus), so
tuning and CV do not re-run it per fold. Each text representation is counted once over the whole
corpus (CountVectorizer, no labels involved) and every fold rebuilds its TF-IDF from the rows of its
own training part: columns with a training document frequency below min_df are dropped and the
IDF is fitted on those rows only. That gives exactly the matrix a TfidfVectorizer fitted on the fold
would (checked during development: identical values and column order for every representation), without
leaking vocabulary or IDF from the test part. The fixed-split
models are real end-to-end Pipelines (raw title/detail in, probabilities out) and are what the
timings and sizes measure.

    python bench/classifier.py              # all 6,636 messages: about 5 minutes on 2 (shared) cores
    python bench/classifier.py --quick      # 1,500 messages, about 1 minute: a smoke run
    python bench/classifier.py --jobs 1     # no parallel tuning/CV (timings are always sequential)

Results: a table on stdout and bench/results/classifier.json (classifier-quick.json with --quick).
Deterministic: fixed seeds everywhere; CPU only; no network.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import pickle
import platform
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

try:
    import jieba
    import joblib
    import numpy as np
    import scipy
    import scipy.sparse as sp
    import sklearn
    from numpy.typing import NDArray
    from sklearn.base import BaseEstimator
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.compose import ColumnTransformer
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression, SGDClassifier
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold, train_test_split
    from sklearn.naive_bayes import ComplementNB
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC
except ImportError as exc:  # not project dependencies (yet): say how to get them instead of a traceback
    sys.exit(f"bench/classifier.py needs scikit-learn and jieba: .venv/bin/pip install scikit-learn jieba ({exc})")

ROOT = Path(__file__).resolve().parents[1]
RESULTS_DIR = ROOT / "bench" / "results"
# The data live beside the project, never inside it (README of the data folder); MINHU_DATA_DIR overrides.
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
SEED = 0
TEST_SIZE = 0.2
CV_FOLDS = 5
TUNE_FOLDS = 3
QUICK_ROWS = 1500
LATENCY_CALLS = 200
LATENCY_WARMUP = 5
ECE_BINS = 10
TITLE_REPEATS = 3  # title seen 3x: with sublinear tf a title n-gram weighs 1 + ln 3 ≈ 2.1 against 1
MIN_DF = 2  # an n-gram seen in one training message only cannot generalise; halves the vocabulary
HASH_FEATURES = 2**18  # 262,144 buckets: few collisions for ~400k distinct 1–3-grams that matter
MAX_NGRAM = 3  # counts are built up to trigrams; (1, 2) is the same matrix with the trigram columns dropped
F1_TOLERANCE = 0.005  # CV macro-F1 differences below half a point are within fold-to-fold noise here
ECE_TOLERANCE = 0.01  # CV ECE differences below a point do not matter for routing thresholds

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.intp]


# --------------------------------------------------------------------------------------------
# Text preparation. Module-level functions, because pipelines pickle them by reference.
# --------------------------------------------------------------------------------------------


def compose_text(rows: NDArray[Any], title_repeats: int = TITLE_REPEATS) -> list[str]:
    """(n, 2) array of [title, detail] -> one string per message, the title repeated to weigh more."""
    # A newline between parts: the char analyzer folds it into a space, so n-grams never glue the end
    # of the title to the start of the detail into a fake word, and jieba cuts there.
    return [(str(title) + "\n") * title_repeats + str(detail) for title, detail in rows]


def jieba_tokens(text: str) -> list[str]:
    """jieba words of a text, without whitespace and punctuation tokens (they carry no topic)."""
    return [token for token in jieba.lcut(text) if any(ch.isalnum() for ch in token)]


def char_tfidf(ngram_max: int) -> TfidfVectorizer:
    # float32 halves the matrices; LogisticRegression/SGD keep float64 coefficients anyway.
    return TfidfVectorizer(analyzer="char", ngram_range=(1, ngram_max), sublinear_tf=True, min_df=MIN_DF,
                           dtype=np.float32)


# --------------------------------------------------------------------------------------------
# Methods
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Method:
    key: str
    label: str
    text: str  # "repeat" (title x3 + detail), "concat" (title + detail once) or "separate"
    features: str  # "char", "jieba" or "hash"
    classifier: str  # "lr", "svc", "cnb" or "sgd"
    grid: tuple[dict[str, Any], ...]  # candidates, simplest / most regularised first (ties keep the first)
    main: bool = True  # False: a title-weighting ablation of lr_char
    inherit: tuple[str, ...] = ()  # taken from an earlier tuning step (NGRAM_STAGE, or lr_char for the ablations)


# Grids: three values each, moved up to where 3-fold CV on the training part peaked in trial runs (the optimum
# sat at the upper edge of lower grids). TF-IDF rows are L2-normalised and sparse: the linear models want little
# regularisation, and their scores are flat beyond these grids (LinearSVC: 0.9214 at C=3, 0.9219 at 10, 0.9222
# at 30 in a side check, at 2-4x the fitting time).
C_GRID_LR = (30.0, 100.0, 300.0)

METHODS: tuple[Method, ...] = (
    Method("lr_char", "char TF-IDF + LogReg", "repeat", "char", "lr",
           tuple({"C": c} for c in C_GRID_LR), inherit=("ngram_max",)),
    Method("svc_char", "char TF-IDF + cal. LinearSVC", "repeat", "char", "svc",
           tuple({"C": c} for c in (0.3, 1.0, 3.0)), inherit=("ngram_max",)),
    Method("cnb_char", "char TF-IDF + ComplementNB", "repeat", "char", "cnb",
           tuple({"alpha": a} for a in (0.3, 0.1, 0.03)), inherit=("ngram_max",)),
    Method("lr_jieba", "jieba words + char 2g + LogReg", "repeat", "jieba", "lr",
           tuple({"C": c} for c in C_GRID_LR)),
    Method("sgd_hash", "hashed char 1-3g + SGD(log)", "repeat", "hash", "sgd",
           tuple({"alpha": a} for a in (1e-6, 3e-7, 1e-7))),
    # Ablations: lr_char's n-gram range and C, only the way the title enters differs.
    Method("lr_char_concat", "  lr_char, title not weighted", "concat", "char", "lr",
           ({},), main=False, inherit=("ngram_max", "C")),
    Method("lr_char_separate", "  lr_char, title/detail vectorizers", "separate", "char", "lr",
           ({},), main=False, inherit=("ngram_max", "C")),
)


# lr_char is tuned in two steps (coordinate-wise, to save the three costliest fits of a full 2 x 3 grid): first
# the n-gram range at the middle C, together with the methods that need nothing from lr_char; then C with that
# range, together with the methods that use "the same features". The ablations then take lr_char's values.
NGRAM_STAGE = Method("lr_char_ngram", "lr_char n-gram range", "repeat", "char", "lr",
                     tuple({"ngram_max": n, "C": C_GRID_LR[1]} for n in (2, 3)), main=False)


def make_classifier(kind: str, params: dict[str, Any]) -> Any:
    if kind == "lr":
        # The default lbfgs solver and tolerance: at the large C these features want, it stops in ~50 iterations
        # (5-7 s on the training part) where sag needs ~90 epochs for the same macro-F1. scikit-learn >= 1.8
        # always fits the multinomial (softmax) model for multi-class data; there is no multi_class switch.
        return LogisticRegression(C=params["C"], solver="lbfgs", tol=1e-4, max_iter=1000)
    if kind == "svc":
        # cv=3 folds fit the sigmoid calibrators on out-of-fold scores; ensemble=False then keeps one SVC
        # refitted on all rows, so the model is the size of one linear model instead of three.
        return CalibratedClassifierCV(LinearSVC(C=params["C"], max_iter=5000, random_state=SEED),
                                      method="sigmoid", cv=3, ensemble=False)
    if kind == "cnb":
        return ComplementNB(alpha=params["alpha"])
    if kind == "sgd":
        return SGDClassifier(loss="log_loss", alpha=params["alpha"], max_iter=200, tol=1e-4, random_state=SEED)
    raise ValueError(kind)


def make_pipeline(method: Method, params: dict[str, Any]) -> Pipeline:
    """The end-to-end model: (n, 2) array of [title, detail] in, class probabilities out."""
    clf = make_classifier(method.classifier, params)
    repeats = TITLE_REPEATS if method.text == "repeat" else 1
    text = FunctionTransformer(compose_text, kw_args={"title_repeats": repeats})
    if method.features == "char" and method.text == "separate":
        ngram = params["ngram_max"]
        columns = ColumnTransformer([("title", char_tfidf(ngram), 0), ("detail", char_tfidf(ngram), 1)])
        return Pipeline([("features", columns), ("clf", clf)])
    if method.features == "char":
        return Pipeline([("text", text), ("tfidf", char_tfidf(params["ngram_max"])), ("clf", clf)])
    if method.features == "jieba":
        words = TfidfVectorizer(tokenizer=jieba_tokens, token_pattern=None, sublinear_tf=True, min_df=MIN_DF,
                                dtype=np.float32)
        # Char bigrams catch what the dictionary segments badly (place names, 路灯不亮-style domain words).
        bigrams = TfidfVectorizer(analyzer="char", ngram_range=(2, 2), sublinear_tf=True, min_df=MIN_DF,
                                  dtype=np.float32)
        return Pipeline([("text", text), ("features", FeatureUnion([("words", words), ("bigrams", bigrams)])),
                         ("clf", clf)])
    if method.features == "hash":
        # Stateless hashing: no vocabulary to store, so the model is coefficients + one IDF vector.
        hashing = HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=HASH_FEATURES,
                                    alternate_sign=False, norm=None, dtype=np.float32)
        return Pipeline([("text", text), ("hash", hashing), ("tfidf", TfidfTransformer(sublinear_tf=True)),
                         ("clf", clf)])
    raise ValueError(method.features)


# --------------------------------------------------------------------------------------------
# Corpus-level counts, and per-fold TF-IDF built from them (see the module docstring)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """One TF-IDF block of a feature matrix, cut out of a corpus count matrix."""

    counts: str  # key in Corpus.counts
    min_df: int = MIN_DF  # 0: keep every column (hashing: TfidfTransformer keeps all buckets)
    ngram_min: int = 1
    ngram_max: int = MAX_NGRAM


@dataclass
class Corpus:
    rows: NDArray[Any]  # (n, 2) object array [title, detail]
    y: IntArray
    counts: dict[str, sp.csr_matrix] = field(default_factory=dict)
    ngram_len: dict[str, IntArray] = field(default_factory=dict)  # length of each column's n-gram (char counts)

    def subset(self, blocks: Sequence[Block]) -> tuple[dict[str, sp.csr_matrix], dict[str, IntArray]]:
        """Only the matrices these blocks use: each parallel task ships (memory-maps) what it needs."""
        keys = {block.counts for block in blocks}
        return ({k: v for k, v in self.counts.items() if k in keys},
                {k: v for k, v in self.ngram_len.items() if k in keys})


def count_representation(key: str, texts: list[str]) -> tuple[str, sp.csr_matrix, IntArray | None, float]:
    """Corpus count matrix of one text representation (runs in a worker process)."""
    jieba.setLogLevel(logging.WARNING)
    started = time.perf_counter()
    lengths = None
    if key.startswith("char_"):
        vec = CountVectorizer(analyzer="char", ngram_range=(1, MAX_NGRAM), min_df=MIN_DF, dtype=np.float32)
        matrix = vec.fit_transform(texts)
        # Corpus df >= 2 is implied by a training-part df >= 2, so this pre-filter loses nothing.
        lengths = np.array([len(term) for term in vec.get_feature_names_out()], dtype=np.intp)
    elif key.startswith("words_"):
        words = CountVectorizer(tokenizer=jieba_tokens, token_pattern=None, min_df=MIN_DF, dtype=np.float32)
        matrix = words.fit_transform(texts)
    else:
        hashing = HashingVectorizer(analyzer="char", ngram_range=(1, 3), n_features=HASH_FEATURES,
                                    alternate_sign=False, norm=None, dtype=np.float32)
        matrix = hashing.transform(texts)
    return key, matrix.tocsr(), lengths, round(time.perf_counter() - started, 2)


def build_counts(corpus: Corpus, methods: Sequence[Method], parallel: joblib.Parallel) -> dict[str, float]:
    """Count every text representation the methods need once; returns seconds per representation."""
    needed = {(m.text, m.features) for m in methods}
    rows = corpus.rows
    texts: dict[str, list[str]] = {}
    if ("repeat", "char") in needed or ("repeat", "jieba") in needed:
        texts["char_repeat"] = compose_text(rows)
    if ("concat", "char") in needed:
        texts["char_concat"] = compose_text(rows, 1)
    if ("separate", "char") in needed:
        texts["char_title"] = [str(t) for t in rows[:, 0]]
        texts["char_detail"] = [str(d) for d in rows[:, 1]]
    if ("repeat", "jieba") in needed:
        texts["words_repeat"] = compose_text(rows)
    if ("repeat", "hash") in needed:
        texts["hash_repeat"] = compose_text(rows)
    # Slowest first (jieba, then the long char texts) so that two workers finish together.
    order = sorted(texts, key=lambda k: (not k.startswith("words_"), -sum(map(len, texts[k]))))
    seconds: dict[str, float] = {}
    for key, matrix, lengths, spent in parallel(joblib.delayed(count_representation)(k, texts[k]) for k in order):
        corpus.counts[key] = matrix
        if lengths is not None:
            corpus.ngram_len[key] = lengths
        seconds[key] = spent
    return seconds


def blocks_for(method: Method, params: dict[str, Any]) -> list[Block]:
    if method.features == "char":
        ngram = params["ngram_max"]
        if method.text == "separate":
            return [Block("char_title", ngram_max=ngram), Block("char_detail", ngram_max=ngram)]
        return [Block(f"char_{method.text}", ngram_max=ngram)]
    if method.features == "jieba":
        return [Block("words_repeat"), Block("char_repeat", ngram_min=2, ngram_max=2)]
    return [Block("hash_repeat", min_df=0)]


def fold_features(blocks: Sequence[Block], counts: dict[str, sp.csr_matrix], ngram_len: dict[str, IntArray],
                  train: IntArray, test: IntArray) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """TF-IDF of the train and test rows, vocabulary and IDF fitted on the train rows only."""
    train_parts, test_parts = [], []
    for block in blocks:
        matrix = counts[block.counts]
        train_counts = matrix[train]
        keep = np.ones(matrix.shape[1], dtype=bool)
        if block.min_df > 0:
            # CSR indices hold one entry per (row, column) with a non-zero count: bincount = document frequency.
            keep &= np.bincount(train_counts.indices, minlength=matrix.shape[1]) >= block.min_df
        if block.counts in ngram_len:
            lengths = ngram_len[block.counts]
            keep &= (lengths >= block.ngram_min) & (lengths <= block.ngram_max)
        columns = np.flatnonzero(keep)
        tfidf = TfidfTransformer(sublinear_tf=True)
        train_parts.append(tfidf.fit_transform(train_counts[:, columns]))
        test_parts.append(tfidf.transform(matrix[test][:, columns]))
    return sp.hstack(train_parts, format="csr"), sp.hstack(test_parts, format="csr")


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


def expected_calibration_error(proba: FloatArray, y: IntArray, bins: int = ECE_BINS) -> float:
    """ECE of the top-1 probability: bin-size-weighted |accuracy - mean confidence| over equal-width bins."""
    confidence = proba.max(axis=1)
    correct = proba.argmax(axis=1) == y
    # Bins (0, 0.1], (0.1, 0.2], …, (0.9, 1.0]; a confidence of exactly 1 falls in the last one.
    which = np.clip(np.digitize(confidence, np.linspace(0, 1, bins + 1)[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            total += inside.mean() * abs(correct[inside].mean() - confidence[inside].mean())
    return float(total)


def scores(proba: FloatArray, y: IntArray, n_classes: int) -> dict[str, Any]:
    pred = proba.argmax(axis=1)  # = predict() for all four classifiers; one call gives both
    top3 = np.argsort(-proba, axis=1, kind="stable")[:, :3]
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_f1": float(f1_score(y, pred, average="macro", labels=np.arange(n_classes), zero_division=0)),
        "ece": expected_calibration_error(proba, y),
        "top3_accuracy": float((top3 == y[:, None]).any(axis=1).mean()),
        "mean_confidence": float(proba.max(axis=1).mean()),
        "per_class_f1": [float(v) for v in f1_score(y, pred, average=None, labels=np.arange(n_classes),
                                                     zero_division=0)],
    }


def fit_and_score(blocks: Sequence[Block], classifier: str, candidates: Sequence[dict[str, Any]],
                  counts: dict[str, sp.csr_matrix], ngram_len: dict[str, IntArray], y: IntArray,
                  train: IntArray, test: IntArray, n_classes: int) -> list[dict[str, Any]]:
    """One fold of one feature set: build its TF-IDF once, then fit and score every candidate on it."""
    x_train, x_test = fold_features(blocks, counts, ngram_len, train, test)
    out = []
    for params in candidates:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            clf = make_classifier(classifier, params).fit(x_train, y[train])
        result = scores(clf.predict_proba(x_test), y[test], n_classes)
        result["convergence_warnings"] = sum(issubclass(w.category, ConvergenceWarning) for w in caught)
        out.append(result)
    return out


# --------------------------------------------------------------------------------------------
# The benchmark
# --------------------------------------------------------------------------------------------


def load(path: Path) -> tuple[NDArray[Any], list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    rows = np.array([[r["title"], r["detail"]] for r in records], dtype=object)
    return rows, [r["label"] for r in records]


def tune(methods: Sequence[Method], corpus: Corpus, train: IntArray, fixed: dict[str, dict[str, Any]],
         parallel: joblib.Parallel, n_classes: int) -> dict[str, dict[str, Any]]:
    """For each method, the candidate with the best mean macro-F1 over 3 stratified folds of the training part.

    All methods' folds go to the workers in one batch, so that two workers stay busy.
    """
    inner = list(StratifiedKFold(TUNE_FOLDS, shuffle=True, random_state=SEED).split(train, corpus.y[train]))
    candidates = {m.key: [{**params, **fixed.get(m.key, {})} for params in m.grid] for m in methods}
    tasks: list[tuple[Method, tuple[Block, ...], list[int], tuple[IntArray, IntArray]]] = []
    for method in methods:
        if len(candidates[method.key]) == 1:
            continue
        # Candidates sharing a feature set (same n-gram range) share one task: one TF-IDF per fold, and the LR
        # candidates warm-start from each other (grids are in ascending C).
        groups: dict[tuple[Block, ...], list[int]] = {}
        for i, params in enumerate(candidates[method.key]):
            groups.setdefault(tuple(blocks_for(method, params)), []).append(i)
        tasks += [(method, blocks, idx, fold) for blocks, idx in groups.items() for fold in inner]
    tasks.sort(key=lambda t: (t[0].classifier != "lr", t[0].features != "jieba"))  # slowest first
    started = time.perf_counter()
    outputs = parallel(
        joblib.delayed(fit_and_score)(blocks, method.classifier, [candidates[method.key][i] for i in idx],
                                      *corpus.subset(blocks), corpus.y, train[tr], train[te], n_classes)
        for method, blocks, idx, (tr, te) in tasks)
    seconds = round(time.perf_counter() - started, 2)
    per_candidate: dict[tuple[str, int], list[float]] = {}
    for (method, _, idx, _), results in zip(tasks, outputs, strict=True):
        for i, result in zip(idx, results, strict=True):
            per_candidate.setdefault((method.key, i), []).append(result["macro_f1"])
    tuned: dict[str, dict[str, Any]] = {}
    for method in methods:
        options = candidates[method.key]
        if len(options) == 1:
            tuned[method.key] = {"chosen": options[0], "grid": [], "batch_seconds": 0.0}
            continue
        means = [statistics.fmean(per_candidate[method.key, i]) for i in range(len(options))]
        best = max(range(len(options)), key=lambda i: (round(means[i], 6), -i))  # ties: the earlier, simpler one
        grid = [{"params": c, "macro_f1": round(m, 4)} for c, m in zip(options, means, strict=True)]
        tuned[method.key] = {"chosen": options[best], "batch_seconds": seconds, "grid": grid}
    return tuned


def strip_for_pickle(obj: Any, seen: set[int] | None = None) -> None:
    """Drop vectorizers' stop_words_ (every pruned n-gram: tens of MB, kept only for introspection)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return
    seen.add(id(obj))
    if isinstance(obj, BaseEstimator):
        if hasattr(obj, "stop_words_"):
            delattr(obj, "stop_words_")
        children: Any = list(vars(obj).values())
    elif isinstance(obj, list | tuple):
        children = obj
    elif isinstance(obj, dict):
        children = list(obj.values())
    else:
        return
    for child in children:
        strip_for_pickle(child, seen)


def latency_ms(blob: bytes, rows: NDArray[Any]) -> dict[str, float]:
    """Median/p95 of predict_proba on one message at a time, on a freshly unpickled model."""
    model = pickle.loads(blob)
    for i in range(LATENCY_WARMUP):
        model.predict_proba(rows[i:i + 1])
    samples = []
    for i in range(LATENCY_CALLS):
        one = rows[i % len(rows):i % len(rows) + 1]  # a different message each call, as in production
        started = time.perf_counter()
        model.predict_proba(one)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 3), "p95_ms": round(samples[int(0.95 * len(samples))], 3)}


def final_model(method: Method, params: dict[str, Any], corpus: Corpus, train: IntArray, test: IntArray,
                n_classes: int) -> dict[str, Any]:
    """Fit the end-to-end pipeline on the training part, timed; score it once on the test part."""
    pipeline = make_pipeline(method, params)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        started = time.perf_counter()
        pipeline.fit(corpus.rows[train], corpus.y[train])
        train_s = time.perf_counter() - started
    started = time.perf_counter()
    proba = pipeline.predict_proba(corpus.rows[test])
    batch_ms = (time.perf_counter() - started) * 1000 / len(test)
    strip_for_pickle(pipeline)
    blob = pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL)
    result = scores(proba, corpus.y[test], n_classes)
    result.update({
        "train_s": round(train_s, 2), "predict_batch_ms_per_message": round(batch_ms, 3),
        "latency": latency_ms(blob, corpus.rows[test]), "size_mb": round(len(blob) / 1e6, 2),
        "n_features": int(pipeline[-1].n_features_in_),
        "convergence_warnings": sum(issubclass(w.category, ConvergenceWarning) for w in caught),
    })
    return result


def mean_std(values: Sequence[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 4), "std": round(statistics.pstdev(values), 4)}


def pick_winner(results: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """Macro-F1 first, then calibration, then prediction time, then size, each with a tolerance for noise."""
    main = {k: r for k, r in results.items() if r["main"]}
    best_f1 = max(r["cv"]["macro_f1"]["mean"] for r in main.values())
    close = [k for k, r in main.items() if r["cv"]["macro_f1"]["mean"] >= best_f1 - F1_TOLERANCE]
    # ECE from the 5 CV folds (all 6,636 messages), not the single test split: it moves by a few points between
    # splits for the same model.
    best_ece = min(main[k]["cv"]["ece"]["mean"] for k in close)
    calibrated = [k for k in close if main[k]["cv"]["ece"]["mean"] <= best_ece + ECE_TOLERANCE]
    calibrated.sort(key=lambda k: (main[k]["test"]["latency"]["median_ms"], main[k]["test"]["size_mb"]))
    reason = (f"CV macro-F1 within {F1_TOLERANCE} of the best ({best_f1:.4f}): {', '.join(close)}; "
              f"of those, CV ECE within {ECE_TOLERANCE} of the best ({best_ece:.4f}): {', '.join(calibrated)}; "
              "then the fastest single-message prediction (then the smallest)")
    return calibrated[0], reason


def print_tables(results: dict[str, dict[str, Any]], labels: list[str], winner: str, reason: str) -> None:
    out = io.StringIO()
    head = (f"{'method':<36} {'acc':>6} {'macro-F1':>8}  {'CV macro-F1 (5-fold)':>20} {'CV acc':>7} "
            f"{'train s':>8} {'pred ms':>8} {'size MB':>8}")
    print("Fixed split (80/20, stratified, random_state=0) and 5-fold stratified CV", file=out)
    print(head, file=out)
    print("-" * len(head), file=out)
    for key, r in results.items():
        t, cv = r["test"], r["cv"]
        print(f"{METHOD_BY_KEY[key].label:<36} {t['accuracy']:>6.4f} {t['macro_f1']:>8.4f}  "
              f"{cv['macro_f1']['mean']:>11.4f} ± {cv['macro_f1']['std']:.4f} {cv['accuracy']['mean']:>7.4f} "
              f"{t['train_s']:>8.2f} {t['latency']['median_ms']:>8.2f} {t['size_mb']:>8.2f}", file=out)
    print("(pred ms: median of one-message predict_proba calls; rows indented = title-weighting ablations)",
          file=out)

    base = results["lr_char_concat"]["cv"]["macro_f1_folds"]
    print("\nTitle weighting, lr_char (same n-gram range and C; only the way the title enters differs)", file=out)
    for key in ("lr_char_concat", "lr_char", "lr_char_separate"):
        folds = results[key]["cv"]["macro_f1_folds"]
        diffs = [a - b for a, b in zip(folds, base, strict=True)]
        wins = sum(d > 0 for d in diffs)
        name = {"lr_char_concat": "title + detail once", "lr_char": f"title x{TITLE_REPEATS} + detail",
                "lr_char_separate": "separate title/detail vectorizers"}[key]
        print(f"  {name:<36} test F1 {results[key]['test']['macro_f1']:.4f}  CV F1 "
              f"{statistics.fmean(folds):.4f}  Δ vs once {statistics.fmean(diffs):+.4f} ± "
              f"{statistics.pstdev(diffs):.4f} (better in {wins}/{len(diffs)} folds)", file=out)

    ranked = sorted((k for k in results if results[k]["main"]), key=lambda k: -results[k]["cv"]["macro_f1"]["mean"])
    print("\nCalibration of the top-1 probability (ECE, 10 bins) and top-3 accuracy; * = best two by CV macro-F1",
          file=out)
    best = results[ranked[0]]["cv"]["macro_f1_folds"]
    for key in ranked:
        t, cv = results[key]["test"], results[key]["cv"]
        mark = "*" if key in ranked[:2] else " "
        diffs = [a - b for a, b in zip(cv["macro_f1_folds"], best, strict=True)]
        print(f" {mark}{METHOD_BY_KEY[key].label:<35} test: ECE {t['ece']:.4f} mean conf {t['mean_confidence']:.4f} "
              f"top-1 {t['accuracy']:.4f} top-3 {t['top3_accuracy']:.4f} | CV: ECE {cv['ece']['mean']:.4f} ± "
              f"{cv['ece']['std']:.4f} top-3 {cv['top3_accuracy']['mean']:.4f} | CV macro-F1 vs {ranked[0]} "
              f"{statistics.fmean(diffs):+.4f} (paired)", file=out)

    print(f"\nRecommended: {winner} ({METHOD_BY_KEY[winner].label.strip()}), params {results[winner]['params']}",
          file=out)
    print(f"  rule: {reason}", file=out)
    w = results[winner]["test"]["per_class_f1"]
    print("  per-class F1 on the test split: " + ", ".join(f"{lab} {f:.3f}" for lab, f in zip(labels, w, strict=True)),
          file=out)
    sys.stdout.write(out.getvalue())


# --------------------------------------------------------------------------------------------
# The product's classifier against today's model: the code minhu runs, end to end.
# --------------------------------------------------------------------------------------------


def product_fold(members: Sequence[Any], temperature: float, examples: Sequence[Any], train: IntArray,
                 test: IntArray) -> FloatArray:
    """Probabilities of the test rows from the product's classifier trained on the training rows alone
    (vectorizers, IDF and models: nothing of the test rows is seen)."""
    from minhu.routing import classifier as product

    model = product.train([examples[i] for i in train], cross_validate=False, jobs=1, members=members,
                          temperature=temperature)
    proba = model.probabilities([examples[i].title for i in test], [examples[i].detail for i in test])
    every = sorted({e.label for e in examples})
    full = np.zeros((len(test), len(every)))
    for column, label in enumerate(model.labels):
        full[:, every.index(label)] = proba[:, column]
    return full


def best_temperature(proba: FloatArray, y: IntArray, temperature: float) -> float:
    """The temperature that minimises the log-loss of the out-of-fold probabilities before any sharpening
    (undoing ``temperature``): how TEMPERATURE was chosen, and a check that it still fits."""
    from scipy.optimize import minimize_scalar

    logs = np.log(np.maximum(proba, 1e-300)) * temperature  # back to the plain average, up to a constant

    def loss(t: float) -> float:
        z = logs / t
        z -= z.max(axis=1, keepdims=True)
        return float(-(z[np.arange(len(y)), y] - np.log(np.exp(z).sum(axis=1))).mean())

    return round(float(minimize_scalar(loss, bounds=(0.05, 5.0), method="bounded").x), 3)


def near_identical_groups(rows: NDArray[Any]) -> IntArray:
    """Messages whose titles agree once punctuation, spaces and place codes are dropped: reposts of one matter."""
    keys = ["".join(ch for ch in str(title) if ch.isalnum() and not ch.isascii()) for title in rows[:, 0]]
    _, groups = np.unique(np.array(keys), return_inverse=True)
    return groups.astype(np.intp)


def product_comparison(rows: NDArray[Any], y: IntArray, labels: list[str], folds: Sequence[tuple[IntArray, IntArray]],
                       parallel: joblib.Parallel, *, timed: bool = True) -> dict[str, Any]:
    """5-fold CV of today's model and the ensemble as minhu trains them; the dispatch threshold derived the
    way ``train`` derives it, and, to see it hold on rows it was not chosen on, derived from four folds'
    out-of-fold probabilities and applied to the fifth; training time, one-order latency and size."""
    from minhu.routing import classifier as product

    examples = [product.Example(str(r[0]), str(r[1]), labels[k]) for r, k in zip(rows, y, strict=True)]
    out: dict[str, Any] = {}
    for key, (members, temperature) in PRODUCT_METHODS.items():
        started = time.perf_counter()
        parts = parallel(joblib.delayed(product_fold)(members, temperature, examples, tr, te) for tr, te in folds)
        oof = np.zeros((len(y), len(labels)))
        for (_, te), part in zip(folds, parts, strict=True):
            oof[te] = part
        predicted, confidence = oof.argmax(axis=1), oof.max(axis=1)
        correct = predicted == y
        f1s = [float(f1_score(y[te], predicted[te], average="macro")) for _, te in folds]
        threshold = product.dispatch_threshold(confidence, correct)
        sure = confidence >= (threshold if threshold is not None else 2.0)
        held: list[dict[str, Any]] = []
        for _, te in folds:
            rest = np.ones(len(y), dtype=bool)
            rest[te] = False
            t = product.dispatch_threshold(confidence[rest], correct[rest])
            fold_sure = confidence[te] >= (t if t is not None else 2.0)
            held.append({"threshold": t, "share": round(float(fold_sure.mean()), 4),
                         "precision": round(float(correct[te][fold_sure].mean()), 4) if fold_sure.any() else None})
        result: dict[str, Any] = {
            "label": PRODUCT_LABELS[key], "members": [m.describe() for m in members],
            "cv": {"macro_f1": mean_std(f1s), "macro_f1_folds": [round(f, 4) for f in f1s],
                   "accuracy": round(float(correct.mean()), 4),
                   "ece": round(expected_calibration_error(oof, y), 4),
                   "temperature": temperature, "temperature_check": best_temperature(oof, y, temperature),
                   "seconds": round(time.perf_counter() - started, 1)},
            "dispatch": {"target": product.DISPATCH_PRECISION, "threshold": threshold,
                         "precision": round(float(correct[sure].mean()), 4) if sure.any() else None,
                         "share": round(float(sure.mean()), 4),
                         "held_out_folds": held,
                         "held_out_precision": round(float(np.mean([h["precision"] for h in held
                                                                    if h["precision"] is not None])), 4),
                         "held_out_share": round(float(np.mean([h["share"] for h in held])), 4)},
        }
        if timed:
            started = time.perf_counter()
            # What `minhu model train` keeps: the ensemble cross-validates itself to derive its threshold; the
            # model before was one fit.
            model = product.train(examples, members=members, temperature=temperature, cross_validate=key != "today")
            result["train_s"] = round(time.perf_counter() - started, 1)
            result["size_mb"] = round(len(pickle.dumps(model, protocol=5)) / 1e6, 2)
            model = pickle.loads(pickle.dumps(model, protocol=5))
            sample = [examples[i] for i in folds[0][1][:1000]]
            for e in sample[:LATENCY_WARMUP]:
                model.top(e.title, e.detail)
            took = []
            for e in sample:
                begun = time.perf_counter_ns()
                model.top(e.title, e.detail)
                took.append((time.perf_counter_ns() - begun) / 1e6)
            took.sort()
            result["latency"] = {"messages": len(took), "p50_ms": round(took[len(took) // 2], 3),
                                 "p99_ms": round(took[int(0.99 * len(took))], 3)}
            result["stored_cv"] = model.metrics.get("cv")
        out[key] = result
        print(f"product {key:<9} 5-fold macro-F1 {result['cv']['macro_f1']['mean']:.4f} ± "
              f"{result['cv']['macro_f1']['std']:.4f}; dispatch at {threshold}: precision "
              f"{result['dispatch']['precision']}, share {result['dispatch']['share']} (held-out folds: "
              f"{result['dispatch']['held_out_precision']}, {result['dispatch']['held_out_share']})"
              + (f"; train {result['train_s']} s, p99 {result['latency']['p99_ms']} ms, {result['size_mb']} MB"
                 if timed else ""), flush=True)
    return out


def grouped_comparison(rows: NDArray[Any], y: IntArray, labels: list[str], parallel: joblib.Parallel) -> dict[str, Any]:
    """The same CV with every group of near-identical titles in one fold: is the gain real, or reposts?"""
    from sklearn.model_selection import StratifiedGroupKFold

    groups = near_identical_groups(rows)
    folds = list(StratifiedGroupKFold(CV_FOLDS, shuffle=True, random_state=SEED).split(rows, y, groups))
    print(f"grouped CV: {len(y) - len(set(groups.tolist()))} messages share a near-identical title with another")
    return product_comparison(rows, y, labels, folds, parallel, timed=False)


def _product_methods() -> tuple[dict[str, tuple[tuple[Any, ...], float]], dict[str, str]]:
    sys.path.insert(0, str(ROOT / "src"))
    from minhu.routing import classifier as product

    today = (product.MemberSpec("message", (1, 2), "logistic", 100.0),)
    return ({"today": (today, 1.0), "ensemble": (tuple(product.MEMBERS), product.TEMPERATURE)},
            {"today": "char 1-2-gram TF-IDF + LogReg C=100 (the model before)",
             "ensemble": "average of char 1-2 LogReg, char 1-3 cal. LinearSVC, title char 1-3 LogReg, "
                         f"temperature {product.TEMPERATURE} (chosen)"})


PRODUCT_METHODS, PRODUCT_LABELS = _product_methods()


METHOD_BY_KEY = {m.key: m for m in METHODS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help=f"stratified subset of {QUICK_ROWS:,} messages")
    parser.add_argument("--jobs", type=int, default=2, help="processes for tuning and CV (default 2)")
    parser.add_argument("--product-only", action="store_true",
                        help="only the product's classifier against today's model (keeps the survey in the JSON)")
    parser.add_argument("--grouped", action="store_true",
                        help="also CV the product's methods with near-identical titles kept in one fold")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("MINHU_DATA_DIR", DEFAULT_DATA_DIR)),
                        help="folder holding messages_train.csv (default ../shared/data, or $MINHU_DATA_DIR)")
    args = parser.parse_args(argv)

    data_file = args.data / "messages_train.csv"
    if not data_file.is_file():
        print(f"classifier benchmark skipped: {data_file} not found (the labelled messages live outside the "
              "repository; pass --data or set MINHU_DATA_DIR)")
        return 0

    jieba.setLogLevel(logging.WARNING)  # its "Building prefix dict…" chatter goes to stderr otherwise
    jieba.initialize()  # load the dictionary now, not inside the first timed fit
    load_avg_start = os.getloadavg()
    started_all = time.perf_counter()

    rows, raw_labels = load(data_file)
    labels, y = np.unique(np.array(raw_labels), return_inverse=True)
    y = y.astype(np.intp)
    if args.quick:
        keep, _ = train_test_split(np.arange(len(y)), train_size=QUICK_ROWS, stratify=y, random_state=SEED)
        keep = np.sort(keep)
        rows, y = rows[keep], y[keep]
    label_names = [str(label) for label in labels]  # np.str_ -> str for JSON
    n_classes = len(label_names)
    corpus = Corpus(rows=rows, y=y)
    print(f"{len(y):,} messages, {n_classes} labels: "
          + ", ".join(f"{label_names[k]} {v}" for k, v in sorted(Counter(y.tolist()).items())))

    indices = np.arange(len(y))
    train, test = train_test_split(indices, test_size=TEST_SIZE, stratify=y, random_state=SEED)
    folds = list(StratifiedKFold(CV_FOLDS, shuffle=True, random_state=SEED).split(indices, y))

    path = RESULTS_DIR / ("classifier-quick.json" if args.quick else "classifier.json")
    if args.product_only:
        report = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        with joblib.Parallel(n_jobs=args.jobs) as parallel:
            report["product"] = product_comparison(rows, y, label_names, folds, parallel)
            if args.grouped:
                report["product_grouped"] = grouped_comparison(rows, y, label_names, parallel)
        report["product_when"] = datetime.now(UTC).isoformat(timespec="seconds")
        RESULTS_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        print(f"\nresults: {path.relative_to(ROOT)}")
        return 0

    results: dict[str, dict[str, Any]] = {}
    with joblib.Parallel(n_jobs=args.jobs) as parallel:
        started = time.perf_counter()
        count_seconds = build_counts(corpus, METHODS, parallel)
        print(f"corpus counts built in {time.perf_counter() - started:.1f} s ({count_seconds})", flush=True)

        # 1. Tuning, on the training part only, in two batches (see NGRAM_STAGE).
        started = time.perf_counter()
        tuned = tune([NGRAM_STAGE, *(m for m in METHODS if not m.inherit)], corpus, train, {}, parallel, n_classes)
        ngram_stage = tuned.pop(NGRAM_STAGE.key)
        second = [m for m in METHODS if m.inherit == ("ngram_max",)]
        fixed = {m.key: {"ngram_max": ngram_stage["chosen"]["ngram_max"]} for m in second}
        tuned |= tune(second, corpus, train, fixed, parallel, n_classes)
        tuned["lr_char"]["ngram_stage"] = ngram_stage
        for method in METHODS:
            if method.key not in tuned:  # the ablations: lr_char's n-gram range and C
                chosen = {name: tuned["lr_char"]["chosen"][name] for name in method.inherit}
                tuned[method.key] = {"chosen": chosen, "grid": [], "batch_seconds": 0.0}
        for method in METHODS:
            grid = ", ".join(f"{g['macro_f1']:.4f}" for g in tuned[method.key]["grid"]) or "not tuned: lr_char's"
            print(f"tuned {method.key:<17} {tuned[method.key]['chosen']}  (3-fold macro-F1 over the grid: {grid})")
        print(f"  lr_char n-gram range at C={C_GRID_LR[1]}: "
              + ", ".join(f"1-{g['params']['ngram_max']} {g['macro_f1']:.4f}" for g in ngram_stage["grid"]))
        print(f"tuning done in {time.perf_counter() - started:.1f} s", flush=True)

        # 2. Final models on the fixed split, one at a time so that timings do not compete for the CPU.
        for method in METHODS:
            params = tuned[method.key]["chosen"]
            test_result = final_model(method, params, corpus, train, test, n_classes)
            results[method.key] = {"label": method.label.strip(), "main": method.main, "params": params,
                                   "tuning": tuned[method.key], "test": test_result}
            print(f"fitted {method.key:<17} test macro-F1 {test_result['macro_f1']:.4f} "
                  f"in {test_result['train_s']:.1f} s", flush=True)

        # 3. 5-fold CV with the chosen hyper-parameters.
        started = time.perf_counter()
        # Slowest first (LogisticRegression at large C), so the two workers run out of work together.
        by_cost = sorted(METHODS, key=lambda m: (m.classifier != "lr", m.features != "jieba"))
        tasks = [(method, fold) for method in by_cost for fold in folds]
        outputs = parallel(
            joblib.delayed(fit_and_score)(blocks, method.classifier, [tuned[method.key]["chosen"]],
                                          *corpus.subset(blocks), y, tr, te, n_classes)
            for method, (tr, te) in tasks
            for blocks in [blocks_for(method, tuned[method.key]["chosen"])])
        cv_seconds = time.perf_counter() - started
    for method in METHODS:
        per_fold = [out[0] for (m, _), out in zip(tasks, outputs, strict=True) if m.key == method.key]
        results[method.key]["cv"] = {
            "accuracy": mean_std([f["accuracy"] for f in per_fold]),
            "macro_f1": mean_std([f["macro_f1"] for f in per_fold]),
            "ece": mean_std([f["ece"] for f in per_fold]),
            "top3_accuracy": mean_std([f["top3_accuracy"] for f in per_fold]),
            "macro_f1_folds": [round(f["macro_f1"], 4) for f in per_fold],
            "convergence_warnings": sum(f["convergence_warnings"] for f in per_fold),
        }
    print(f"5-fold CV done in {cv_seconds:.1f} s; total {time.perf_counter() - started_all:.1f} s\n")
    with joblib.Parallel(n_jobs=args.jobs) as parallel:
        product = product_comparison(rows, y, label_names, folds, parallel)
        grouped = grouped_comparison(rows, y, label_names, parallel) if args.grouped else None

    winner, reason = pick_winner(results)
    print_tables(results, label_names, winner, reason)

    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
        "command": "python bench/classifier.py" + (" --quick" if args.quick else ""),
        "machine": {"cpus": os.cpu_count(), "jobs": args.jobs, "python": platform.python_version(),
                    "scikit_learn": sklearn.__version__, "numpy": np.__version__, "scipy": scipy.__version__,
                    "jieba": jieba.__version__, "load_avg_start": [round(v, 2) for v in load_avg_start],
                    "load_avg_end": [round(v, 2) for v in os.getloadavg()]},
        "data": {"file": "messages_train.csv", "messages": len(y), "labels": label_names,
                 "label_counts": {label_names[k]: v for k, v in sorted(Counter(y.tolist()).items())},
                 "train": len(train), "test": len(test)},
        "protocol": {"split": f"stratified {1 - TEST_SIZE:.0%}/{TEST_SIZE:.0%}, random_state={SEED}",
                     "tuning": f"{TUNE_FOLDS}-fold stratified CV inside the train part, macro-F1",
                     "cv": f"{CV_FOLDS}-fold stratified, shuffle, random_state={SEED}, tuned hyper-parameters",
                     "title_repeats": TITLE_REPEATS, "min_df": MIN_DF, "hash_features": HASH_FEATURES,
                     "latency": f"median of {LATENCY_CALLS} single-message predict_proba calls on the unpickled model",
                     "size": "pickle protocol 5 of the fitted pipeline, vectorizers' stop_words_ removed, 1 MB = 1e6 B",
                     "ece_bins": ECE_BINS},
        "timing": {"corpus_counts_s": count_seconds, "cv_s": round(cv_seconds, 1),
                   "total_s": round(time.perf_counter() - started_all, 1)},
        "methods": results,
        "recommended": {"method": winner, "rule": reason, "params": results[winner]["params"]},
        "product": product,
        **({"product_grouped": grouped} if grouped is not None else {}),
    }
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
