"""What the order page shows of a request an Open311 client created: the client, the service asked for, the
answers to its questions, the photo link, and the reporter's follow-ups (those on a closed request included,
which no urge carried)."""

from __future__ import annotations

from sqlalchemy import select

from minhu.open311.models import Open311Key, Open311Request, Open311Service, Open311Update
from minhu.orders.signals import OrderShown, Panel, order_shown

PANEL_TEMPLATE = "open311/_source.html"


def show_source(shown: OrderShown) -> None:
    session = shown.session
    row = session.execute(select(Open311Request, Open311Key.name, Open311Service)
                          .join(Open311Key, Open311Key.id == Open311Request.key_id)
                          .join(Open311Service, Open311Service.code == Open311Request.service_code)
                          .where(Open311Request.order_id == shown.order.id)).first()
    if row is None:
        return
    record, client, service = row
    questions = {a.code: a for a in service.attributes}
    answers = []
    for code, value in record.answers.items():
        attribute = questions.get(code)
        names = {v["key"]: v["name"] for v in attribute.values} if attribute is not None else {}
        chosen = value if isinstance(value, list) else [value]
        answers.append((attribute.description if attribute is not None else code,
                        "、".join(names.get(str(v), str(v)) for v in chosen)))
    follow_ups = list(session.scalars(select(Open311Update).where(Open311Update.order_id == shown.order.id)
                                      .order_by(Open311Update.received_at, Open311Update.id)))
    shown.panels.append(Panel(PANEL_TEMPLATE, {"client": client, "service": service, "record": record,
                                               "answers": answers, "follow_ups": follow_ups}))


def install() -> None:
    order_shown.connect(show_source)


def uninstall() -> None:
    order_shown.disconnect(show_source)
