"""Entity-set queries: $select, $filter, $orderby, $top, $count, paging with
Prefer: odata.maxpagesize and @odata.nextLink, and change tracking (Prefer:
odata.track-changes, @odata.deltaLink, $deletedEntity entries)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import CHANGE_TRACKING_NOT_ENABLED, EXPIRED_DELTA_TOKEN, DataverseError, bad_request
from .filter_sql import column, compile_filter, resolve
from .metadata import EntityDef
from .odata_parser import parse_filter
from .protocol import Preferences, json_response, make_skiptoken, read_skiptoken, with_query
from .rendering import context_url, parse_select, render_row
from .store import Store
from .values import from_micros

COUNT_LIMIT = 5000


@dataclass
class QueryContext:
    store: Store
    base: str  # https://host:port/api/data/v9.2
    entity: EntityDef
    args: dict
    prefer: Preferences
    page_size_asked: bool
    oldest_delta_version: int = 0

    @property
    def collection_url(self) -> str:
        return f"{self.base}/{self.entity.set_name}"

    def names(self, target: str, record_id: str) -> str | None:
        return self.store.display_name(target, record_id)


def query_collection(ctx: QueryContext):
    tracking = ctx.prefer.track_changes or "$deltatoken" in ctx.args
    if tracking and not ctx.entity.change_tracking:
        raise DataverseError(400, CHANGE_TRACKING_NOT_ENABLED, f"Entity {ctx.entity.name} isn't enabled for change tracking.")
    if "$deltatoken" in ctx.args:
        return delta_page(ctx)
    if tracking and any(option in ctx.args for option in ("$filter", "$orderby", "$top", "$expand")):
        raise bad_request("Change tracking queries can't use $filter, $orderby, $expand or $top.")
    return query_page(ctx, tracking)


def _headers(ctx: QueryContext) -> dict:
    applied = ctx.prefer.applied(ctx.page_size_asked)
    return {"Preference-Applied": applied} if applied else {}


def query_page(ctx: QueryContext, tracking: bool):
    selected = parse_select(ctx.entity, ctx.args.get("$select"))
    where, params = _where(ctx)
    cookie = read_skiptoken(ctx.args["$skiptoken"]) if "$skiptoken" in ctx.args else {"page": 1}
    snapshot = cookie.get("snapshot", ctx.store.version)
    rows, more = _fetch(ctx, where, params, cookie)
    body = {"@odata.context": context_url(ctx.base, ctx.entity, ctx.args.get("$select")),
            "value": [render_row(ctx.entity, row, selected, ctx.prefer.annotations, ctx.names) for row in rows]}
    if ctx.args.get("$count") == "true":
        body["@odata.count"] = min(ctx.store.count(ctx.entity, where, params), COUNT_LIMIT)
    if more:
        body["@odata.nextLink"] = _next_link(ctx, cookie, rows, snapshot)
    elif tracking:
        body["@odata.deltaLink"] = _delta_link(ctx, snapshot)
    return json_response(body, headers=_headers(ctx))


def _where(ctx: QueryContext) -> tuple[str, list]:
    if not ctx.args.get("$filter"):
        return "", []
    return compile_filter(parse_filter(ctx.args["$filter"]), ctx.entity)


def _fetch(ctx: QueryContext, where: str, params: list, cookie: dict) -> tuple[list[dict], bool]:
    """One page; one row more than the page is read to know whether another follows."""
    if "$top" in ctx.args:
        top = _top(ctx.args["$top"])
        return ctx.store.select(ctx.entity, where, params, _order(ctx), limit=min(top, ctx.prefer.max_page_size)), False
    size = ctx.prefer.max_page_size
    if "$orderby" in ctx.args:
        rows = ctx.store.select(ctx.entity, where, params, _order(ctx), limit=size + 1, offset=cookie.get("offset", 0))
    else:
        keyset = '"_rowid" > ?'
        where = f"({where}) AND {keyset}" if where else keyset
        rows = ctx.store.select(ctx.entity, where, [*params, cookie.get("after", 0)], limit=size + 1)
    return rows[:size], len(rows) > size


def _top(text: str) -> int:
    if not text.isdigit():
        raise bad_request(f"The value '{text}' of $top is not valid.")
    return int(text)


def _order(ctx: QueryContext) -> str:
    terms = []
    for term in (part.strip() for part in ctx.args.get("$orderby", "").split(",") if part.strip()):
        name, _, direction = term.partition(" ")
        direction = direction.strip().lower() or "asc"
        if direction not in ("asc", "desc"):
            raise bad_request(f"The $orderby direction '{direction}' is not valid.")
        terms.append(f"{column(resolve(ctx.entity, name).name)} {direction.upper()}")
    return ", ".join([*terms, '"_rowid"'])


def _next_link(ctx: QueryContext, cookie: dict, rows: list[dict], snapshot: int) -> str:
    page = cookie.get("page", 1) + 1
    state = {"page": page, "snapshot": snapshot}
    if "$orderby" in ctx.args:
        state["offset"] = cookie.get("offset", 0) + len(rows)
    else:
        state["after"] = rows[-1]["_rowid"]
    params = {key: value for key, value in ctx.args.items() if key != "$skiptoken"}
    return with_query(ctx.collection_url, {**params, "$skiptoken": make_skiptoken(state, page)})


def _delta_link(ctx: QueryContext, version: int) -> str:
    params = {key: value for key, value in ctx.args.items() if key in ("$select",)}
    stamp = from_micros(ctx.store.clock).strftime("%m/%d/%Y %H:%M:%S")
    return with_query(ctx.collection_url, {**params, "$deltatoken": f"{version}!{stamp}"})


# --- change tracking: following a delta link -----------------------------------
def delta_page(ctx: QueryContext):
    token = _delta_version(ctx, ctx.args["$deltatoken"])
    selected = parse_select(ctx.entity, ctx.args.get("$select"))
    cookie = read_skiptoken(ctx.args["$skiptoken"]) if "$skiptoken" in ctx.args else {"page": 1}
    snapshot = cookie.get("snapshot", ctx.store.version)
    entries, next_state = _delta_entries(ctx, token, snapshot, cookie, selected)
    body = {"@odata.context": context_url(ctx.base, ctx.entity, ctx.args.get("$select"), "/$delta"), "value": entries}
    if next_state:
        params = {key: value for key, value in ctx.args.items() if key != "$skiptoken"}
        body["@odata.nextLink"] = with_query(ctx.collection_url, {**params, "$skiptoken": make_skiptoken(
            next_state, next_state["page"])})
    else:
        body["@odata.deltaLink"] = _delta_link(ctx, snapshot)
    return json_response(body, headers=_headers(ctx))


def _delta_version(ctx: QueryContext, token: str) -> int:
    head = token.split("!", 1)[0]
    if not head.isdigit():
        raise bad_request("The $deltatoken is not valid.")
    if int(head) < ctx.oldest_delta_version:
        raise DataverseError(400, EXPIRED_DELTA_TOKEN,
                             "The delta token has expired: changes are kept for a limited time. "
                             "Re-initialize change tracking with a request without a delta token.")
    return int(head)


def _delta_entries(ctx: QueryContext, token: int, snapshot: int, cookie: dict, selected) -> tuple[list, dict | None]:
    """Changed rows first, then deletions, each in version order, one page at a time."""
    size, entries = ctx.prefer.max_page_size, []
    phase, last = cookie.get("phase", "changed"), cookie.get("last", token)
    if phase == "changed":
        rows = ctx.store.select(ctx.entity, '"versionnumber" > ? AND "versionnumber" <= ?', [last, snapshot],
                                '"versionnumber"', limit=size + 1)
        entries = [render_row(ctx.entity, row, selected, ctx.prefer.annotations, ctx.names) for row in rows[:size]]
        if len(rows) > size:
            return entries, {"page": cookie.get("page", 1) + 1, "snapshot": snapshot, "phase": "changed",
                             "last": rows[size - 1]["versionnumber"]}
        phase, last = "deleted", token
    deleted = ctx.store.deletions(ctx.entity, last, snapshot, size - len(entries) + 1)
    room = size - len(entries)
    entries += [_deleted_entry(ctx, record_id) for _, record_id in deleted[:room]]
    if len(deleted) > room:
        return entries, {"page": cookie.get("page", 1) + 1, "snapshot": snapshot, "phase": "deleted",
                         "last": deleted[room - 1][0] if room else token}
    return entries, None


def _deleted_entry(ctx: QueryContext, record_id: str) -> dict:
    return {"@odata.context": f"{ctx.base}/$metadata#{ctx.entity.set_name}/$deletedEntity", "id": record_id,
            "reason": "deleted"}
