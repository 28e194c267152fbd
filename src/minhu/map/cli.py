"""``minhu map …``: check, import and export the jurisdiction and the people on duty."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from minhu.core.deployment import deployment_database
from minhu.geo.transfer.geojson import export_map, read_map
from minhu.geo.transfer.mapfile import MapImportError, decode_csv
from minhu.geo.transfer.people import export_posts, parse_posts, write_posts
from minhu.geo.transfer.wkt_csv import geojson_to_csv
from minhu.geo.transfer.write import check_map, write_map

map_app = typer.Typer(help="辖区地图：单位、责任区、地名、责任人", no_args_is_help=True)


def _fail(exc: MapImportError) -> typer.Exit:
    typer.echo(f"地图文件有 {len(exc.problems)} 处问题，未导入任何内容：", err=True)
    for problem in exc.problems:
        typer.echo(f"  {problem}", err=True)
    return typer.Exit(code=1)


@map_app.command("import")
def map_import(file: Path = typer.Argument(..., exists=True, dir_okay=False,
                                           help="GeoJSON 或 CSV（WKT 几何）文件，格式见 docs/map-format.md"),
               people: Path | None = typer.Option(None, exists=True, dir_okay=False, help="责任人 CSV"),
               encoding: str | None = typer.Option(None, help="CSV 文件的编码（默认 UTF-8；如 gb18030）"),
               replace: bool = typer.Option(False, "--replace", help="重划：文件未列出的原有街道、社区、网格退出使用"),
               on: str | None = typer.Option(None, help="重划生效日期 YYYY-MM-DD（默认今天）"),
               max_mib: int = typer.Option(64, help="GeoJSON 文件大小上限（MiB）")) -> None:
    """Check the whole file, then write it in one transaction (or nothing)."""
    try:
        effective = date.fromisoformat(on) if on else None
    except ValueError:
        raise typer.BadParameter(f"日期 {on} 无效，应为 YYYY-MM-DD", param_hint="--on") from None
    try:
        parsed = read_map(file, max_bytes=max_mib * 1024 * 1024, encoding=encoding)
        rows = parse_posts(decode_csv(people.read_bytes(), encoding=encoding)) if people else []
        # The map and its people in one transaction: a bad row in either leaves the other unwritten too.
        with deployment_database() as db, db.transaction() as session:
            result = write_map(session, parsed, replace=replace, on=effective)
            posts = write_posts(session, rows) if rows else 0
    except MapImportError as exc:
        raise _fail(exc) from None
    typer.echo(f"已导入：新增单位 {result.units_added}，更新 {result.units_updated}，退出使用 {result.units_retired}，"
               f"沿革记录 {result.lineage}；责任区 {result.zones}；地名 {result.places}；责任人 {posts}")


@map_app.command("check")
def map_check(file: Path = typer.Argument(..., exists=True, dir_okay=False),
              replace: bool = typer.Option(False, "--replace")) -> None:
    """Report every problem of a file without importing it."""
    try:
        parsed = read_map(file)
        with deployment_database() as db, db.read() as session:
            problems = check_map(session, parsed, replace=replace)
        if problems:
            raise MapImportError(problems)
    except MapImportError as exc:
        raise _fail(exc) from None
    typer.echo(f"检查通过：单位 {len(parsed.units)}，责任区 {len(parsed.zones)}，地名 {len(parsed.places)}")


@map_app.command("export")
def map_export(output: Path = typer.Option(Path("map.geojson"), "-o", "--output"),
               people: Path | None = typer.Option(None, help="同时导出责任人 CSV 到此文件"),
               include_retired: bool = typer.Option(False, "--include-retired", help="包含已退出使用的单位")) -> None:
    """Write the map as the importer reads it: GeoJSON, or CSV with WKT geometries when the name ends in .csv."""
    with deployment_database() as db, db.read() as session:
        document = export_map(session, include_retired=include_retired)
        roster = export_posts(session) if people else ""
    if output.suffix.lower() == ".csv":
        output.write_text(geojson_to_csv(document), encoding="utf-8")
    else:
        output.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    if people:
        people.write_text(roster, encoding="utf-8")
    typer.echo(f"已导出 {len(document['features'])} 个要素到 {output}" + (f"，责任人到 {people}" if people else ""))
