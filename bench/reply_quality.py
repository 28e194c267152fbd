"""Reply quality (答复质量) on real replies: the grade of each of the 2,816 official replies in
``../shared/data/replies.csv``, the time it takes, and the agreement with hand labels.

The labels (``bench/data/reply_quality_labels.csv``: id, label good/fair/poor, the missing parts) were
given by reading 60 rows drawn with ``random.seed(12345); random.sample(rows, 60)`` over the file's rows,
before the weights were tuned. Grades map to labels as 优/良 → good, 中 → fair, 差 → poor.
Working days are counted Monday–Friday (no holiday table for 2011–2020 here); the message board's
limit is unknown, so the rules' default limit applies.

    python bench/reply_quality.py
    python bench/reply_quality.py --data path/to/replies.csv

Results: a summary on stdout and bench/results/reply_quality.json.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import platform
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from minhu.deadlines.calendar import WorkCalendar, working_minutes_between  # noqa: E402
from minhu.evaluation.reply_quality import Grade, ReplyInput, ReplyQuality, score  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "replies.csv"
LABELS = ROOT / "bench" / "data" / "reply_quality_labels.csv"
RESULTS = ROOT / "bench" / "results" / "reply_quality.json"
LEVELS = ("good", "fair", "poor")
TO_LEVEL = {Grade.EXCELLENT: "good", Grade.GOOD: "good", Grade.FAIR: "fair", Grade.POOR: "poor"}
CITY = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar(tz=CITY)


def parse_time(text: str) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), "%Y/%m/%d %H:%M:%S").replace(tzinfo=CITY)
    except ValueError:
        return None


def working_days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return working_minutes_between(CALENDAR, start, end) / CALENDAR.day_minutes()


def as_input(row: dict[str, str]) -> ReplyInput:
    return ReplyInput(title=row["title"], detail=row["detail"], reply=row["reply"],
                      days_taken=working_days(parse_time(row["time"]), parse_time(row["reply_time"])))


def cohen_kappa(pairs: list[tuple[str, str]]) -> float:
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[k] * second[k] for k in LEVELS) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def spearman(xs: list[float], ys: list[float]) -> float:
    def ranks(values: list[float]) -> list[float]:
        order = sorted(range(len(values)), key=values.__getitem__)
        result = [0.0] * len(values)
        i = 0
        while i < len(order):
            j = i
            while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
                j += 1
            for k in range(i, j + 1):
                result[order[k]] = (i + j) / 2
            i = j + 1
        return result
    rx, ry = ranks(xs), ranks(ys)
    return statistics.correlation(rx, ry)


def part_agreement(labels: dict[str, tuple[str, set[str]]], scored: dict[str, ReplyQuality]) -> dict[str, float]:
    """Per part: the share of labelled replies where the scorer and the reader agree it is there or missing."""
    keys = sorted({m.key for q in scored.values() for m in q.missing} | {"finding", "action", "basis", "result",
                                                                          "contact"})
    return {key: sum((key in missing) == any(m.key == key for m in scored[i].missing)
                     for i, (_, missing) in labels.items()) / len(labels) for key in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--show", action="store_true", help="list each labelled reply's score beside its label")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"bench/reply_quality.py needs the replies at {args.data} (../shared/data beside the project); skipped")
        return 0
    rows = list(csv.DictReader(io.StringIO(args.data.read_text("utf-8"))))
    inputs = {row["id"]: as_input(row) for row in rows}
    scored: dict[str, ReplyQuality] = {}
    timings: list[float] = []
    for key, item in inputs.items():
        started = time.perf_counter()
        scored[key] = score(item)
        timings.append(time.perf_counter() - started)

    grades = Counter(q.grade for q in scored.values())
    missing = Counter(m.key for q in scored.values() for m in q.missing)
    labels = {row["id"]: (row["label"], {m for m in row["missing"].split(";") if m})
              for row in csv.DictReader(io.StringIO(LABELS.read_text("utf-8")))}
    labels = {k: v for k, v in labels.items() if k in scored}
    pairs = [(label, TO_LEVEL[scored[k].grade]) for k, (label, _) in labels.items()]
    accuracy = sum(a == b for a, b in pairs) / len(pairs)
    kappa = cohen_kappa(pairs)
    rho = spearman([{"good": 2.0, "fair": 1.0, "poor": 0.0}[label] for label, _ in labels.values()],
                   [float(scored[k].score) for k in labels])
    confusion = {a: {b: sum(1 for x, y in pairs if (x, y) == (a, b)) for b in LEVELS} for a in LEVELS}
    parts = part_agreement(labels, scored)
    ms = sorted(t * 1000 for t in timings)

    print(f"replies scored: {len(scored)}  ({args.data})")
    print("grades: " + "  ".join(f"{g.value} {grades[g]} ({grades[g] / len(scored):.0%})" for g in Grade))
    print("missing parts: " + "  ".join(f"{k} {v / len(scored):.0%}" for k, v in missing.most_common()))
    print(f"time per reply: median {statistics.median(ms):.2f} ms, p99 {ms[int(0.99 * len(ms))]:.2f} ms")
    print(f"hand labels: {len(pairs)}  accuracy {accuracy:.0%}  Cohen's kappa {kappa:.2f}  Spearman {rho:.2f}")
    print("confusion (rows: hand label, columns: scorer)")
    print("          " + "".join(f"{b:>6}" for b in LEVELS))
    for a in LEVELS:
        print(f"  {a:<8}" + "".join(f"{confusion[a][b]:>6}" for b in LEVELS))
    print("missing-part agreement: " + "  ".join(f"{k} {v:.0%}" for k, v in parts.items()))
    if args.show:
        for k, (label, gone) in labels.items():
            q = scored[k]
            crit = " ".join(f"{c.key[:4]}={c.score:.0f}" if c.score is not None else f"{c.key[:4]}=-"
                            for c in q.criteria)
            lacks, hand = ",".join(m.key for m in q.missing), ",".join(sorted(gone))
            print(f"  {k:>7} {label:<5} {q.score:>3} {q.grade.value:<9} {crit}  miss={lacks}  hand={hand}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "python": platform.python_version(),
        "replies": len(scored), "grades": {g.value: grades[g] for g in Grade},
        "missing": dict(missing.most_common()),
        "ms_per_reply": {"median": round(statistics.median(ms), 3), "p99": round(ms[int(0.99 * len(ms))], 3)},
        "labels": len(pairs), "accuracy": round(accuracy, 3), "kappa": round(kappa, 3), "spearman": round(rho, 3),
        "confusion": confusion, "part_agreement": {k: round(v, 3) for k, v in parts.items()},
    }, ensure_ascii=False, indent=2) + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
