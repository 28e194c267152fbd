"""The scheduling pages: the leader's week (本周调度), the form that records a meeting and its instructions, and
the instructions (批示) a unit receives and acknowledges."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from minhu.core import clock
from minhu.core.errors import DomainError, InvalidInput, field_error
from minhu.orders.permissions import is_centre
from minhu.org.auth import CsrfProtected, PageUser, csrf_token
from minhu.org.models import User
from minhu.org.roles import UnitKind
from minhu.org.tree import UnitTree
from minhu.scheduling import permissions, queries, service
from minhu.scheduling.models import INSTRUCTION_STATE_LABELS, InstructionState
from minhu.scheduling.schemas import MAX_INSTRUCTIONS, AcknowledgeRequest, MeetingCreate
from minhu.scheduling.weeks import Week, parse_week, this_week
from minhu.web.deps import DB
from minhu.web.flash import flash, pop_flashes
from minhu.web.formdata import FormRoute
from minhu.web.forms import validated
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
InstructionId = Annotated[int, Path(ge=1, le=2_147_483_647)]
WeekQuery = Annotated[str, Query(max_length=10)]
# The form opens with this many empty instructions; 再加三条 adds three (up to the schema's limit).
FIRST_ROWS = 4
MORE_ROWS = 3
LABELS = {"week": "周次", "held_on": "会议日期", "chair": "主持人", "notes": "会议纪要", "instructions": "批示",
          "text": "批示内容", "order_number": "工单编号", "unit_id": "单位", "due_on": "完成时限"}
# Units a meeting instructs from the form: not the map's containers, not the thousand grids (their community is).
FORM_KINDS = frozenset(UnitKind) - {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.GRID}
_ITEM = re.compile(r"^instructions\.(\d+)\.?(\w*)")
_NUMBERED = re.compile(r"^第 \d+ 条批示：")


def _week_or_this(text: str) -> tuple[Week, str]:
    try:
        return parse_week(text), ""
    except InvalidInput as exc:
        return this_week(), exc.message


@router.get("/scheduling")
def week_page(request: Request, user: PageUser, db: DB, week: WeekQuery = "") -> Response:
    """本周调度: a leader's week, and its meetings' instructions with their state."""
    permissions.check_recorder(user)
    chosen, problem = _week_or_this(week)
    with db.read() as session:
        view = queries.week_view(session, chosen, viewer=user, now=clock.now(), today=clock.city_now().date())
    return render(request, "scheduling/week.html", user=user, csrf=csrf_token(request), view=view, problem=problem,
                  this_week=this_week().key, flashes=pop_flashes(request))


def _form_page(request: Request, user: User, db: DB, form: dict[str, str], rows: int, errors: list[str] | None = None,
               row_errors: dict[int, list[str]] | None = None, status_code: int = 200) -> Response:
    with db.read() as session:
        prefix = "" if is_centre(user) else user.unit.path
        units = UnitTree.load(session).pick(lambda r: r.active and r.kind in FORM_KINDS and r.path.startswith(prefix))
    return render(request, "scheduling/new.html", status_code=status_code, user=user, csrf=csrf_token(request),
                  form=form, rows=rows, units=units, errors=errors or [], row_errors=row_errors or {},
                  max_rows=MAX_INSTRUCTIONS)


@router.get("/scheduling/new")
def new_meeting(request: Request, user: PageUser, db: DB, week: WeekQuery = "") -> Response:
    """The form: the meeting, and its instructions, several at once."""
    permissions.check_recorder(user)
    chosen, _ = _week_or_this(week)
    today = clock.city_now().date()
    held_on = today if chosen.contains(today) else chosen.monday
    return _form_page(request, user, db, {"week": chosen.key, "held_on": held_on.isoformat(), "chair": user.full_name},
                      FIRST_ROWS)


def _row_count(form: FormData) -> int:
    raw = str(form.get("rows", ""))
    count = int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 3 else FIRST_ROWS
    return max(1, min(count, MAX_INSTRUCTIONS))


def _instructions(form: dict[str, str], rows: int) -> tuple[list[dict[str, Any]], list[int]]:
    """The filled rows as the API's instructions, and the form row (from 0) each came from; empty rows are skipped."""
    items: list[dict[str, Any]] = []
    origin: list[int] = []
    for n in range(rows):
        text, number = form.get(f"i{n}_text", ""), form.get(f"i{n}_order", "").strip()
        unit, due = form.get(f"i{n}_unit", "").strip(), form.get(f"i{n}_due", "").strip()
        if not (text.strip() or number or unit or due):
            continue
        unit_id: int | str | None = int(unit) if unit.isascii() and unit.isdecimal() and len(unit) <= 10 else unit
        items.append({"text": text, "order_number": number or None, "unit_id": unit_id or None,
                      "due_on": due or None})
        origin.append(n)
    return items, origin


