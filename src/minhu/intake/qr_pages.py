"""Each community's QR code (扫码反映): a poster for the notice board whose code opens the resident's report page
with the community filled in, so a report from the code is placed in that community without a pin."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import Session

from minhu.notify import templates as notify_templates
from minhu.org.auth import PageUser, csrf_token
from minhu.org.models import Unit, User
from minhu.org.roles import CENTRE_ROLES, Role, UnitKind
from minhu.web.deps import DB
from minhu.web.formdata import FormRoute
from minhu.web.render import render

router = APIRouter(include_in_schema=False, route_class=FormRoute)
PAGE = "/qr"


def report_url(community: Unit) -> str:
    """The report page for ``community``, at the address residents reach (``MINHU_BASE_URL``)."""
    return f"{notify_templates.site_url()}/public/report?{urlencode({'community': community.code})}"


def code_svg(url: str) -> Markup:
    """The QR code of ``url`` as inline SVG: drawn from our own URL, nothing of a user's in it."""
    return Markup(segno.make(url, error="m").svg_inline(scale=5, border=2, dark="#101828"))


def _communities(session: Session, viewer: User) -> list[Unit]:
    query = select(Unit).where(Unit.kind == UnitKind.COMMUNITY.value, Unit.active.is_(True)).order_by(Unit.path)
    if viewer.role not in CENTRE_ROLES and viewer.role is not Role.LEADER:
        # A street sees its communities; a community its own; a grid its community.
        own = session.get_one(Unit, viewer.unit_id)
        if own.kind is UnitKind.GRID and own.parent_id is not None:
            own = session.get_one(Unit, own.parent_id)
        query = query.where(Unit.path.startswith(own.path))
    return list(session.scalars(query))


@router.get(PAGE)
def posters(request: Request, user: PageUser, db: DB) -> Response:
    """The communities' posters, one a page when printed."""
    with db.read() as session:
        communities = _communities(session, user)
        parents = {u.id: u for u in session.scalars(select(Unit).where(
            Unit.id.in_({c.parent_id for c in communities if c.parent_id})))}
        cards = [{"community": c, "street": parents.get(c.parent_id) if c.parent_id else None,
                  "url": report_url(c), "svg": code_svg(report_url(c))} for c in communities]
    return render(request, "intake/qr.html", user=user, csrf=csrf_token(request), cards=cards)
