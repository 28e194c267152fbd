"""Duplicate recognition (一事多办): precision and recall of the scorer on labelled pairs, and the cost of the
check at intake with 200,000 orders in its window.

Two labelled sets:

- ``board``: pairs of real messages from the government board (``../shared/data/hot_messages.csv``), labelled
  by reading both as a dispatcher would (same matter at the same place, reworded by different people; the same
  place with another matter; the same kind of matter at another place). The committed file
  ``bench/data/dedup_pairs.csv`` holds only the messages' ids and the labels; the texts are read from the data
  folder at run time.
- ``generated``: pairs written from templates (``bench/dedup_generated.py``): one matter at one invented
  place told through different doors, and the two look-alikes.

Quality is scored as ``minhu duplicates score`` scores (title, detail, time; no map point, no phone).
``--fit`` refits the scorer's weights (logistic regression on both sets) and prints them with their 5-fold
cross-validated precision and recall, for ``minhu.duplicates.scoring``.

    python bench/dedup.py                # quality, and the intake check at 200,000 orders
    python bench/dedup.py --fit          # refit the weights
    python bench/dedup.py --orders 20000 # a smaller window, for a quick look

Results: a table on stdout and bench/results/dedup.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # run as a script: the repository's bench/

from bench.dedup_generated import generate  # noqa: E402
from minhu.duplicates import scoring  # noqa: E402
from minhu.duplicates.cli import _time  # noqa: E402
from minhu.duplicates.text import read  # noqa: E402

BOARD = ROOT.parent / "shared" / "data" / "hot_messages.csv"
PAIRS = ROOT / "bench" / "data" / "dedup_pairs.csv"
RESULTS = ROOT / "bench" / "results" / "dedup.json"


@dataclass(frozen=True)
class Labelled:
    """A labelled pair: which set, what kind of pair, one matter or not, and each side's (title, detail, time)."""

    id: str
    set: str
    kind: str
    same: int
    a: tuple[str, str, datetime | None]
    b: tuple[str, str, datetime | None]


def board_pairs() -> list[Labelled]:
    if not BOARD.exists():
        print(f"skipping the board's pairs: {BOARD} is absent (see the data folder's README)")
        return []
    messages = {row["id"]: row for row in csv.DictReader(BOARD.open(encoding="utf-8"))}
    pairs = []
    for row in csv.DictReader(PAIRS.open(encoding="utf-8")):
        a, b = messages[row["a_id"]], messages[row["b_id"]]
        pairs.append(Labelled(row["pair"], "board", row["kind"], int(row["same"]),
                              (a["title"], a["detail"], _time(a["time"], line=0, column="time")),
                              (b["title"], b["detail"], _time(b["time"], line=0, column="time"))))
    return pairs


def generated_pairs() -> list[Labelled]:
    return [Labelled(p.id, "generated", p.kind, p.same, p.a, p.b) for p in generate()]


def features(pair: Labelled) -> scoring.Evidence:
    (a_title, a_detail, a_time), (b_title, b_detail, b_time) = pair.a, pair.b
    return scoring.evidence(read(a_title, a_detail), read(b_title, b_detail), a_time=a_time, b_time=b_time)


def rates(scores: list[float], labels: list[int], threshold: float) -> dict[str, float]:
    said = [s >= threshold for s in scores]
    tp = sum(1 for s, y in zip(said, labels, strict=True) if s and y)
    fp = sum(1 for s, y in zip(said, labels, strict=True) if s and not y)
    fn = sum(1 for s, y in zip(said, labels, strict=True) if not s and y)
    return {"threshold": threshold, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "said_same": tp + fp}


