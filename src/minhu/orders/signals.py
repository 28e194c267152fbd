"""What the work-order domain announces; routing, deadlines and evaluation subscribe."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from minhu.core.signals import Signal
from minhu.orders.models import OrderEvent, WorkOrder


@dataclass(frozen=True)
class OrderChange:
    session: Session
    order: WorkOrder
    event: OrderEvent


order_created: Signal[OrderChange] = Signal("order_created")
order_moved: Signal[OrderChange] = Signal("order_moved")
