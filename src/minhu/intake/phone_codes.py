"""Proving a phone with a one-time code (短信验证码), so that a resident sees every order made with it.

A code is six digits, sent by SMS through the outbox, valid for ``CODE_MINUTES`` and for ``MAX_TRIES`` wrong
tries; only a keyed digest of it is kept. The limits are counted on the rows themselves, in the database every
server process shares: one code a minute and ``PER_PHONE_HOUR`` an hour to one number, ``PER_CLIENT_HOUR`` an
hour from one client. A guesser thus has at most ``PER_PHONE_HOUR`` × ``MAX_TRIES`` tries an hour at a
number's million codes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from minhu.core import clock
from minhu.core.db import rows_changed
from minhu.core.errors import TooManyRequests, field_error
from minhu.intake.models import PhoneCode
from minhu.notify import service as notify_service
from minhu.notify.enums import NotifyChannel

CODE_MINUTES = 10
MAX_TRIES = 5
RESEND_SECONDS = 60
PER_PHONE_HOUR = 5
PER_CLIENT_HOUR = 10
TEMPLATE = "public.code"
HOUR = timedelta(hours=1)


def mobile(phone: str) -> str:
    """The mainland mobile number asked for. Raises InvalidInput for anything else (a code goes by SMS)."""
    found = notify_service.mobile_number(phone.strip())
    if found is None:
        raise field_error("phone", "请填写 11 位手机号码（验证码以短信发送）", code="not_a_mobile")
    return found


def client_key(address: str | None, secret: str) -> str:
    """What is kept of the asking client's address: a keyed digest, enough to count its requests."""
    return hmac.new(secret.encode(), (address or "?").encode(), hashlib.sha256).hexdigest()


def _digest(phone: str, code: str, secret: str) -> str:
    return hmac.new(secret.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def _wait(oldest: datetime | None, now: datetime, span: timedelta) -> int:
    return max(1, math.ceil(((oldest + span) - now).total_seconds())) if oldest is not None else 60


def send_code(session: Session, phone: str, *, client: str, secret: str) -> datetime:
    """Send a new code to ``phone`` (through the outbox, committed with the code); returns when it expires.
    Raises InvalidInput for a number that is no mobile, TooManyRequests past a limit (its message says when
    to try again)."""
    phone = mobile(phone)
    now = clock.now()
    since = now - HOUR
    to_phone = session.execute(select(func.count(), func.min(PhoneCode.created_at), func.max(PhoneCode.created_at))
                               .where(PhoneCode.phone == phone, PhoneCode.created_at > since)).one()
    if to_phone[2] is not None and to_phone[2] > now - timedelta(seconds=RESEND_SECONDS):
        wait = _wait(to_phone[2], now, timedelta(seconds=RESEND_SECONDS))
        raise TooManyRequests(f"验证码已发送，请 {wait} 秒后再获取", retry_after=wait, code="code_sent_recently")
    if to_phone[0] >= PER_PHONE_HOUR:
        wait = _wait(to_phone[1], now, HOUR)
        raise TooManyRequests(f"该号码获取验证码过于频繁，请 {math.ceil(wait / 60)} 分钟后再试",
                              retry_after=wait, code="too_many_codes_for_phone")
    from_client = session.execute(select(func.count(), func.min(PhoneCode.created_at))
                                  .where(PhoneCode.client == client, PhoneCode.created_at > since)).one()
    if from_client[0] >= PER_CLIENT_HOUR:
        wait = _wait(from_client[1], now, HOUR)
        raise TooManyRequests(f"获取验证码过于频繁，请 {math.ceil(wait / 60)} 分钟后再试",
                              retry_after=wait, code="too_many_codes_for_client")
    code = f"{secrets.randbelow(1_000_000):06d}"
    row = PhoneCode(phone=phone, client=client, code_digest=_digest(phone, code, secret), created_at=now,
                    expires_at=now + timedelta(minutes=CODE_MINUTES), attempts=0)
    session.add(row)
    session.flush()
    notify_service.enqueue_to_address(session, template=TEMPLATE, context={"code": code, "minutes": CODE_MINUTES},
                                      channel=NotifyChannel.SMS, address=phone, recipient_name="市民",
                                      dedupe_key=f"phone-code:{row.id}")
    return row.expires_at


def check_code(session: Session, phone: str, code: str, *, secret: str) -> bool:
    """Whether ``code`` is the live code last sent to ``phone``; a wrong try counts against it, a right one uses
    it up. Raises InvalidInput for a number that is no mobile."""
    phone = mobile(phone)
    now = clock.now()
    row = session.execute(select(PhoneCode.id, PhoneCode.code_digest)
                          .where(PhoneCode.phone == phone, PhoneCode.used_at.is_(None), PhoneCode.expires_at > now,
                                 PhoneCode.attempts < MAX_TRIES)
                          .order_by(PhoneCode.created_at.desc(), PhoneCode.id.desc()).limit(1)).first()
    if row is None:
        return False
    # Each try is counted by one conditional update, so tries racing in parallel (several server processes)
    # cannot all pass the limit: only those the database counted below it are compared.
    live = (PhoneCode.id == row.id, PhoneCode.used_at.is_(None), PhoneCode.attempts < MAX_TRIES)
    right = hmac.compare_digest(row.code_digest, _digest(phone, code.strip(), secret))
    values = {"attempts": PhoneCode.attempts + 1, **({"used_at": now} if right else {})}
    counted = session.execute(update(PhoneCode).where(*live).values(**values)
                              .execution_options(synchronize_session=False))
    return right and rows_changed(counted) == 1
