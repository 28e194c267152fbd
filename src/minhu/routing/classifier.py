"""The text classifier: title and text → first-level categories with probabilities, and the confidence from
which a guess is trusted to dispatch an order by itself.

The method was chosen on evidence (``bench/classifier.py``; docs/routing.md has the table): the average of
three linear models over character n-gram TF-IDF — a logistic regression on 1–2-grams of the title (written
three times, so it weighs more) and the text, a linear SVM with sigmoid-calibrated probabilities on 1–3-grams
of the same, and a logistic regression on 1–3-grams of the title alone. Each alone scores 0.915–0.918 in
cross-validated macro-F1, the average 0.920; word segmentation, naive Bayes weighting and pseudo-labels from
the board's unlabelled messages added nothing.

Training also cross-validates (CV_FOLDS folds, stratified): the out-of-fold probabilities give the macro-F1
kept with the model and the dispatch threshold — the lowest confidence at which the messages at least that
sure were classified right with a precision whose lower bound reaches DISPATCH_PRECISION. Routing uses it
unless the deployment sets MINHU_AUTO_DISPATCH_CONFIDENCE.

Prediction does not go through scikit-learn (``linear.py``): the fitted parts are applied as arrays.

Models are versioned and kept under ``$MINHU_HOME/models/classifier/<version>/`` with their metrics;
``CURRENT`` names the one in use. Training is deterministic: the same rows give the same model.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import pickle
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC
from threadpoolctl import threadpool_limits

from minhu.core.errors import InvalidInput
from minhu.core.text import decode_text_file
from minhu.routing import linear

# Settled by bench/classifier.py (see docs/routing.md).
TITLE_REPEATS = 3
MAX_TEXT_CHARS = 4_000  # beyond this a message repeats itself; the cut keeps prediction fast
MIN_ROWS_PER_LABEL = 5
CV_FOLDS = 5
# Orders that dispatch themselves must be right this often, cross-validated, with a one-sided 95% margin.
DISPATCH_PRECISION = 0.98
DISPATCH_MARGIN_Z = 1.645


@dataclass(frozen=True)
class MemberSpec:
    """One model of the ensemble: the text it reads, its character n-grams and its linear model."""

    reads: str  # "message": the title written TITLE_REPEATS times, then the text; "title": the title alone
    ngrams: tuple[int, int]
    model: str  # "logistic" (multinomial) or "svm" (linear SVM with sigmoid-calibrated probabilities)
    C: float

    def describe(self) -> str:
        what = f"title ×{TITLE_REPEATS} + text" if self.reads == "message" else "title"
        how = "logistic regression" if self.model == "logistic" else "calibrated linear SVM"
        return f"char {self.ngrams[0]}-{self.ngrams[1]}-gram TF-IDF ({what}) + {how} C={self.C:g}"


MEMBERS = (
    MemberSpec("message", (1, 2), "logistic", 100.0),
    MemberSpec("message", (1, 3), "svm", 3.0),
    MemberSpec("title", (1, 3), "logistic", 30.0),
)
# Averaging three models, one of them a calibrated SVM, pulls confidences towards the middle (messages shown
# 0.6 sure were right 0.8 of the time); raising the average to the power 1/TEMPERATURE and renormalising makes
# them say what they mean. bench/classifier.py fits it on out-of-fold probabilities (log-loss optimum ≈ 0.6).
TEMPERATURE = 0.6
METHOD = "average of: " + "; ".join(spec.describe() for spec in MEMBERS) + f"; temperature {TEMPERATURE}"


@dataclass(frozen=True)
class Example:
    title: str
    detail: str
    label: str


@dataclass
class TextClassifier:
    labels: list[str]
    version: str
    trained_at: str
    rows: int
    data_sha256: str
    lexicons: dict[str, linear.Lexicon]
    members: list[linear.Member]
    # The lowest confidence whose cross-validated auto-dispatches were right often enough; None: no
    # confidence was, and nothing dispatches itself.
    dispatch_threshold: float | None = None
    temperature: float = TEMPERATURE
    metrics: dict[str, Any] = field(default_factory=dict)

    def probabilities(self, titles: Sequence[str], details: Sequence[str]) -> np.ndarray:
        return linear.sharpen(linear.average(self.lexicons, self.members, texts(titles, details)), self.temperature)

    def top(self, title: str, detail: str, k: int = 3) -> list[tuple[str, float]]:
        """The ``k`` likeliest labels with their probabilities, best first."""
        if not says_something(f"{title}{detail}"):
            return []
        probs = self.probabilities([title], [detail])[0]
        order = np.argsort(-probs, kind="stable")[:k]
        return [(self.labels[i], float(probs[i])) for i in order]

    def predict(self, titles: Sequence[str], details: Sequence[str]) -> list[tuple[str, float]]:
        probs = self.probabilities(titles, details)
        best = probs.argmax(axis=1)
        return [(self.labels[i], float(probs[row, i])) for row, i in enumerate(best)]


def texts(titles: Sequence[str], details: Sequence[str]) -> dict[str, list[str]]:
    """What each kind of member reads, one text per message."""
    return {"message": [compose(t, d) for t, d in zip(titles, details, strict=True)],
            "title": [clean(t) for t in titles]}


MIN_MEANINGFUL_CHARS = 2


def says_something(text: str) -> bool:
    """At least two letters, digits or ideographs: punctuation, blanks and one character are no message.
    The order then waits for a person instead of carrying a guess."""
    meaningful = 0
    for ch in text:
        if ch.isalnum():
            meaningful += 1
            if meaningful >= MIN_MEANINGFUL_CHARS:
                return True
    return False


def compose(title: str, detail: str) -> str:
    """One text per message, the title repeated so that it weighs more than the body."""
    return (clean(title) + "\n") * TITLE_REPEATS + clean(detail)


def clean(text: str) -> str:
    # Full-width letters and digits as ASCII, one case: the same word typed two ways is one feature.
    return unicodedata.normalize("NFKC", (text or "")[:MAX_TEXT_CHARS])[:MAX_TEXT_CHARS].lower()


def read_examples(raw: bytes, *, source: str = "文件") -> list[Example]:
    """Rows of a training CSV (columns title, detail, label). Raises InvalidInput naming what is wrong."""
    text = decode_text_file(raw, source=source)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("title", "detail", "label") if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidInput(f"{source}缺少列：{'、'.join(missing)}（应有 title, detail, label）",
                           code="training_data_invalid")
    examples: list[Example] = []
    unlabelled: list[int] = []
    for row in reader:
        label = (row.get("label") or "").strip()
        if not label:
            unlabelled.append(reader.line_num)
            continue
        examples.append(Example((row.get("title") or "").strip(), (row.get("detail") or "").strip(), label))
    if unlabelled:
        shown = "、".join(map(str, unlabelled[:10])) + ("……" if len(unlabelled) > 10 else "")
        raise InvalidInput(f"{source}有 {len(unlabelled)} 行没有 label：第 {shown} 行", code="training_data_invalid",
                           details=[{"field": f"第 {line} 行", "message": "缺少 label"} for line in unlabelled[:100]])
    return examples


def _data_hash(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(f"{e.title}\x1f{e.detail}\x1f{e.label}\x1e".encode())
    return digest.hexdigest()


def check_trainable(examples: Sequence[Example]) -> list[str]:
    """The labels, sorted. Raises InvalidInput naming what makes the rows unable to teach anything."""
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.label] = counts.get(e.label, 0) + 1
    if len(counts) < 2:
        raise InvalidInput("训练数据至少需要两个类别", code="training_data_invalid")
    thin = sorted(label for label, n in counts.items() if n < MIN_ROWS_PER_LABEL)
    if thin:
        listed = "、".join(f"{label}（{counts[label]} 条）" for label in thin)
        raise InvalidInput(f"以下类别样本少于 {MIN_ROWS_PER_LABEL} 条，无法训练：{listed}",
                           code="training_data_invalid",
                           details=[{"field": label, "message": f"只有 {counts[label]} 条样本"} for label in thin])
    return sorted(counts)


def vectorizer(spec: MemberSpec, min_df: int = 2) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char", ngram_range=spec.ngrams, sublinear_tf=True, min_df=min_df,
                           dtype=np.float32)


def _vectorize(spec: MemberSpec, texts: list[str]) -> tuple[TfidfVectorizer, Any]:
    """The member's vectorizer fitted on ``texts`` and their matrix. An n-gram seen once cannot generalise and
    is dropped — unless so few rows leave nothing else."""
    for min_df in (2, 1):
        vec = vectorizer(spec, min_df)
        try:
            return vec, vec.fit_transform(texts)
        except ValueError:  # no n-gram left
            continue
    what = "标题" if spec.reads == "title" else "标题和正文"
    raise InvalidInput(f"训练数据的{what}里没有可学习的文字", code="training_data_invalid")


def estimator(spec: MemberSpec) -> LogisticRegression | CalibratedClassifierCV:
    if spec.model == "logistic":
        return LogisticRegression(C=spec.C, max_iter=3000, random_state=0)
    return CalibratedClassifierCV(LinearSVC(C=spec.C, random_state=0), method="sigmoid", cv=3, ensemble=False)


def _fit(spec: MemberSpec, features: Any, targets: np.ndarray) -> Any:
    # One BLAS thread: sums then add up in one order whichever process fits, so the same rows give the
    # same model (and the two folds fitted at once do not fight over the cores).
    with threadpool_limits(limits=1):
        return estimator(spec).fit(features, targets)


def _compile(fitted: Any) -> linear.Softmax | linear.SigmoidCalibrated:
    return linear.Softmax.of(fitted) if isinstance(fitted, LogisticRegression) else linear.SigmoidCalibrated.of(fitted)


def fit_estimators(examples: Sequence[Example], labels: Sequence[str]) -> list[tuple[TfidfVectorizer, Any]]:
    """Each member's fitted vectorizer and scikit-learn estimator: what the classifier is compiled from."""
    targets = np.asarray([labels.index(e.label) for e in examples])
    read = texts([e.title for e in examples], [e.detail for e in examples])
    fitted = []
    for spec in MEMBERS:
        vec, matrix = _vectorize(spec, read[spec.reads])
        fitted.append((vec, _fit(spec, matrix, targets)))
    return fitted


