"""A clock the test sets: django.utils.timezone.now returns exactly the time
the test chose until it moves it. Tests about time windows (rate limits,
paid periods) need instants they control, not "now plus an offset", or a
window boundary falls wherever the wall clock happens to be."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

# 2026-03-02 00:00:00 UTC: a multiple of every window we use (60 s to a day).
EPOCH = datetime(2026, 3, 2, tzinfo=UTC)


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def frozen_clock(monkeypatch) -> FrozenClock:
    clock = FrozenClock(EPOCH)
    monkeypatch.setattr(timezone, "now", clock)
    return clock
