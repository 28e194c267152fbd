"""JSON routes of the monthly bulletin: the archive, and one bulletin's figures."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from minhu.evaluation import bulletin_archive
from minhu.evaluation.models import BulletinRecord
from minhu.org.auth import ApiUser
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.responses import ERRORS

router = APIRouter(prefix="/api/v1", tags=["考核通报"], route_class=FormRoute)


def _brief(record: BulletinRecord) -> dict[str, Any]:
    query = f"?policy={record.policy_ref}"
    return {"period": record.period, "policy": record.policy_ref, "title": record.title,
            "generated_at": record.generated_at.isoformat(), "generated_by": record.generated_by,
            "pdf_url": f"/bulletins/{record.period}.pdf{query}", "xlsx_url": f"/bulletins/{record.period}.xlsx{query}"}


@router.get("/bulletins", responses=ERRORS(401))
def list_bulletins(user: ApiUser, db: DB) -> dict[str, Any]:
    """The archived bulletins, the latest period first."""
    with db.read() as session:
        return {"bulletins": [_brief(record) for record in bulletin_archive.list_records(session)]}


@router.get("/bulletins/{period}", responses=ERRORS(401, 409, 422))
def get_bulletin(user: ApiUser, db: DB, period: Annotated[str, Path(max_length=40, description="月份，如 2026-10")],
                 policy: Annotated[str | None, Query(max_length=60, description="考核口径 code 或 code@version")]
                 = None) -> dict[str, Any]:
    """A month's bulletin: the archived one as published (``archived``: true), else computed now from the current
    figures (``archived``: false, nothing stored)."""
    month = bulletin_archive.month_of(period)
    with db.read() as session:
        record = bulletin_archive.find(session, month.key, policy)
        if record is not None:
            return {"archived": True, **_brief(record), "bulletin": record.content}
        return {"archived": False, "bulletin": bulletin_archive.preview(session, policy, month)}
