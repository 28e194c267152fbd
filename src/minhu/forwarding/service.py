"""Managing the systems that forward orders, and receiving what they send.

A system's API key is shown once, when it is issued; minhu keeps its SHA-256 digest. Issuing a new key ends the
old one at once. A disabled system's key is refused with its own message, so its operators know to ask.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from functools import partial

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from minhu.core import clock, security
from minhu.core.cache import TTLCache
from minhu.core.db import Database
from minhu.core.errors import Conflict, NotAuthenticated, NotFound, field_error
from minhu.forwarding import queries
from minhu.forwarding.models import ForwardedOrder, IntakeSystem
from minhu.forwarding.schemas import ForwardedCreate
from minhu.notify import service as notify_service
from minhu.notify.models import WebhookSubscription
from minhu.orders import service as order_service
from minhu.orders.enums import Channel
from minhu.orders.intake import Registered
from minhu.orders.models import WorkOrder

KEY_PREFIX = "mhk_"
CODE = re.compile(r"[a-z][a-z0-9_-]{1,39}")
# The channels a forwarding system's orders may count under: the doors it stands for.
CHANNELS = (Channel.HOTLINE, Channel.WEB_BOARD, Channel.MOBILE, Channel.LEADER_MAILBOX, Channel.API)
# A key is looked up on every request; a disabled or replaced key is refused at most this long afterwards.
KEY_CACHE_SECONDS = 30
_INSERT_FORWARDED = insert(ForwardedOrder)
_systems: TTLCache[tuple[str, str], tuple[int, str, Channel, bool] | None] = TTLCache(ttl_seconds=KEY_CACHE_SECONDS)


@dataclass(frozen=True)
class Sender:
    """The system behind a request's key."""

    id: int
    name: str
    channel: Channel


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def add_system(session: Session, *, code: str, name: str, channel: Channel, key: str,
               callback_url: str = "", callback_secret: str = "") -> IntakeSystem:
    """Register a system. With ``callback_url``, every status change of the orders it forwards goes back to it
    (a webhook subscription bound to it, signed with ``callback_secret``). Raises InvalidInput, Conflict for a
    code already taken."""
    code, name = code.strip().lower(), name.strip()
    if not CODE.fullmatch(code):
        raise field_error("code", "系统代码须为 2–40 个小写字母、数字、下划线或连字符，以字母开头（如 city12345）")
    if not name:
        raise field_error("name", "请填写系统名称")
    if channel not in CHANNELS:
        raise field_error("channel", "渠道须为热线、留言板、移动端、领导信箱或系统对接之一")
    if session.scalar(select(IntakeSystem.id).where(IntakeSystem.code == code)) is not None:
        raise Conflict(f"系统代码 {code} 已被使用", code="system_code_taken", details=[{"field": "code",
                                                                                   "message": "系统代码已被使用"}])
    now = clock.now()
    system = IntakeSystem(code=code, name=name[:100], channel=channel, key_digest=security.token_digest(key),
                          key_hint=key[-4:], active=True, created_at=now, key_issued_at=now)
    session.add(system)
    session.flush()
    if callback_url.strip():
        notify_service.add_webhook(session, name=f"{system.name}（回传）", url=callback_url, secret=callback_secret,
                                   events=["order.*"], system_id=system.id)
    return system


def _system(session: Session, system_id: int) -> IntakeSystem:
    system = session.get(IntakeSystem, system_id)
    if system is None:
        raise NotFound(f"来件系统 {system_id} 不存在", code="system_not_found")
    return system


def issue_key(session: Session, system_id: int, key: str) -> IntakeSystem:
    """Replace a system's key: the old one stops working now. Raises NotFound."""
    system = _system(session, system_id)
    system.key_digest, system.key_hint, system.key_issued_at = security.token_digest(key), key[-4:], clock.now()
    session.flush()
    _systems.clear_now_and_after(session)
    return system


def set_active(session: Session, system_id: int, *, active: bool) -> IntakeSystem:
    """Disable a system (its key is refused, its callback paused) or enable it again. Raises NotFound."""
    system = _system(session, system_id)
    system.active = active
    session.execute(update(WebhookSubscription).where(WebhookSubscription.system_id == system_id)
                    .values(active=active).execution_options(synchronize_session=False))
    session.flush()
    notify_service.forget_subscribers(session)
    _systems.clear_now_and_after(session)
    return system


def authenticate(db: Database, key: str | None) -> Sender:
    """The system whose key this is. Raises NotAuthenticated for a missing, unknown, replaced or disabled key."""
    if not key:
        raise NotAuthenticated("需要接口密钥（请求头 X-Api-Key）", code="api_key_missing")
    if not key.isascii() or len(key) > 200:
        raise NotAuthenticated("接口密钥无效", code="invalid_api_key")
    digest = security.token_digest(key)

    def load() -> tuple[int, str, Channel, bool] | None:
        with db.read() as session:
            row = session.execute(select(IntakeSystem.id, IntakeSystem.name, IntakeSystem.channel,
                                         IntakeSystem.active).where(IntakeSystem.key_digest == digest)).first()
        return (row.id, row.name, row.channel, row.active) if row is not None else None

    found = _systems.get_or_load((db.url, digest), load)
    if found is None:
        raise NotAuthenticated("接口密钥无效或已更换", code="invalid_api_key")
    system_id, name, channel, active = found
    if not active:
        raise NotAuthenticated(f"来件系统「{name}」已停用，请联系市民服务中心管理员", code="system_disabled")
    return Sender(system_id, name, channel)


def receive(db: Database, sender: Sender, body: ForwardedCreate) -> Registered:
    """Register what a system forwarded, through the same intake as every door, once per sender's id: a
    second delivery returns the first order. Raises Conflict when that id came before with other content."""
    data = body.order(default_channel=sender.channel)
    external_id = body.external_id
    try:
        return order_service.create_order_once(
            db, data, actor=None, key=external_id, scope=f"system:{sender.id}", sender=sender.name,
            with_order=(partial(_remember, system_id=sender.id, external_id=external_id),))
    except Conflict as exc:
        if exc.code != "idempotency_key_reused":
            raise
        with db.read() as session:
            order_id = queries.order_id_of(session, sender.id, external_id)
            number = session.scalar(select(WorkOrder.number).where(WorkOrder.id == order_id)) if order_id else None
        raise Conflict(f"来件编号 {external_id} 已用于另一份内容不同的诉求（工单 {number}）",
                       code="external_id_reused",
                       details=[{"field": "external_id", "message": "来件编号已用于内容不同的诉求",
                                 "order_number": number}]) from exc


def _remember(session: Session, order: WorkOrder, *, system_id: int, external_id: str) -> None:
    session.execute(_INSERT_FORWARDED, {"order_id": order.id, "system_id": system_id, "external_id": external_id,
                                        "received_at": order.created_at})


def joined_to(db: Database, order: WorkOrder) -> str | None:
    """The number of the main order this one joined (一事多办), if it joined one."""
    if order.duplicate_of_id is None:
        return None
    with db.read() as session:
        return session.scalar(select(WorkOrder.number).where(WorkOrder.id == order.duplicate_of_id))
