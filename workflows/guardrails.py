"""Deletion guardrails: an activity may delete at most a number, or a share, of
rows per run; past it the run pauses with the list of what it would delete until
an administrator confirms or cancels."""

from __future__ import annotations

SAMPLE = 1000


class AwaitingConfirmation(Exception):
    """The activity would delete more than its limit allows."""

    def __init__(self, count: int, limit_text: str, crm_ids: list[str]):
        super().__init__(f"{count} deletion(s), more than {limit_text}")
        self.count, self.limit_text, self.crm_ids = count, limit_text, crm_ids[:SAMPLE]


def check(ctx, count: int, population: int, crm_ids) -> None:
    """Raise AwaitingConfirmation if `count` deletions out of `population` rows pass
    the activity's limits, unless an administrator confirmed this many already."""
    limit = _exceeded(ctx.options, count, population)
    if limit is None or confirmed(ctx, count):
        return
    if ctx.dry_run:
        ctx.warn(f"a real run would pause for confirmation: {count} deletion(s), more than {limit}")
        return
    raise AwaitingConfirmation(count, limit, list(crm_ids))


def _exceeded(options: dict, count: int, population: int) -> str | None:
    most, share = options.get("max_deletions"), options.get("max_deletion_share")
    if most is not None and count > most:
        return f"the limit of {most} per run"
    if share is not None and count and count * 100 > share * max(population, 1):
        return f"the limit of {share}% of the table's {population} row(s)"
    return None


def confirmed(ctx, count: int) -> bool:
    pending = ctx.run.pending_deletions or {}
    return (pending.get("confirmed") is True and pending.get("position") == ctx.activity.position
            and count <= pending.get("count", -1))
