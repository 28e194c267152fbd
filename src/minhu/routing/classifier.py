"""The text classifier: title and text → first-level categories with calibrated probabilities.

The method was chosen on evidence (``bench/classifier.py`` compares several on a split of the training
file and by 5-fold cross-validation; docs/routing.md has the table): TF-IDF over character 1–2-grams of the
title (written three times, so it weighs more) and the text, and a multinomial logistic regression.
A calibrated linear SVM scored 0.007 higher in macro-F1 but its confidences are less calibrated, and
they decide which orders dispatch themselves; word segmentation with jieba added nothing.

Models are versioned and kept under ``$MINHU_HOME/models/classifier/<version>/`` with their metrics;
``CURRENT`` names the one in use. Training is deterministic: the same rows give the same model.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import pickle
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from minhu.core.errors import InvalidInput
from minhu.core.text import decode_text_file

# Settled by bench/classifier.py (see docs/routing.md).
NGRAMS = (1, 2)
TITLE_REPEATS = 3
C = 100.0
MAX_TEXT_CHARS = 4_000  # beyond this a message repeats itself; the cut keeps prediction fast
MIN_ROWS_PER_LABEL = 5


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
    vectorizer: TfidfVectorizer
    model: LogisticRegression
    metrics: dict[str, Any] = field(default_factory=dict)

    def _features(self, titles: Sequence[str], details: Sequence[str]) -> Any:
        return self.vectorizer.transform([compose(t, d) for t, d in zip(titles, details, strict=True)])

    def probabilities(self, titles: Sequence[str], details: Sequence[str]) -> np.ndarray:
        return np.asarray(self.model.predict_proba(self._features(titles, details)))

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
    return unicodedata.normalize("NFKC", text or "")[:MAX_TEXT_CHARS].lower()


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


def train(examples: Sequence[Example]) -> TextClassifier:
    """Fit a classifier. Raises InvalidInput when the rows cannot teach anything."""
    counts: dict[str, int] = {}
    for e in examples:
        counts[e.label] = counts.get(e.label, 0) + 1
    if len(counts) < 2:
        raise InvalidInput("训练数据至少需要两个类别", code="training_data_invalid")
    thin = sorted(label for label, n in counts.items() if n < MIN_ROWS_PER_LABEL)
    if thin:
        raise InvalidInput(f"以下类别样本少于 {MIN_ROWS_PER_LABEL} 条，无法训练：{'、'.join(thin)}",
                           code="training_data_invalid")
    labels = sorted(counts)
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=2,
                                 dtype=np.float32)
    features = vectorizer.fit_transform([compose(e.title, e.detail) for e in examples])
    model = LogisticRegression(C=C, max_iter=3000, random_state=0)
    model.fit(features, [labels.index(e.label) for e in examples])
    data_sha = _data_hash(examples)
    now = datetime.now(UTC)
    return TextClassifier(labels=labels, version=f"{now:%Y%m%d-%H%M%S}-{data_sha[:8]}", trained_at=now.isoformat(
        timespec="seconds"), rows=len(examples), data_sha256=data_sha, vectorizer=vectorizer, model=model)


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
            "method": f"char {NGRAMS[0]}-{NGRAMS[1]}-gram TF-IDF (title ×{TITLE_REPEATS}) + logistic regression C={C}"}
    (folder / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    pointer = root / "CURRENT.tmp"
    pointer.write_text(classifier.version, encoding="utf-8")
    pointer.replace(root / "CURRENT")  # atomic: a reader sees the old model or the new, never half
    forget_loaded()
    return folder


_loaded: dict[Path, tuple[str, TextClassifier]] = {}
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
    classifier: TextClassifier = pickle.loads(path.read_bytes())
    with _lock:
        _loaded[models_dir] = (version, classifier)
    return classifier
