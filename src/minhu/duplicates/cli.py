"""``minhu duplicates score``: the duplicate scorer on anyone's pairs of reports, the same one intake uses."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import typer

from minhu.core.errors import InvalidInput
from minhu.core.text import decode_text_file
from minhu.duplicates import scoring
from minhu.duplicates.text import read

duplicates_app = typer.Typer(help="重复诉求（一事多办）识别", no_args_is_help=True)

PAIR_COLUMNS = ("id", "a_title", "a_detail", "a_address", "a_time", "b_title", "b_detail", "b_address", "b_time")
_INPUT_HELP = "CSV，列 " + ",".join(PAIR_COLUMNS)


def parse_time(value: str | None, *, line: int, column: str) -> datetime | None:
    """An ISO time (``2026-05-01T08:30:00``, a date alone, or the board's ``2019/8/19 11:34:04``); empty: None."""
    value = (value or "").strip()
    if not value:
        return None
    for candidate in (value, value.replace("/", "-")):
        try:
            parsed = datetime.fromisoformat(candidate)
        except ValueError:
            continue
        return parsed.replace(tzinfo=None) if parsed.tzinfo is None else parsed
    for pattern in ("%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y/%m/%d"):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    raise InvalidInput(f"第 {line} 行：{column} 不是有效时间：{value}（应为 ISO 格式，如 2026-05-01T08:30:00）",
                       code="invalid_time")


def score_pair(row: dict[str, str], *, line: int) -> float:
    a_time = parse_time(row.get("a_time"), line=line, column="a_time")
    b_time = parse_time(row.get("b_time"), line=line, column="b_time")
    if a_time is not None and b_time is not None and (a_time.tzinfo is None) != (b_time.tzinfo is None):
        a_time, b_time = a_time.replace(tzinfo=None), b_time.replace(tzinfo=None)
    a = read(row.get("a_title") or "", row.get("a_detail") or "", row.get("a_address") or None)
    b = read(row.get("b_title") or "", row.get("b_detail") or "", row.get("b_address") or None)
    return scoring.probability(scoring.evidence(a, b, a_time=a_time, b_time=b_time))


@duplicates_app.command("score")
def score(input: Path = typer.Option(..., "--input", exists=True, dir_okay=False,
                                     help=_INPUT_HELP),
          output: Path = typer.Option(..., "--output", help="写出 id,same,score")) -> None:
    """Score every pair: ``same`` is 1 where intake would treat the two as one matter (the join threshold)."""
    try:
        text = decode_text_file(input.read_bytes(), source=str(input))
    except InvalidInput as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(code=1) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in PAIR_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        typer.echo(f"{input} 缺少列：{'、'.join(missing)}（应有 {','.join(PAIR_COLUMNS)}）", err=True)
        raise typer.Exit(code=1)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "same", "score"])
    problems = []
    count = same = 0
    for line, row in enumerate(reader, start=2):
        try:
            value = score_pair(row, line=line)
        except InvalidInput as exc:
            problems.append(exc.message)
            continue
        joined = value >= scoring.forest().join
        writer.writerow([row.get("id") or "", 1 if joined else 0, f"{value:.4f}"])
        count += 1
        same += joined
    if problems:
        typer.echo(f"{len(problems)} 行有错误，未写出结果：", err=True)
        for message in problems[:20]:
            typer.echo(f"  {message}", err=True)
        raise typer.Exit(code=1)
    output.write_text(out.getvalue(), encoding="utf-8")
    typer.echo(f"已比对 {count} 对，判为同一事项 {same} 对，写入 {output}")
