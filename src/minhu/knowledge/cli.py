"""``minhu knowledge``: import articles from files, import another archive's answered messages as past cases,
search as a clerk would, and rebuild what search reads."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy import select

from minhu.core import clock
from minhu.core.deployment import deployment_database
from minhu.core.errors import DomainError, InvalidInput
from minhu.core.text import control_problem, decode_text_file
from minhu.knowledge import queries, service
from minhu.knowledge.models import ARTICLE_KIND_LABELS, Article, ArticleKind, PastCase

knowledge_app = typer.Typer(help="知识库：导入条目、导入历史答复、检索", no_args_is_help=True)

CASE_COLUMNS = ("id", "title", "detail", "reply")  # required; time and reply_time are read when present
BOARD_TIME_FORMATS = ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _fail(what: str, exc: DomainError) -> typer.Exit:
    typer.echo(f"{what}：{exc.message}", err=True)
    for detail in exc.detail_lines():
        typer.echo(f"  {detail}", err=True)
    return typer.Exit(code=1)


@knowledge_app.command("import")
def import_files(files: list[Path] = typer.Argument(..., exists=True, dir_okay=False,
                                                   help="Word（.docx）或 Markdown（.md）文件"),
                 kind: ArticleKind = typer.Option(ArticleKind.POLICY, "--kind", help="文件未写明时的类别"),
                 source: str = typer.Option("", "--source", help="文件未写明时的来源"),
                 issuing_body: str = typer.Option("", "--issuing-body", help="文件未写明时的发布机关"),
                 draft: bool = typer.Option(False, "--draft", help="存为草稿，不发布")) -> None:
    """One article per file; any bad file refuses them all (the file named)."""
    defaults = {"kind": kind, "source": source, "issuing_body": issuing_body, "publish": not draft}
    try:
        with deployment_database() as db, db.transaction() as session:
            made = service.import_articles(session, [(f.name, f.read_bytes()) for f in files], defaults, actor=None)
            lines = [f"{a.id}\t{ARTICLE_KIND_LABELS[a.kind]}\t{a.title}" for a in made]
    except DomainError as exc:
        raise _fail("无法导入", exc) from None
    typer.echo("\n".join(lines))
    typer.echo(f"已导入 {len(lines)} 个知识条目")


def _board_time(value: str, *, line: int, column: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    for pattern in BOARD_TIME_FORMATS:
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=clock.city_tz())
        except ValueError:
            continue
    raise InvalidInput(f"第 {line} 行：{column} 不是有效时间：{value[:30]}（如 2019/4/25 9:32:09）",
                       code="invalid_time")


def read_cases(raw: bytes, *, source: str) -> list[dict[str, object]]:
    """The answered messages of a CSV file (columns id,title,detail,reply and optionally time,reply_time);
    every problem names its line."""
    text = decode_text_file(raw, source=source)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in CASE_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InvalidInput(f"{source}缺少列：{','.join(missing)}（需要 {','.join(CASE_COLUMNS)}）", code="invalid_file")
    cases: list[dict[str, object]] = []
    try:
        for row in reader:
            line = reader.line_num
            values = {k: (v or "").strip() for k, v in row.items() if k is not None}
            problem = control_problem("".join(values.values()))
            if problem:
                raise InvalidInput(f"第 {line} 行：{problem}", code="invalid_file")
            if not values["id"] or not values["reply"] or not (values["title"] or values["detail"]):
                raise InvalidInput(f"第 {line} 行：id、reply 和 title 或 detail 不能为空", code="invalid_file")
            cases.append({"external_id": values["id"][:64], "title": values["title"] or values["detail"][:40],
                          "content": values["detail"], "reply": values["reply"],
                          "asked_at": _board_time(values.get("time", ""), line=line, column="time"),
                          "closed_at": _board_time(values.get("reply_time", ""), line=line, column="reply_time")})
    except csv.Error as exc:
        raise InvalidInput(f"{source}第 {reader.line_num} 行无法按 CSV 读取（{exc}）", code="invalid_file") from None
    return cases


@knowledge_app.command("import-cases")
def import_cases(input: Path = typer.Option(..., "--input", exists=True, dir_okay=False,
                                            help="CSV，列 id,title,detail,reply（可有 time,reply_time）")) -> None:
    """Another archive's messages with their official replies, as past cases similar-case search offers.
    Personal data is masked as they are written; an id already imported is skipped."""
    try:
        cases = read_cases(input.read_bytes(), source=str(input))
        with deployment_database() as db, db.transaction() as session:
            added = sum(service.remember_imported(session, **case) for case in cases)  # type: ignore[arg-type]
    except DomainError as exc:
        raise _fail("无法导入", exc) from None
    typer.echo(f"已导入 {added} 条历史答复（跳过已有 {len(cases) - added} 条）")


@knowledge_app.command("search")
def search(query: str = typer.Argument(..., help="要查的事"),
           include_all: bool = typer.Option(False, "--all", help="含已失效、被替代、废止和草稿"),
           limit: int = typer.Option(10, "--limit", min=1, max=100)) -> None:
    """The articles a clerk typing QUERY would find, best first."""
    with deployment_database() as db, db.read() as session:
        found = queries.search_articles(session, query, in_force_only=not include_all, limit=limit)
    for f in found:
        typer.echo(f"{f.article.id}\t{f.score:.2f}\t{ARTICLE_KIND_LABELS[f.article.kind]}\t{f.standing}\t"
                   f"{f.article.title}")
    if not found:
        typer.echo("没有找到相关条目")


@knowledge_app.command("reindex")
def reindex() -> None:
    """Cut every article and past case into words again (after the synonyms or the segmenter changed), and
    write the past case of every settled order that has none."""
    with deployment_database() as db, db.transaction() as session:
        articles = cases = 0
        for article in session.scalars(select(Article)):
            service.index_article(article)
            articles += 1
        for case in session.scalars(select(PastCase)):
            service.index_case(case)
            cases += 1
        added = service.remember_settled_orders(session)
    typer.echo(f"已重建 {articles} 个条目、{cases} 个历史案例的检索词，新增 {added} 个已办结工单案例")
