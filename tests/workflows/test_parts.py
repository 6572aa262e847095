"""Planning the parts of a split import (pure)."""

import datetime as dt

from connectors.types import Condition, Op
from workflows.operations.parts import plan

LOW = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)


def test_parts_cover_the_whole_range_without_gaps_and_leave_the_ends_open():
    parts = plan(LOW, LOW + dt.timedelta(seconds=8), 4)
    assert [p.start for p in parts] == [LOW + dt.timedelta(seconds=s) for s in (0, 2, 4, 6)]
    assert [p.end for p in parts][:-1] == [p.start for p in parts][1:]
    assert parts[0].conditions("m") == (Condition("m", Op.LT, LOW + dt.timedelta(seconds=2)),)
    assert parts[1].conditions("m") == (Condition("m", Op.GE, LOW + dt.timedelta(seconds=2)),
                                        Condition("m", Op.LT, LOW + dt.timedelta(seconds=4)))
    assert parts[-1].conditions("m") == (Condition("m", Op.GE, LOW + dt.timedelta(seconds=6)),)


def test_a_narrow_range_gives_fewer_parts():
    assert len(plan(LOW, LOW + dt.timedelta(milliseconds=2), 8)) == 2
    assert len(plan(LOW, LOW, 8)) == 1
