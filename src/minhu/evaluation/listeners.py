"""What evaluation does when orders move or are shown: the reply's quality goes into the approval's event
(so the trail keeps what the reviewer saw), and the reviewer sees it on the order page while deciding."""

from __future__ import annotations

from minhu.evaluation import review
from minhu.orders.signals import OrderMoving, OrderShown, Panel, order_moving, order_shown
from minhu.orders.states import Action

# The actions of the centre's review of a reply (审核): whoever may take one sees the reply's quality.
REVIEW_ACTIONS = frozenset({Action.APPROVE, Action.SEND_BACK})
PANEL_TEMPLATE = "evaluation/_reply_quality.html"


def _score_approval(change: OrderMoving) -> None:
    if change.action is Action.APPROVE and (change.order.reply_text or "").strip():
        change.payload["reply_quality"] = review.quality_of(change.session, change.order).as_payload()


def _reply_quality_panel(shown: OrderShown) -> None:
    if shown.allowed & REVIEW_ACTIONS and (shown.order.reply_text or "").strip():
        quality = review.quality_of(shown.session, shown.order)
        shown.panels.append(Panel(PANEL_TEMPLATE, {"quality": quality}))


def install() -> None:
    """Connect the receivers (idempotent: the app and the tests both call it)."""
    order_moving.connect(_score_approval)
    order_shown.connect(_reply_quality_panel)
