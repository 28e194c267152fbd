"""Routing speed and quality: classify + grade + choose the owner for one order, p50/p99; training time
on the labelled messages; accuracy and macro-F1 on a held-out fifth of them.

Loads the demo city (catalog, matrix, map) into a temporary SQLite database, trains the product's
classifier on 80% of ``../shared/data/messages_train.csv`` (stratified, seeded), evaluates it on the
other 20%, then routes 2,000 held-out messages one at a time through ``routing.route`` — exactly what
intake does for each order — timing each call.

    python bench/route.py
    python bench/route.py --data path/to/labelled.csv

Results: a table on stdout and bench/results/route.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from minhu.config import Settings  # noqa: E402
from minhu.core import migrate  # noqa: E402
from minhu.core.db import Database  # noqa: E402
from minhu.demo import city  # noqa: E402
from minhu.dispatch.cli import split  # noqa: E402
from minhu.routing import classifier  # noqa: E402
from minhu.routing import service as routing  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "messages_train.csv"
RESULTS = ROOT / "bench" / "results" / "route.json"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--orders", type=int, default=2000)
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"bench/route.py needs labelled messages at {args.data}; skipped")
        return 0
    examples = classifier.read_examples(args.data.read_bytes(), source=str(args.data))
    train_rows, test_rows = split(examples, 0.2)
    started = time.perf_counter()
    model = classifier.train(train_rows)
    training_s = time.perf_counter() - started
    evaluation = classifier.evaluate(model, test_rows)

    with tempfile.TemporaryDirectory(prefix="minhu-route-bench-") as tmp:
        settings = Settings(home=Path(tmp))
        settings.ensure_home()
        db = Database(settings.effective_database_url)
        migrate.upgrade(db)
        city.load(db)
        classifier.save(model, settings.models_dir)
        routing.configure(models_dir=settings.models_dir)  # the threshold derived with the model
        sample = (test_rows * (args.orders // max(1, len(test_rows)) + 1))[:args.orders]
        timings: list[float] = []
        auto = 0
        with db.read() as session:
            for example in sample[:50]:  # warm up: the model, the catalog and the matrix load once
                routing.route(session, title=example.title, content=example.detail, street=None, community=None,
                              place=None)
            for example in sample:
                start = time.perf_counter_ns()
                route = routing.route(session, title=example.title, content=example.detail, street=None,
                                      community=None, place=None)
                timings.append((time.perf_counter_ns() - start) / 1e6)
                auto += route.auto_dispatch
        db.dispose()
    # The classifier alone, the same orders: its share of the routing time.
    alone: list[float] = []
    for example in sample:
        start = time.perf_counter_ns()
        model.top(example.title, example.detail)
        alone.append((time.perf_counter_ns() - start) / 1e6)

    route_figures = {"orders": len(timings), "p50_ms": round(statistics.median(timings), 2),
                     "p99_ms": round(percentile(timings, 0.99), 2), "would_auto_dispatch": auto,
                     "classify_alone_p50_ms": round(statistics.median(alone), 2),
                     "classify_alone_p99_ms": round(percentile(alone, 0.99), 2)}
    # The held-out messages at least as sure as the model's own threshold: how many, and how many right.
    threshold = model.dispatch_threshold
    predicted = model.predict([e.title for e in test_rows], [e.detail for e in test_rows])
    sure = [(label == e.label) for (label, confidence), e in zip(predicted, test_rows, strict=True)
            if threshold is not None and confidence >= threshold]
    dispatch = {"threshold": threshold, "cv": model.metrics.get("cv"),
                "held_out_share": round(len(sure) / len(test_rows), 4),
                "held_out_precision": round(sum(sure) / len(sure), 4) if sure else None}
    result = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"), "command": "python bench/route.py",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "training": {"rows": len(train_rows), "seconds": round(training_s, 1)},
        "holdout": {"rows": evaluation.rows, "accuracy": evaluation.accuracy, "macro_f1": evaluation.macro_f1,
                    "per_class": evaluation.per_class},
        "route": route_figures,
        "dispatch": dispatch,
    }
    print(f"training on {len(train_rows):,} messages: {training_s:.1f} s")
    print(f"held-out {evaluation.rows:,}: accuracy {evaluation.accuracy:.4f}, macro-F1 {evaluation.macro_f1:.4f}")
    print(f"route one order (classify + grade + owner): p50 {route_figures['p50_ms']} ms, "
          f"p99 {route_figures['p99_ms']} ms over {len(timings):,} orders; "
          f"{auto:,} dispatched themselves; the classifier alone: p50 {route_figures['classify_alone_p50_ms']} ms, "
          f"p99 {route_figures['classify_alone_p99_ms']} ms")
    cv = model.metrics.get("cv") or {}
    print(f"derived threshold {threshold} (cross-validated on the training part: precision "
          f"{cv.get('dispatch_precision')}, share {cv.get('dispatch_share')}); "
          f"held-out messages at least that sure: {dispatch['held_out_share']:.1%}, right "
          f"{dispatch['held_out_precision']}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
