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
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))  # run as a script: the repository's bench/

from bench.dedup_generated import generate  # noqa: E402
from bench.postgres import pg_recreate, pg_url, postgres_available  # noqa: E402
from minhu.duplicates import scoring  # noqa: E402
from minhu.duplicates.cli import parse_time  # noqa: E402
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
                              (a["title"], a["detail"], parse_time(a["time"], line=0, column="time")),
                              (b["title"], b["detail"], parse_time(b["time"], line=0, column="time"))))
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


# The city the intake check runs in: 200,000 orders over 60 days on a 24 km square around central 武汉, with the
# generated wordings (an estate each), so every new report meets its neighbours' look-alikes.
CITY_LAT, CITY_LON, CITY_KM = 30.55, 114.31, 24.0


def _city_report(rng: random.Random, at: datetime) -> tuple[dict[str, object], float, float]:
    from bench.dedup_generated import ESTATES, MATTERS

    matter = rng.choice(sorted(MATTERS))
    title, detail = rng.choice(MATTERS[matter])
    place = rng.choice(ESTATES) + str(rng.randrange(1, 40))
    lat = CITY_LAT + (rng.random() - 0.5) * CITY_KM / 111.32
    lon = CITY_LON + (rng.random() - 0.5) * CITY_KM / (111.32 * math.cos(math.radians(CITY_LAT)))
    return {"title": title.format(place=place), "content": detail.format(place=place), "at": at}, lat, lon


def intake_check(url: str, orders: int, checks: int) -> dict[str, object]:
    """Fill ``url``'s database with ``orders`` orders and their fingerprints, then time ``matching.find`` — what
    intake runs for every new order — for ``checks`` new reports at random places."""
    from sqlalchemy import insert

    from minhu.core import clock, migrate
    from minhu.core.db import Base, Database
    from minhu.duplicates import matching
    from minhu.org import service as org_service
    from minhu.org.roles import UnitKind

    db = Database(url)
    migrate.upgrade(db)
    rng = random.Random(20261206)
    now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
    with db.transaction() as s:
        unit = org_service.create_unit(s, code="C", name="区12345指挥中心", kind=UnitKind.CENTRE)
        unit_id = unit.id
    orders_table = Base.metadata.tables["work_orders"]
    prints = Base.metadata.tables["order_fingerprints"]
    started = time.perf_counter()
    batch = 2_000
    for first in range(0, orders, batch):
        rows, fingerprints = [], []
        for index in range(first, min(first + batch, orders)):
            created = now - timedelta(minutes=rng.randrange(60 * 24 * 60))
            fields, lat, lon = _city_report(rng, created)
            rows.append({"id": index + 1, "number": f"WC{index + 1:012d}", "channel": "hotline", "type": "complaint",
                         "urgency": "normal", "status": "accepted", "anonymous": False, "confidential": False,
                         "title": fields["title"], "content": fields["content"], "latitude": lat, "longitude": lon,
                         "owner_unit_id": unit_id, "created_at": created, "updated_at": created, "version": 1,
                         "deadlines_provisional": False, "callback_attempts": 0, "unreachable": False})
            report = matching.Report(title=str(fields["title"]), content=str(fields["content"]), at=created,
                                     latitude=lat, longitude=lon, category_code="0803")
            fingerprints.append(matching.fingerprint_values(report, index + 1))
        with db.transaction() as s:
            s.execute(insert(orders_table), rows)
            s.execute(insert(prints), fingerprints)
    filled_s = time.perf_counter() - started
    if db.dialect == "postgresql":
        # What autovacuum does after a bulk load, without waiting for it: the visibility map lets the index-only
        # scans skip the table, and the statistics let the planner choose them.
        with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE order_fingerprints")
    timings: list[float] = []
    found = 0
    with clock.running_from(now), db.read() as session:
        for index in range(checks + 50):
            fields, lat, lon = _city_report(rng, now)
            report = matching.Report(title=str(fields["title"]), content=str(fields["content"]), at=now,
                                     latitude=lat, longitude=lon)
            start = time.perf_counter_ns()
            matches = matching.find(session, report)
            if index >= 50:  # the first ones warm the caches (jieba's dictionary, the forest)
                timings.append((time.perf_counter_ns() - start) / 1e6)
                found += bool(matches)
    db.dispose()
    return {"orders": orders, "checks": checks, "fill_seconds": round(filled_s, 1),
            "p50_ms": round(statistics.median(timings), 2), "p99_ms": round(percentile(timings, 0.99), 2),
            "with_candidates": found}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


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
    report: dict[str, object] = {"when": datetime.now(UTC).isoformat(timespec="seconds"),
                                 "command": "python bench/dedup.py",
                                 "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                                 "quality": quality(pairs)}
    print(json.dumps(report["quality"], ensure_ascii=False, indent=2))
    intake: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="minhu-dedup-bench-") as tmp:
        intake["sqlite"] = intake_check(f"sqlite:///{tmp}/dedup.sqlite3", args.orders, args.checks)
        print("sqlite", intake["sqlite"])
    if postgres_available():
        pg_recreate("minhu_bench_dedup")
        try:
            intake["postgresql"] = intake_check(pg_url("minhu_bench_dedup"), args.orders, args.checks)
            print("postgresql", intake["postgresql"])
        finally:
            pg_recreate("minhu_bench_dedup", drop_only=True)
    report["intake_check"] = intake
    RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
