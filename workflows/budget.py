"""The API budget governor. Per external account, a budget: a share of the CRM's
daily API allocation (read from the CRM's limits where it reports them, else the
allocation configured on the account, measured against crmsync's own calls of
the last 24 hours). Before a run, a forecast of the calls it will spend, from
record counts and page and batch sizes, is stored on the run; a run whose
forecast does not fit its share of what remains waits (low priority) or stops
with the status "stopped: API budget", and so does a run that passes it midway."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Sum
from django.utils import timezone

from connectors.errors import ApiLimitReached, ConnectorError
from connectors.types import ReadRequest
from wizard.live_models import model_for

from . import options as activity_options
from . import sessions
from . import watermarks
from .conditions import parse_conditions, to_q
from .models import ActivityRun, Operation, Priority, Run, SyncState

logger = logging.getLogger("crmsync.workflows")

# The share of the remaining budget a run may take, by its workflow's priority.
PORTION = {Priority.HIGH: 1.0, Priority.NORMAL: 0.8, Priority.LOW: 0.5}
LEDGER = dt.timedelta(hours=24)
MAX_WAIT = dt.timedelta(hours=24)


class BudgetExhausted(Exception):
    """The run spent the calls it was allowed; `calls`: those of the activity so far
    (the last ones after its last committed page too, for the budget's ledger)."""

    def __init__(self, message: str, calls: int | None = None):
        super().__init__(message)
        self.calls = calls


@dataclass(frozen=True)
class Budget:
    limit: int  # the CRM's daily allocation
    used: int  # over the last 24 hours
    share: int  # percent of the allocation this account may use
    source: str

    @property
    def total(self) -> int:
        return self.limit * self.share // 100

    @property
    def remaining(self) -> int:
        return max(0, self.total - self.used)

    def as_dict(self) -> dict:
        return {"limit": self.limit, "used": self.used, "share": self.share, "total": self.total,
                "remaining": self.remaining, "source": self.source}


@dataclass(frozen=True)
class Verdict:
    kind: str  # "go", "wait", "stop"
    message: str
    allowed: int | None = None


def own_calls(account, since: dt.datetime) -> int:
    """crmsync's own calls to this account since `since`: runs and their forecasts."""
    runs = Run.objects.filter(workflow__account=account, created_at__gte=since)
    spent = ActivityRun.objects.filter(run__in=runs).aggregate(n=Sum("api_calls"))["n"] or 0
    return spent + sum((f or {}).get("calls_spent", 0) for f in runs.values_list("forecast", flat=True))


def read_budget(account, connector) -> Budget | None:
    """The account's budget now; None when no daily allocation is known."""
    allocation = connector.daily_allocation()
    if allocation is not None:
        budget = Budget(allocation.limit, allocation.used, account.api_quota_share, allocation.source)
    elif account.daily_api_allocation:
        budget = Budget(account.daily_api_allocation, own_calls(account, timezone.now() - LEDGER),
                        account.api_quota_share, "allocation configured on the account; crmsync's calls, last 24 h")
    else:
        return None
    type(account).objects.filter(pk=account.pk).update(api_daily_max=budget.limit, api_daily_used=budget.used,
                                                      api_limits_read_at=timezone.now())
    return budget


# --- the forecast ---------------------------------------------------------------
# A count costs a call, so the forecast counts the records an import would read
# only when its answer could matter: when the run may take fewer calls than
# reading max(10 x the local rows, UNCOUNTED_RECORDS) records would need. Further
# from the budget than that, the import is priced from what is known locally (the
# local rows for a full read, the last run's reads for an incremental one). Such a
# read can still prove larger: a CRM that tells a read's size with its first page
# (Salesforce) stops the run there, before anything is written, having spent the
# one call a count would have; otherwise the run stops between pages once it has
# spent the calls it was allowed (ActivityContext.check_cancelled).
UNCOUNTED_RECORDS = 1_000_000
UNCOUNTED_FACTOR = 10


def forecast(workflow, connector, counted: bool = True, writing: bool = True) -> dict:
    """The calls each activity will spend on `connector` once its session is open
    (see `_planned`). Counts the records to import only if `counted`."""
    activities = list(workflow.activities.select_related("schema").order_by("position"))
    open_session(activities, connector, writing)
    plan = [_activity_forecast(activity, connector, counted) for activity in activities]
    return {"calls": sum(a["calls"] for a in plan), "activities": plan, "at": timezone.now().isoformat()}


def open_session(activities, connector, writing: bool = True) -> None:
    """`writing` False: a dry run's, which needs nothing for writing."""
    tables = [activity.schema.crm_name for activity in activities]
    written = [activity.schema.crm_name for activity in activities if activity.operation == Operation.EXPORT]
    connector.open_session(tables, written if writing else ())


def needs_counts(workflow, connector, budget: Budget | None) -> bool:
    """Whether the budget is near enough for counts to matter (see UNCOUNTED_RECORDS);
    never without a budget, which nothing would be held against."""
    if budget is None:
        return False
    allowed = int(budget.remaining * PORTION[Priority(workflow.priority)])
    ceiling = 0
    for activity in workflow.activities.select_related("schema"):
        options = activity_options.normalize(activity.operation, activity.schema, activity.options)
        _, calls, _ = _FORECASTS[activity.operation](activity, options, connector, False)
        if activity.operation == Operation.IMPORT:
            reads = 2 if options["left_filter"] == "flag" and options["filter"] else 1  # and the unfiltered read
            calls = reads * connector.read_calls(max(UNCOUNTED_FACTOR * _local_rows(activity), UNCOUNTED_RECORDS))
        ceiling += calls
    return ceiling > allowed


def _activity_forecast(activity, connector, counted: bool) -> dict:
    options = activity_options.normalize(activity.operation, activity.schema, activity.options)
    records, calls, exact = _FORECASTS[activity.operation](activity, options, connector, counted)
    return {"position": activity.position, "operation": activity.operation, "table": activity.schema.crm_name,
            "records": records, "calls": calls, "exact": exact}


def _import(activity, options, connector, counted: bool) -> tuple[int | None, int, bool]:
    schema, model = activity.schema, model_for(activity.schema)
    ids = tuple(options["ids"]) if options.get("ids") is not None else None
    if options["population"] is not None:
        query = to_q(schema, parse_conditions(schema, options["population"], "population"))
        ids = tuple(model.objects.filter(query, crm_id__isnull=False).values_list("crm_id", flat=True))
        if not ids:
            return 0, 0, True
    since = _bookmark(activity).since if options["incremental"] and ids is None else None
    if not counted:
        return None, connector.read_calls(_estimate(activity, ids, since)), False
    conditions = tuple(parse_conditions(schema, options["filter"]))
    request = ReadRequest(table=schema.crm_name, fields=(), conditions=conditions, since=since, ids=ids)
    records = connector.count(request)
    exact = records is not None
    calls = connector.read_calls(records or 0)
    if options["left_filter"] == "flag" and conditions and ids is None:
        unfiltered = connector.count(ReadRequest(table=schema.crm_name, fields=(), since=since))
        calls += connector.read_calls(unfiltered or 0)
    return records or 0, calls, exact


def _estimate(activity, ids, since) -> int:
    """Records an import is expected to read, from local knowledge only."""
    if ids is not None:
        return len(ids)
    if since is None:
        return _local_rows(activity)
    last = ActivityRun.objects.filter(activity=activity).order_by("-pk").values_list("read", flat=True).first()
    return last or 0


def _local_rows(activity) -> int:
    return model_for(activity.schema).objects.count()


def _bookmark(activity) -> watermarks.Bookmark:
    state = SyncState.objects.filter(activity=activity).first()
    return watermarks.load(state.watermark if state else "")


def _export(activity, options, connector, counted: bool) -> tuple[int, int, bool]:
    from .operations.exporting import rows_to_export

    records = rows_to_export(activity, options).count()
    return records, connector.write_calls(records) if records else 0, True


def _import_deleted(activity, options, connector, counted: bool) -> tuple[int, int, bool]:
    return 0, connector.deleted_calls(), False


def _delete(activity, options, connector, counted: bool) -> tuple[int, int, bool]:
    from .operations.deletions import rows_to_delete

    records = rows_to_delete(model_for(activity.schema), activity.schema, options).count()
    return records, connector.delete_calls(records) if records else 0, True


_FORECASTS = {Operation.IMPORT: _import, Operation.EXPORT: _export, Operation.IMPORT_DELETED: _import_deleted,
              Operation.DELETE: _delete}


# --- before and during a run ------------------------------------------------------
def assess(run: Run) -> Verdict:
    """Forecast the run, store it, and say whether it may start."""
    workflow = run.workflow
    try:
        with sessions.connector_for(run) as connector:
            plan, budget = _planned(workflow, connector, counted=None)
    except ApiLimitReached as exc:
        return Verdict("stop", f"stopped: API budget: {exc}")
    except ConnectorError as exc:
        logger.warning("run %s: no forecast (%s); the run is not held by the budget", run.pk, exc)
        return Verdict("go", f"no forecast, the CRM answered: {exc}")
    except activity_options.OptionsError as exc:
        # The activity itself fails with this message, where the person looks for it.
        return Verdict("go", f"no forecast: {exc}")
    plan["budget"] = budget.as_dict() if budget else None
    Run.objects.filter(pk=run.pk).update(forecast=plan, forecast_calls=plan["calls"])
    if budget is None:
        return Verdict("go", f"forecast {plan['calls']} API call(s); no daily allocation known, so no budget applies")
    return decide(workflow.priority, plan["calls"], budget, plan["calls_after_budget"])


def _planned(workflow, connector, counted: bool | None, writing: bool = True) -> tuple[dict, Budget | None]:
    """Open the session (sign-in, descriptions: calls the run makes anyway), read the
    budget (from the answers' headers where the CRM sends it), then forecast;
    `counted` None: count only if the budget is near (needs_counts)."""
    start = connector.api_usage().calls
    open_session(list(workflow.activities.select_related("schema")), connector, writing)
    budget = read_budget(workflow.account, connector)
    read_at = connector.api_usage().calls
    if counted is None:
        counted = needs_counts(workflow, connector, budget)
    plan = forecast(workflow, connector, counted, writing)
    plan["calls_spent"] = connector.api_usage().calls - start
    plan["calls_after_budget"] = connector.api_usage().calls - read_at
    return plan, budget


def decide(priority: str, calls: int, budget: Budget, spent_since: int = 0) -> Verdict:
    """`spent_since`: calls made after the budget was read (the forecast's counts)."""
    remaining = max(0, budget.remaining - spent_since)
    allowed = int(remaining * PORTION[Priority(priority)])
    figures = (f"forecast {calls} API call(s); the budget has {remaining} of {budget.total} left "
               f"({budget.share}% of {budget.limit} a day, {budget.used} used; {budget.source}); "
               f"a {priority}-priority run may take {allowed}")
    if calls <= allowed:
        return Verdict("go", figures, allowed)
    if priority == Priority.LOW:
        return Verdict("wait", f"waiting: API budget: {figures}")
    return Verdict("stop", f"stopped: API budget: {figures}")


def spent_by_run(run: Run, exclude_position: int | None = None) -> int:
    activity_runs = ActivityRun.objects.filter(run=run)
    if exclude_position is not None:
        activity_runs = activity_runs.exclude(position=exclude_position)
    return activity_runs.aggregate(n=Sum("api_calls"))["n"] or 0


def waited_too_long(run: Run) -> bool:
    return timezone.now() - run.created_at > MAX_WAIT


def record_forecast(run: Run) -> None:
    """A dry run's forecast: stored, never holding the run (it only reads)."""
    try:
        plan = preview(run.workflow, writing=False)
    except (ConnectorError, activity_options.OptionsError) as exc:
        logger.warning("run %s: no forecast (%s)", run.pk, exc)
        return
    Run.objects.filter(pk=run.pk).update(forecast=plan, forecast_calls=plan["calls"])


def preview(workflow, writing: bool = True) -> dict:
    """What the next run would cost and what the budget allows (for the pages): the
    records counted, whatever the budget."""
    with workflow.account.connector() as connector:
        plan, budget = _planned(workflow, connector, counted=True, writing=writing)
    plan["budget"] = budget.as_dict() if budget else None
    plan["verdict"] = (decide(workflow.priority, plan["calls"], budget, plan["calls_after_budget"]).message
                       if budget else None)
    return plan


__all__ = ["BudgetExhausted", "assess", "decide", "forecast", "preview", "read_budget"]