def held_out_scores(pairs: list[Labelled]) -> list[float]:
    """Each pair scored by a forest fitted without it (5-fold cross-validation, the shipped forest's settings)."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = np.array([features(p).vector() for p in pairs])
    y = np.array([p.same for p in pairs])
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=7)
    return [float(v) for v in cross_val_predict(GradientBoostingClassifier(**FOREST), x, y, cv=folds,
                                                method="predict_proba")[:, 1]]


def quality(pairs: list[Labelled]) -> dict[str, object]:
    """Precision and recall at the shipped thresholds, of cross-validated scores: on every pair, on each set, and
    what share of each kind of pair intake would join."""
    scores = held_out_scores(pairs)
    labels = [p.same for p in pairs]
    model = scoring.forest()
    report: dict[str, object] = {"pairs": len(pairs), "same": sum(labels), "join_at": model.join,
                                 "suggest_at": model.suggest}
    for name, threshold in (("join", model.join), ("suggest", model.suggest)):
        report[name] = rates(scores, labels, threshold)
        for subset in ("board", "generated"):
            chosen = [(s, y) for s, y, p in zip(scores, labels, pairs, strict=True) if p.set == subset]
            if chosen:
                report[f"{name}_{subset}"] = rates([s for s, _ in chosen], [y for _, y in chosen], threshold)
    kinds: dict[str, list[int]] = {}
    for p, s in zip(pairs, scores, strict=True):
        kinds.setdefault(f"{p.set}/{p.kind}", []).append(int(s >= model.join))
    report["joined_by_kind"] = {k: f"{sum(v)}/{len(v)}" for k, v in sorted(kinds.items())}
    return report


# What the thresholds promise, on cross-validated pairs: a join is right this often; a suggestion list holds this
# share of the true duplicates.
JOIN_PRECISION = 0.98
SUGGEST_RECALL = 0.95
FOREST = {"n_estimators": 150, "max_depth": 3, "learning_rate": 0.1, "subsample": 1.0, "random_state": 7}


def _threshold_for(scores: list[float], labels: list[int], *, precision: float | None = None,
                   recall: float | None = None) -> float:
    """The lowest threshold (on a 0.01 grid) whose precision reaches ``precision``, or the highest whose recall
    reaches ``recall``."""
    grid = [round(0.05 + 0.01 * i, 2) for i in range(95)]
    if precision is not None:
        return next((t for t in grid if rates(scores, labels, t)["precision"] >= precision), grid[-1])
    assert recall is not None
    return next((t for t in reversed(grid) if rates(scores, labels, t)["recall"] >= recall), grid[0])


def fit(pairs: list[Labelled]) -> None:
    """Fit the forest on every pair, choose both thresholds from 5-fold cross-validated scores, write
    src/minhu/duplicates/data/scorer.json."""
    import numpy as np
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.array([features(p).vector() for p in pairs])
    y = np.array([p.same for p in pairs])
    held_out = held_out_scores(pairs)
    labels = [int(v) for v in y]
    join = _threshold_for(held_out, labels, precision=JOIN_PRECISION)
    suggest = _threshold_for(held_out, labels, recall=SUGGEST_RECALL)
    for threshold in sorted({0.3, 0.5, 0.7, 0.8, 0.9, join, suggest}):
        r = rates(held_out, labels, threshold)
        print(f"cv threshold {threshold:.2f}: precision {r['precision']:.3f} recall {r['recall']:.3f}")
    model = GradientBoostingClassifier(**FOREST).fit(x, y)
    trees = []
    for (estimator,) in model.estimators_:
        tree = estimator.tree_
        trees.append({"feature": [int(f) for f in tree.feature],
                      "threshold": [round(float(t), 6) for t in tree.threshold],
                      "left": [int(n) for n in tree.children_left],
                      "right": [int(n) for n in tree.children_right],
                      "value": [round(float(v[0][0]), 6) for v in tree.value]})
    prior = float(y.mean())
    data = {"features": list(scoring.FEATURES), "start": math.log(prior / (1 - prior)),
            "rate": FOREST["learning_rate"], "join": join, "suggest": suggest,
            "fitted_on": {"pairs": len(pairs), "same": sum(labels), "forest": FOREST,
                          "join_precision": JOIN_PRECISION, "suggest_recall": SUGGEST_RECALL},
            "trees": trees}
    scoring.SCORER.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"join at {join}, suggest at {suggest}; wrote {scoring.SCORER.relative_to(ROOT)}")
    # The forest as written gives what scikit-learn gives.
    scoring.forest.cache_clear()
    mine = [scoring.probability(features(p)) for p in pairs[:200]]
    theirs = model.predict_proba(x[:200])[:, 1]
    assert max(abs(a - b) for a, b in zip(mine, theirs, strict=True)) < 1e-6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--fit", action="store_true", help="refit the scorer's weights and print them")
    parser.add_argument("--orders", type=int, default=200_000, help="orders in the intake check's window")
    parser.add_argument("--checks", type=int, default=2_000, help="intake checks timed")
    args = parser.parse_args(argv)
    pairs = board_pairs() + generated_pairs()
    if args.fit:
        fit(pairs)
        return 0
    report = {"quality": quality(pairs)}
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