def train(examples: Sequence[Example], *, cross_validate: bool = True, jobs: int = 2,
          members: Sequence[MemberSpec] = MEMBERS, temperature: float = TEMPERATURE) -> TextClassifier:
    """Fit a classifier. Raises InvalidInput when the rows cannot teach anything.

    With ``cross_validate`` (what the product keeps), the rows are also cut in CV_FOLDS stratified folds:
    each fold is predicted by members fitted on the other folds, and from these out-of-fold probabilities
    come the cross-validated macro-F1 and the dispatch threshold stored with the model. ``members`` is for
    comparisons (bench/classifier.py); the product keeps MEMBERS and TEMPERATURE."""
    labels = check_trainable(examples)
    targets = np.asarray([labels.index(e.label) for e in examples])
    read = texts([e.title for e in examples], [e.detail for e in examples])
    vectorizers, matrices = zip(*(_vectorize(spec, read[spec.reads]) for spec in members), strict=True)
    # Folds and members are fitted in worker processes (their solvers hold the GIL), the matrices handed over
    # whole rather than memory-mapped; small sets are not worth starting processes for.
    jobs = max(1, min(jobs, os.cpu_count() or 1))
    parallel = Parallel(n_jobs=jobs, max_nbytes=None) if len(examples) >= 1000 and jobs > 1 else Parallel(n_jobs=1)
    fitted = parallel(delayed(_fit)(spec, matrix, targets) for spec, matrix in zip(members, matrices, strict=True))
    lexicons = {reads: linear.Lexicon.of([v for spec, v in zip(members, vectorizers, strict=True)
                                          if spec.reads == reads])
                for reads in sorted({spec.reads for spec in members})}
    compiled = [linear.Member(spec.reads, linear.CharTfidf.of(vec, lexicons[spec.reads]), _compile(model))
               for spec, vec, model in zip(members, vectorizers, fitted, strict=True)]
    threshold: float | None = None
    metrics: dict[str, Any] = {}
    if cross_validate:
        threshold, metrics = _cross_validate(members, temperature, matrices, targets, labels, parallel)
    data_sha = _data_hash(examples)
    now = datetime.now(UTC)
    return TextClassifier(labels=labels, version=f"{now:%Y%m%d-%H%M%S}-{data_sha[:8]}", trained_at=now.isoformat(
        timespec="seconds"), rows=len(examples), data_sha256=data_sha, lexicons=lexicons, members=compiled,
        dispatch_threshold=threshold, temperature=temperature, metrics=metrics)