def _explain(exc: InvalidInput, origin: list[int]) -> tuple[list[str], dict[int, list[str]]]:
    """The error's lines as the form numbers its rows, and each faulty row's own messages."""
    lines: list[str] = []
    per_row: dict[int, list[str]] = {}
    details = exc.details if isinstance(exc.details, list) else []
    for detail in details:
        field, message = str(detail.get("field", "")), _NUMBERED.sub("", str(detail.get("message", "")))
        found = _ITEM.match(field)
        if found is not None and int(found[1]) < len(origin):
            row = origin[int(found[1])]
            label = LABELS.get(found[2], "")
            text = f"{label}：{message}" if label and not message.startswith(label) else message
            per_row.setdefault(row, []).append(text)
            lines.append(f"第 {row + 1} 条批示：{text}")
        else:
            lines.append(f"{LABELS.get(field, field)}：{message}" if field in LABELS else message)
    return lines or [exc.message], per_row


@router.post("/scheduling/meetings", dependencies=[CsrfProtected])
async def create_meeting(request: Request, user: PageUser, db: DB) -> Response:
    """Record the meeting whole, or show the form again with every fault named and nothing saved."""
    permissions.check_recorder(user)
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    rows = _row_count(raw)
    if form.get("more"):
        return _form_page(request, user, db, form, min(rows + MORE_ROWS, MAX_INSTRUCTIONS))
    items, origin = _instructions(form, rows)
    try:
        if not items:
            raise field_error("instructions", "请至少填写一条批示")
        data = validated(MeetingCreate, {"week": form.get("week", ""), "held_on": form.get("held_on") or None,
                                         "chair": form.get("chair", ""), "notes": form.get("notes", ""),
                                         "instructions": items}, LABELS)
        with db.transaction() as session:
            meeting = service.record_meeting(session, data, actor=user)
            week, count = meeting.week, len(meeting.instructions)
    except InvalidInput as exc:
        lines, per_row = _explain(exc, origin)
        return _form_page(request, user, db, form, rows, lines, per_row, status_code=422)
    flash(request, f"已记录调度会，{count} 条批示已下达")
    return RedirectResponse(f"/scheduling?week={week}", status_code=303)


@router.get("/instructions")
def instructions_page(request: Request, user: PageUser, db: DB,
                      state: Annotated[str, Query(max_length=16)] = "") -> Response:
    """批示: those addressed to the reader's unit (a leader's ground, the centre's all), to acknowledge."""
    chosen = InstructionState(state) if state in InstructionState.__members__.values() else None
    with db.read() as session:
        found = queries.list_instructions(session, viewer=user, today=clock.city_now().date(), state=chosen)
    return render(request, "scheduling/instructions.html", user=user, csrf=csrf_token(request), found=found,
                  state=state, states=INSTRUCTION_STATE_LABELS, flashes=pop_flashes(request))


@router.post("/instructions/{instruction_id}/acknowledge", dependencies=[CsrfProtected])
async def acknowledge(request: Request, user: PageUser, db: DB, instruction_id: InstructionId) -> Response:
    form = await request.form()
    back = f"/orders/{form['order']}" if re.fullmatch(r"[A-Za-z0-9-]{1,32}", str(form.get("order", ""))) \
        else f"/instructions#instruction-{instruction_id}"
    try:
        data = validated(AcknowledgeRequest, {"reply": str(form.get("reply", ""))}, {"reply": "落实情况"})
        with db.transaction() as session:
            service.acknowledge(session, instruction_id, actor=user, reply=data.reply)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        flash(request, exc.message, "error")
    else:
        flash(request, "已接收批示")
    return RedirectResponse(back, status_code=303)
