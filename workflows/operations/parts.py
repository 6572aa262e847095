"""Splitting a large import into modification-stamp ranges that several workers
read and write at once. The activity's watermark moves only when the last part is
committed, to the highest stamp the plan covered."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from connectors.types import Condition, Op, ReadRequest

MIN_SPAN = dt.timedelta(milliseconds=1)


@dataclass(frozen=True)
class Part:
    start: dt.datetime
    end: dt.datetime  # exclusive
    last: bool
    first: bool = False

    @staticmethod
    def parse(text: str) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    def conditions(self, modstamp_field: str) -> tuple[Condition, ...]:
        """The first part has no lower bound and the last no upper one: a CRM may
        round stamps in queries (SOQL literals have whole seconds), and records
        changed while the parts run are then read rather than missed."""
        bounds = []
        if not self.first:
            bounds.append(Condition(modstamp_field, Op.GE, self.start))
        if not self.last:
            bounds.append(Condition(modstamp_field, Op.LT, self.end))
        return tuple(bounds)


def plan(low: dt.datetime, high: dt.datetime, degree: int) -> list[Part]:
    """`degree` ranges of equal length covering [low, high]; fewer if it is narrow."""
    span = high - low
    count = max(1, min(degree, span // MIN_SPAN))
    edges = [low + span * i / count for i in range(count)] + [high]
    return [Part(edges[i], edges[i + 1], i == count - 1, i == 0) for i in range(count)]


def part_request(request: ReadRequest, part: Part, modstamp_field: str) -> ReadRequest:
    """The same read, limited to one range (and no longer incremental: the range
    already starts after the watermark)."""
    return ReadRequest(table=request.table, fields=request.fields,
                       conditions=request.conditions + part.conditions(modstamp_field))
