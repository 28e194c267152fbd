"""``minhu catalog …``, ``minhu model …`` and ``minhu classify``."""

from __future__ import annotations

import csv
import io
import random
from datetime import datetime
from pathlib import Path

import typer
from sqlalchemy import select

from minhu.config import Settings
from minhu.core.deployment import deployment_database
from minhu.core.errors import InvalidInput
from minhu.core.text import decode_text_file
from minhu.dispatch import report
from minhu.dispatch.schemas import EARLIEST, period
from minhu.orders.models import WorkOrder
from minhu.orders.states import Status
from minhu.routing import catalog as catalog_files
from minhu.routing import classifier, views
from minhu.routing import service as routing
from minhu.routing.models import Category

catalog_app = typer.Typer(help="诉求分类目录", no_args_is_help=True)
model_app = typer.Typer(help="分类模型：训练、评估、生产准确率", no_args_is_help=True)


def _fail(message: str, details: list[str] | None = None) -> typer.Exit:
    typer.echo(message, err=True)
    for line in details or []:
        typer.echo(f"  {line}", err=True)
    return typer.Exit(code=1)


def _invalid(exc: InvalidInput) -> typer.Exit:
    return _fail(exc.message, exc.detail_lines())


@catalog_app.command("load")
def catalog_load(file: Path = typer.Argument(catalog_files.DEFAULT_CATALOG, exists=True, dir_okay=False,
                                             help="目录 CSV（默认：随附的默认目录）")) -> None:
    """Load a catalog file: codes upserted, codes it no longer lists retired (never deleted)."""
    try:
        parsed = catalog_files.read_catalog(file)
        with deployment_database() as db, db.transaction() as session:
            result = catalog_files.load_catalog(session, parsed)
        routing.forget_routing()
    except InvalidInput as exc:
        raise _invalid(exc) from None
    typer.echo(f"分类目录已载入（版本 {result.version}）：新增 {result.added}，更新 {result.updated}，"
               f"停用 {result.retired}")


@catalog_app.command("export")
def catalog_export(output: Path = typer.Option(Path("catalog.csv"), "-o", "--output"),
                   include_retired: bool = typer.Option(False, "--include-retired")) -> None:
    """Write the catalog in the format ``catalog load`` reads."""
    with deployment_database() as db, db.read() as session:
        text = catalog_files.export_catalog(session, include_retired=include_retired)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"已导出 {text.count(chr(10)) - 1} 个分类到 {output}")


views_app = typer.Typer(help="街道清单（A 类、B 类事项及其等级）", no_args_is_help=True)
catalog_app.add_typer(views_app, name="views")


@views_app.command("load")
def views_load(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="清单 CSV"),
               encoding: str | None = typer.Option(None, "--encoding",
                                                   help="文件编码（默认 UTF-8），如 gb18030")) -> None:
    """Load street lists: each list the file names gets exactly its items. Checked whole: one bad line and
    nothing is written."""
    try:
        with deployment_database() as db, db.transaction() as session:
            result = views.load_views(session, views.parse_views(session, file.read_bytes(), encoding=encoding))
        routing.forget_routing()
    except InvalidInput as exc:
        raise _invalid(exc) from None
    typer.echo(f"街道清单已载入（版本 {result.version}）：{result.views} 份清单，{result.items} 个事项")


@views_app.command("export")
def views_export(output: Path = typer.Argument(..., dir_okay=False, help="写出的 CSV")) -> None:
    """Write the active street lists in the format ``catalog views load`` reads."""
    with deployment_database() as db, db.read() as session:
        text = views.export_views(session)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"已导出 {text.count(chr(10)) - 1} 个清单事项到 {output}")


def _examples_from_orders(settings: Settings) -> list[classifier.Example]:
    """Archived orders with a category, labelled by its first-level name: the city's own history."""
    with deployment_database() as db, db.read() as session:
        names = {c.code: c.name for c in session.scalars(select(Category).where(Category.level == 1))}
        rows = session.execute(select(WorkOrder.title, WorkOrder.content, WorkOrder.category_code)
                               .where(WorkOrder.status == Status.ARCHIVED.value,
                                      WorkOrder.category_code.is_not(None))).all()
    return [classifier.Example(title, content, names[code[:2]]) for title, content, code in rows
            if code and code[:2] in names]


@model_app.command("train")
def model_train(data: Path | None = typer.Option(None, "--data", exists=True, dir_okay=False,
                                                 help="CSV，列 title, detail, label"),
                from_orders: bool = typer.Option(False, "--from-orders", help="用本市已归档的工单训练"),
                holdout: float = typer.Option(0.2, min=0.0, max=0.5, help="留出评估的比例（0 为不留）")) -> None:
    """Train a classifier, evaluate it on a held-out share, keep it versioned and make it current."""
    if (data is None) == (not from_orders):
        raise typer.BadParameter("请给出 --data FILE 或 --from-orders（二选一）")
    settings = Settings()
    try:
        examples = classifier.read_examples(data.read_bytes(), source=str(data)) if data is not None \
            else _examples_from_orders(settings)
        train_rows, test_rows = split(examples, holdout)
        metrics: dict[str, object] = {}
        if test_rows:
            # How a model generalises to rows it never saw; the kept model then learns from every row.
            evaluation = classifier.evaluate(classifier.train(train_rows, cross_validate=False), test_rows)
            metrics = {"holdout_rows": evaluation.rows, "accuracy": evaluation.accuracy,
                       "macro_f1": evaluation.macro_f1, "per_class": evaluation.per_class}
            typer.echo(evaluation.table())
        model = classifier.train(examples)
        model.metrics = {**metrics, **model.metrics}
    except InvalidInput as exc:
        raise _invalid(exc) from None
    typer.echo(_cross_validated(model))
    folder = classifier.save(model, settings.models_dir)
    typer.echo(f"\n模型 {model.version} 已保存并启用：{folder}（{model.rows} 条样本，{len(model.labels)} 个类别）")