def _fold_probabilities(members: Sequence[MemberSpec], temperature: float, matrices: Sequence[Any], targets: np.ndarray,
                        train_rows: np.ndarray, test_rows: np.ndarray) -> np.ndarray:
    total = np.zeros((len(test_rows), int(targets.max()) + 1))
    for spec, matrix in zip(members, matrices, strict=True):
        model = _fit(spec, matrix[train_rows], targets[train_rows])
        total += _compile(model).probabilities(matrix[test_rows])
    return linear.sharpen(total / len(members), temperature)


def _cross_validate(members: Sequence[MemberSpec], temperature: float, matrices: Sequence[Any], targets: np.ndarray,
                    labels: Sequence[str], parallel: Parallel) -> tuple[float | None, dict[str, Any]]:
    """Out-of-fold probabilities of every row. The character vocabularies and IDF weights are those of all
    rows (they see no labels); every member of every fold is fitted on that fold's training rows alone."""
    folds = list(StratifiedKFold(CV_FOLDS, shuffle=True, random_state=0).split(np.zeros(len(targets)), targets))
    parts = parallel(delayed(_fold_probabilities)(members, temperature, matrices, targets, train_rows, test_rows)
                     for train_rows, test_rows in folds)
    oof = np.zeros((len(targets), len(labels)))
    for (_, test_rows), part in zip(folds, parts, strict=True):
        oof[test_rows] = part
    predicted = oof.argmax(axis=1)
    confidence = oof.max(axis=1)
    correct = predicted == targets
    f1s = [float(f1_score(targets[t], predicted[t], average="macro")) for _, t in folds]
    threshold = dispatch_threshold(confidence, correct)
    cv: dict[str, Any] = {"folds": CV_FOLDS, "macro_f1_mean": round(float(np.mean(f1s)), 4),
                          "macro_f1_std": round(float(np.std(f1s)), 4),
                          "macro_f1_folds": [round(f, 4) for f in f1s],
                          "accuracy": round(float(correct.mean()), 4), "dispatch_target": DISPATCH_PRECISION,
                          "dispatch_threshold": threshold}
    if threshold is not None:
        sure = confidence >= threshold
        cv["dispatch_precision"] = round(float(correct[sure].mean()), 4)
        cv["dispatch_share"] = round(float(sure.mean()), 4)
        cv["dispatch_precision_folds"] = [round(float(correct[t][sure[t]].mean()), 4) if sure[t].any() else None
                                          for _, t in folds]
    return threshold, {"cv": cv}


