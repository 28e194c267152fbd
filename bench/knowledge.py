"""Knowledge search speed over 10,000 articles, and similar-case search over the board's answered messages,
on SQLite and PostgreSQL.

The articles are real citizens' messages of a government board (``../shared/data/messages_train.csv``: title
and text; repeated with a numbered suffix past its 6,636 rows), so the words and their spread are a real
archive's. The searches are other real messages' titles (``hot_messages.csv``), each timed on its own as the
page runs it (``queries.search_articles``: candidates from the database's index, ranked by minhu's BM25). The
similar cases are the 2,816 messages of ``replies.csv``, searched by the texts of 200 other messages.

    python bench/knowledge.py            # 10,000 articles, 500 searches
    python bench/knowledge.py --quick    # 1,000 articles, 100 searches

Results: a table on stdout and bench/results/knowledge.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from bench.postgres import pg_recreate, pg_url, postgres_available  # noqa: E402
from minhu.core import migrate  # noqa: E402
from minhu.core.db import Database  # noqa: E402
from minhu.knowledge import fulltext, queries, service  # noqa: E402
from minhu.knowledge.models import ArticleKind, PastCase  # noqa: E402
from minhu.knowledge.schemas import ArticleCreate  # noqa: E402
from minhu.knowledge.terms import query_of  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
RESULTS = ROOT / "bench" / "results" / "knowledge.json"
PG_DATABASE = "minhu_bench_knowledge"


def rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(calls: list[Any]) -> dict[str, float]:
    spent = []
    for call in calls:
        start = time.perf_counter()
        call()
        spent.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": round(statistics.median(spent), 2), "p99_ms": round(percentile(spent, 0.99), 2),
            "max_ms": round(max(spent), 2), "searches": len(spent)}


def run(db: Database, articles: int, searches: int) -> dict[str, Any]:
    messages = rows("messages_train.csv")
    started = time.perf_counter()
    with db.transaction() as session:
        for i in range(articles):
            m = messages[i % len(messages)]
            suffix = "" if i < len(messages) else f"（{i // len(messages) + 1}）"
            service.create_article(session, ArticleCreate(kind=ArticleKind.ANSWER, title=(m["title"] + suffix)[:200],
                                                          body=m["detail"] or m["title"]), actor=None)
    load_s = time.perf_counter() - started
    with db.write_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE" if db.url.startswith("postgresql") else "ANALYZE")
    asked = [r["title"] for r in rows("hot_messages.csv")[:searches]]
    with db.read() as session:
        queries.search_articles(session, "预热")  # jieba's dictionary, loaded once per process
        search = timed([lambda q=q: queries.search_articles(session, q) for q in asked])
        long_text = timed([lambda q=q: queries.search_articles(session, q * 20) for q in asked[:50]])
    replies = rows("replies.csv")
    with db.transaction() as session:
        for r in replies:
            service.remember_imported(session, external_id=r["id"], title=r["title"], content=r["detail"],
                                      reply=r["reply"], asked_at=None, closed_at=None)
    texts = [f"{r['title']} {r['detail']}" for r in rows("hot_messages.csv")[searches:searches + 200]]
    with db.read() as session:
        similar = timed([lambda t=t: fulltext.search(session, PastCase.__table__, query_of(t), limit=5)
                         for t in texts])
    return {"articles": articles, "load_seconds": round(load_s, 1), "search": search,
            "search_pasted_page": long_text, "similar_cases": {**similar, "cases": len(replies)}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    articles, searches = (1_000, 100) if args.quick else (10_000, 500)
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(f"sqlite:///{tmp}/knowledge.db")
        migrate.upgrade(db)
        results["sqlite"] = run(db, articles, searches)
        db.dispose()
    if postgres_available():
        pg_recreate(PG_DATABASE)
        db = Database(pg_url(PG_DATABASE))
        try:
            migrate.upgrade(db)
            results["postgresql"] = run(db, articles, searches)
        finally:
            db.dispose()
            pg_recreate(PG_DATABASE, drop_only=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    report = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick,
              "command": "python bench/knowledge.py" + (" --quick" if args.quick else ""), "commit": commit.strip(),
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}, **results}
    print(f"{'database':<12}{'articles':>9}{'search p50/p99 ms':>20}{'pasted page p99':>17}{'similar p50/p99 ms':>21}")
    for name, r in results.items():
        print(f"{name:<12}{r['articles']:>9}{r['search']['p50_ms']:>12} / {r['search']['p99_ms']:<6}"
              f"{r['search_pasted_page']['p99_ms']:>14}{r['similar_cases']['p50_ms']:>13} / "
              f"{r['similar_cases']['p99_ms']}")
    if not args.quick:
        RESULTS.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