def _cross_validated(model: classifier.TextClassifier) -> str:
    cv = model.metrics.get("cv", {})
    lines = [f"\n{cv['folds']} 折交叉验证：宏平均 F1 {cv['macro_f1_mean']:.4f} ± {cv['macro_f1_std']:.4f}，"
             f"准确率 {cv['accuracy']:.4f}"]
    if model.dispatch_threshold is None:
        lines.append(f"没有哪个置信度能让自动派单的正确率达到 {cv['dispatch_target']:.0%}：不自动派单")
    else:
        lines.append(f"自动派单阈值 {model.dispatch_threshold:.4f}：交叉验证中 {cv['dispatch_share']:.1%} 的留言达到，"
                     f"其中 {cv['dispatch_precision']:.2%} 分类正确（要求 ≥ {cv['dispatch_target']:.0%}）")
    return "\n".join(lines)


def split(examples: list[classifier.Example], holdout: float) -> tuple[list[classifier.Example],
                                                                      list[classifier.Example]]:
    """A stratified, seeded split: the same file always gives the same held-out rows."""
    if holdout <= 0:
        return examples, []
    rng = random.Random(0)
    by_label: dict[str, list[classifier.Example]] = {}
    for example in examples:
        by_label.setdefault(example.label, []).append(example)
    train_rows: list[classifier.Example] = []
    test_rows: list[classifier.Example] = []
    for label in sorted(by_label):
        rows = by_label[label][:]
        rng.shuffle(rows)
        cut = round(len(rows) * holdout)
        test_rows += rows[:cut]
        train_rows += rows[cut:]
    return train_rows, test_rows


@model_app.command("eval")
def model_eval(data: Path = typer.Option(..., "--data", exists=True, dir_okay=False)) -> None:
    """Accuracy, macro-F1 and the per-class table of the current model on a labelled file."""
    model = classifier.current(Settings().models_dir)
    if model is None:
        raise _fail("尚未训练分类模型：先运行 minhu model train --data FILE")
    try:
        examples = classifier.read_examples(data.read_bytes(), source=str(data))
    except InvalidInput as exc:
        raise _invalid(exc) from None
    typer.echo(f"模型 {model.version}\n")
    typer.echo(classifier.evaluate(model, examples).table())


@model_app.command("report")
def model_report(since: datetime | None = typer.Option(None, "--from", formats=["%Y-%m-%d"],
                                                      help="第一天（含），默认不限"),
                 until: datetime | None = typer.Option(None, "--to", formats=["%Y-%m-%d"],
                                                      help="最后一天（含），默认不限")) -> None:
    """Production accuracy: what routing suggested against what dispatchers chose (the quality page's figures)."""
    start = end = None
    if since is not None or until is not None:
        try:
            span = period(since.date() if since else EARLIEST, until.date() if until else None)
        except InvalidInput as exc:
            raise _invalid(exc) from None
        start, end = span.start, span.end
    with deployment_database() as db, db.read() as session:
        typer.echo(report.production_report(session, start=start, end=end).table())


def classify(input: Path = typer.Option(..., "--input", exists=True, dir_okay=False, help="CSV，列 id,title,detail"),
             output: Path = typer.Option(..., "--output", help="写出 id,label,confidence")) -> None:
    """Label every row with a first-level category as spelled in the training data, and its confidence."""
    model = classifier.current(Settings().models_dir)
    if model is None:
        raise _fail("尚未训练分类模型：先运行 minhu model train --data FILE")
    try:
        text = decode_text_file(input.read_bytes(), source=str(input))
    except InvalidInput as exc:
        raise _invalid(exc) from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("id", "title", "detail") if c not in (reader.fieldnames or [])]
    if missing:
        raise _fail(f"{input} 缺少列：{'、'.join(missing)}（应有 id,title,detail）")
    rows = list(reader)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["id", "label", "confidence"])
    batch = 512  # bounded memory whatever the file's size
    for start in range(0, len(rows), batch):
        chunk = rows[start:start + batch]
        predictions = model.predict([r.get("title") or "" for r in chunk], [r.get("detail") or "" for r in chunk])
        for row, (label, confidence) in zip(chunk, predictions, strict=True):
            writer.writerow([row.get("id") or "", label, f"{confidence:.4f}"])
    output.write_text(out.getvalue(), encoding="utf-8")
    typer.echo(f"已分类 {len(rows)} 条，写入 {output}")