def dispatch_threshold(confidence: np.ndarray, correct: np.ndarray, target: float = DISPATCH_PRECISION,
                       z: float = DISPATCH_MARGIN_Z) -> float | None:
    """The lowest confidence such that the messages at least this sure were right with a precision whose
    one-sided lower (Wilson) bound reaches ``target``; None when no confidence does."""
    order = np.argsort(-confidence, kind="stable")
    sure = confidence[order]
    n = np.arange(1, len(sure) + 1, dtype=np.float64)
    p = np.cumsum(correct[order]) / n
    centre = p + z * z / (2 * n)
    spread = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lower = (centre - spread) / (1 + z * z / n)
    # A threshold takes every message as sure as the last one it admits: judge only at the end of a tie.
    last_of_tie = np.append(sure[1:] != sure[:-1], True)
    good = np.flatnonzero((lower >= target) & last_of_tie)
    if len(good) == 0:
        return None
    # Rounded up, so that the stored figure admits no message the check did not.
    return float(np.ceil(sure[good[-1]] * 10_000) / 10_000)


@dataclass(frozen=True)
class Evaluation:
    rows: int
    accuracy: float
    macro_f1: float
    per_class: list[dict[str, Any]]
    unknown_labels: list[str]

    def table(self) -> str:
        lines = [f"样本 {self.rows}  准确率 {self.accuracy:.4f}  宏平均 F1 {self.macro_f1:.4f}", "",
                 f"{'类别':<12}{'精确率':>8}{'召回率':>8}{'F1':>8}{'样本':>8}"]
        for row in self.per_class:
            lines.append(f"{row['label']:<12}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>8.4f}"
                         f"{row['support']:>8}")
        if self.unknown_labels:
            lines.append(f"\n模型不认识的类别（计为错误）：{'、'.join(self.unknown_labels)}")
        return "\n".join(lines)


