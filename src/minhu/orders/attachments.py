"""Attachments: a file kept with the order (stored on disk first, then recorded with its trail entry)."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy.orm import Session

from minhu.core import files
from minhu.core.db import Database
from minhu.core.errors import Forbidden
from minhu.orders import permissions, queries, trail
from minhu.orders.models import Attachment, WorkOrder
from minhu.orders.states import Action
from minhu.org.models import User


def attach_file(db: Database, number: str, *, actor: User, filename: str, stream: BinaryIO, root: Path,
                max_bytes: int) -> Attachment:
    """Keep a file with the order and note it in the trail.

    The file is written to disk before the write transaction, which then holds the (single SQLite)
    writer only for two inserts; if the transaction fails the file is removed again.
    Raises NotFound, Forbidden, TooLarge past ``max_bytes``, InvalidInput for a kind we do not keep.
    """
    with db.read() as session:
        _check_may_attach(actor, queries.get_visible(session, number, viewer=actor))
    stored = files.store(stream, root, max_bytes=max_bytes)
    try:
        with db.transaction() as session:
            order = queries.get_for_update(session, number, viewer=actor)
            return add_attachment(session, order, actor=actor, filename=filename, stored=stored)
    except BaseException:
        files.remove_stored(root, stored.storage_key)
        raise


def _check_may_attach(actor: User | None, order: WorkOrder) -> None:
    if actor is not None and not permissions.may_attach(actor, order):
        raise Forbidden("无权为此工单上传附件", code="attach_forbidden")


def add_attachment(session: Session, order: WorkOrder, *, actor: User | None, filename: str,
                   stored: files.StoredFile) -> Attachment:
    """Record a file already kept on disk as the order's attachment, with its trail entry."""
    _check_may_attach(actor, order)
    attachment = Attachment(order_id=order.id, filename=files.display_name(filename, stored),
                            content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                            storage_key=stored.storage_key, uploaded_by_id=actor.id if actor else None)
    session.add(attachment)
    session.flush()
    trail.append_event(session, order, Action.ATTACH, actor=actor, from_status=order.status,
                  note=attachment.filename, anonymous_name="市民",
                  payload={"attachment_id": attachment.id, "content_type": stored.content_type,
                           "size": stored.size})
    session.flush()
    return attachment

