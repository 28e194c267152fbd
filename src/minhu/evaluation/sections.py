"""What evaluation adds to the order page: the callbacks and re-handlings (回访与重办记录), the review
rulings (审核认定), the order's thread (同一诉求) with its suggestions and standard reply (标准答复)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from minhu.evaluation import dissatisfied, threads
from minhu.orders.models import OrderEvent, WorkOrder
from minhu.orders.signals import OrderShown, Panel
from minhu.org.models import User

TEMPLATE = "evaluation/_order_section.html"


def add_order_section(shown: OrderShown) -> None:
    """Adds the section to the order page, unless there is nothing to show and nothing the viewer could do."""
    section = order_section(shown.session, shown.order, shown.viewer, shown.events)
    if section is not None:
        shown.panels.append(section)


def order_section(session: Session, order: WorkOrder, viewer: User, trail: Sequence[OrderEvent]) -> Panel | None:
    """The section, or None when there is nothing to show and nothing the viewer could do here."""
    history = dissatisfied.history_from(trail)
    rulings = dissatisfied.rulings_from(trail)
    thread = threads.find_thread(session, order)
    keeper = threads.may_keep_threads(viewer)
    suggestions = threads.suggest(session, order, viewer=viewer, own_thread=thread) if keeper else []
    if not (history or rulings or thread or keeper):
        return None
    reply = threads.latest_reply(session, thread.id) if thread is not None else None
    rehandlings = sum(1 for a in history if a.action.value == "reopen")
    context: dict[str, Any] = {
        "history": history, "rehandlings": rehandlings,
        "review_suggested": order.ruling is None and rehandlings >= dissatisfied.REVIEW_AFTER_REHANDLINGS,
        "rulings": rulings, "thread": thread, "members": threads.visible_members(thread, viewer) if thread else [],
        "standard_reply": reply, "keeper": keeper, "suggestions": suggestions,
    }
    prefill: dict[str, dict[str, str]] = {}
    if reply is not None:
        prefill["reply"] = {"note": reply.text, "hint": "已按本诉求串的标准答复预填，可按本件情况修改"}
    if thread is not None and thread.main_order_id != order.id:
        prefill["merge"] = {"duplicate_of": thread.main_order.number}
    return Panel(TEMPLATE, context, prefill)
