"""A tiny typed publish/subscribe, so lower domains announce what happened without knowing who listens.

Receivers run synchronously inside the sender's transaction: whatever they write commits or rolls
back with the change that caused it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

P = TypeVar("P")


class Signal(Generic[P]):
    def __init__(self, name: str) -> None:
        self.name = name
        self._receivers: list[Callable[[P], None]] = []

    def connect(self, receiver: Callable[[P], None]) -> None:
        if receiver not in self._receivers:
            self._receivers.append(receiver)

    def disconnect(self, receiver: Callable[[P], None]) -> None:
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, payload: P) -> None:
        for receiver in list(self._receivers):
            receiver(payload)
