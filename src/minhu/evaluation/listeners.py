"""What evaluation does when orders move or are shown.

- An approval scores the reply's quality into the approval's event (so the trail keeps what the reviewer saw),
  and the reviewer sees that score on the order page while deciding.
- The order page shows its callbacks and re-handlings, rulings and thread (``sections``).
- A request repeating the same citizen's order left unsolved is recognised at intake (routing raises its grade).
- An approved reply sends the citizen a rating link (网上直评); the receiver writes in the approval's
  transaction, so the link and its SMS commit with the approval or not at all.

Installed by ``app.create_app`` (and the tests' fixtures) through ``install``, which is idempotent.
"""

from __future__ import annotations

from minhu.evaluation import rating_links, review, sections, threads
from minhu.orders.signals import (
    OrderChange,
    OrderMoving,
    OrderShown,
    Panel,
    order_moved,
    order_moving,
    order_placing,
    order_shown,
)
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


def _send_rating_link(change: OrderChange) -> None:
    # A joined order taking its main order's approved reply (随主件答复) is asked as the main order's citizen is.
    if change.event.action in (Action.APPROVE, Action.FOLLOW):
        rating_links.open_link(change.session, change.order, approval_id=change.event.id)


def install() -> None:
    order_moving.connect(_score_approval)
    order_shown.connect(_reply_quality_panel)
    order_shown.connect(sections.add_order_section)
    order_moved.connect(_send_rating_link)
    order_placing.connect(threads.recognise_repeat)


def uninstall() -> None:
    order_moving.disconnect(_score_approval)
    order_shown.disconnect(_reply_quality_panel)
    order_shown.disconnect(sections.add_order_section)
    order_moved.disconnect(_send_rating_link)
    order_placing.disconnect(threads.recognise_repeat)