def evaluate(classifier: TextClassifier, examples: Sequence[Example]) -> Evaluation:
    predicted = [label for label, _ in classifier.predict([e.title for e in examples], [e.detail for e in examples])]
    truth = [e.label for e in examples]
    labels = sorted(set(truth) | set(classifier.labels))
    precision, recall, f1, support = precision_recall_fscore_support(truth, predicted, labels=labels, zero_division=0)
    per_class = [{"label": label, "precision": round(float(p), 4), "recall": round(float(r), 4),
                  "f1": round(float(f), 4), "support": int(s)}
                 for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True) if s > 0]
    present = sorted(set(truth))
    return Evaluation(rows=len(examples), accuracy=round(float(accuracy_score(truth, predicted)), 4),
                      macro_f1=round(float(f1_score(truth, predicted, labels=present, average="macro",
                                                     zero_division=0)), 4),
                      per_class=per_class, unknown_labels=sorted(set(truth) - set(classifier.labels)))


# --- storage --------------------------------------------------------------------------------------------


def save(classifier: TextClassifier, models_dir: Path) -> Path:
    """Keep the model under ``models_dir/classifier/<version>/`` and make it the current one."""
    root = models_dir / "classifier"
    folder = root / classifier.version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.pkl").write_bytes(pickle.dumps(classifier, protocol=5))
    meta = {"version": classifier.version, "trained_at": classifier.trained_at, "rows": classifier.rows,
            "labels": classifier.labels, "data_sha256": classifier.data_sha256, "metrics": classifier.metrics,
            "method": METHOD, "dispatch_threshold": classifier.dispatch_threshold}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    pointer = root / "CURRENT.tmp"
    pointer.write_text(classifier.version, encoding="utf-8")
    pointer.replace(root / "CURRENT")  # atomic: a reader sees the old model or the new, never half
    forget_loaded()
    return folder


_loaded: dict[Path, tuple[str, TextClassifier | None]] = {}
_lock = threading.Lock()


def forget_loaded() -> None:
    with _lock:
        _loaded.clear()


def current(models_dir: Path | None) -> TextClassifier | None:
    """The model in use, loaded once per process and version; None when none was trained."""
    if models_dir is None:
        return None
    pointer = models_dir / "classifier" / "CURRENT"
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    cached = _loaded.get(models_dir)
    if cached is not None and cached[0] == version:
        return cached[1]
    path = models_dir / "classifier" / version / "model.pkl"
    # Our own file, written by save() under MINHU_HOME: the only pickles minhu ever reads.
    classifier: TextClassifier | None = pickle.loads(path.read_bytes())
    if "members" not in vars(classifier):
        classifier = None  # kept by an earlier minhu, another method: as if none were trained until it is again
    with _lock:
        _loaded[models_dir] = (version, classifier)
    return classifier
