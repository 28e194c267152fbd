"""The working hours of a day, as a setting: ``"09:00-12:00,13:30-17:30"``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class WorkWindow:
    start: time
    end: time

    @property
    def minutes(self) -> int:
        return (self.end.hour * 60 + self.end.minute) - (self.start.hour * 60 + self.start.minute)


def parse_work_hours(text: str) -> tuple[WorkWindow, ...]:
    """``"09:00-12:00,13:30-17:30"`` → the day's working windows, in order. Raises ValueError."""
    windows: list[WorkWindow] = []
    for part in text.split(","):
        start_text, _, end_text = part.strip().partition("-")
        window = WorkWindow(time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip()))
        if window.minutes <= 0 or (windows and window.start < windows[-1].end):
            raise ValueError(f"工作时间段 {part.strip()} 无效：须按时间先后排列且不重叠")
        windows.append(window)
    if not windows:
        raise ValueError("至少需要一个工作时间段")
    return tuple(windows)


DEFAULT_WORK_HOURS = parse_work_hours("09:00-12:00,13:30-17:30")
