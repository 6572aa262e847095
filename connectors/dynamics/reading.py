"""Reading records and deletions. Pages of up to 5,000 rows (Prefer:
odata.maxpagesize) following @odata.nextLink; incremental reads by change tracking
(the @odata.deltaLink is the cursor) where the entity has it and the request allows
it, otherwise by modifiedon with an overlap; deletions from delta links."""

from __future__ import annotations

import logging
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timedelta

from connectors.errors import InvalidRequest, ReplicationWindowExceeded
from connectors.types import Condition, DeletedPage, DeletedRecord, Op, Page, ReadRequest

from .client import MAX_PAGE_SIZE, DataverseClient
from .entities import MODIFIED_ON, EntityInfo
from .odata import FilterBuilder, select
from .records import from_wire, read_records

logger = logging.getLogger("crmsync.connectors.dynamics")
# A Dataverse operation may run up to 2 minutes and modifiedon is only to the second,
# so a row can appear with a stamp older than the last one seen: re-read that much.
OVERLAP = timedelta(minutes=2)
IDS_PER_QUERY = 100
DELETED_CONTEXT = "/$deletedEntity"


class Reader:
    def __init__(self, client: DataverseClient, entity: EntityInfo):
        self.client = client
        self.entity = entity

    # --- records ---------------------------------------------------------------
    def read(self, request: ReadRequest) -> Iterator[Page]:
        fields = self._fields(request.fields)
        page_size = min(request.page_size or MAX_PAGE_SIZE, MAX_PAGE_SIZE)
        if request.ids is not None:
            yield from self._read_ids(request, fields, page_size)
        elif self._use_change_tracking(request):
            yield from self._read_tracked(request, fields, page_size)
        else:
            yield from self._read_filtered(request, fields, page_size, self._conditions(request))

    def _fields(self, names: tuple[str, ...]) -> tuple[str, ...]:
        for name in names:
            self.entity.attribute(name)
        return tuple(name for name in names if name != self.entity.primary_id)

    def _selection(self, fields: tuple[str, ...]) -> str:
        extra = [MODIFIED_ON] if self.entity.has_modified_on and MODIFIED_ON not in fields else []
        return ",".join(filter(None, [self.entity.primary_id, select([*fields, *extra], self.entity.attributes)]))

    def _use_change_tracking(self, request: ReadRequest) -> bool:
        if not self.entity.change_tracking or request.conditions:
            return False
        return request.cursor is not None or request.since is None

    def _conditions(self, request: ReadRequest) -> tuple[Condition, ...]:
        if request.since is None or not self.entity.has_modified_on:
            return request.conditions
        return (*request.conditions, Condition(MODIFIED_ON, Op.GE, request.since - OVERLAP))

    def count(self, request: ReadRequest) -> int:
        """$count of the read (Dataverse stops counting at 5,000: a lower bound then)."""
        if request.ids is not None:
            return len(request.ids)
        params = {"$select": self.entity.primary_id, "$count": "true", "$top": "1"}
        conditions = self._conditions(request)
        if conditions:
            params["$filter"] = FilterBuilder(self.entity.name, self.entity.attributes).build(conditions)
        url = f"{self.client.api_url}/{self.entity.set_name}?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        return int(self.client.get_json(url).get("@odata.count", 0))

    def stamp_bounds(self, request: ReadRequest) -> tuple[datetime, datetime] | None:
        """Two one-row queries: the first and the last modifiedon in the read."""
        if not self.entity.has_modified_on:
            return None
        ends = [self._edge(request, "asc"), self._edge(request, "desc")]
        return None if None in ends else (ends[0], ends[1])

    def _edge(self, request: ReadRequest, direction: str) -> datetime | None:
        params = {"$select": MODIFIED_ON, "$orderby": f"{MODIFIED_ON} {direction}", "$top": "1"}
        conditions = self._conditions(request)
        if conditions:
            params["$filter"] = FilterBuilder(self.entity.name, self.entity.attributes).build(conditions)
        url = f"{self.client.api_url}/{self.entity.set_name}?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        rows = self.client.get_json(url).get("value", [])
        return from_wire(self.entity.attributes[MODIFIED_ON], rows[0].get(MODIFIED_ON)) if rows else None

    def _read_filtered(self, request: ReadRequest, fields, page_size: int, conditions) -> Iterator[Page]:
        params = {"$select": self._selection(fields)}
        if conditions:
            params["$filter"] = FilterBuilder(self.entity.name, self.entity.attributes).build(conditions)
        if self.entity.has_modified_on:
            params["$orderby"] = f"{MODIFIED_ON} asc,{self.entity.primary_id} asc"
        url = f"{self.client.api_url}/{self.entity.set_name}?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote)
        yield from self._pages(url, fields, page_size, tracking=False)

    def _read_ids(self, request: ReadRequest, fields, page_size: int) -> Iterator[Page]:
        ids = list(request.ids)
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = Condition(self.entity.primary_id, Op.IN, ids[start:start + IDS_PER_QUERY])
            yield from self._read_filtered(request, fields, page_size, (*request.conditions, chunk))

    def _read_tracked(self, request: ReadRequest, fields, page_size: int) -> Iterator[Page]:
        selection = self._selection(fields)
        url = request.cursor if self._cursor_matches(request.cursor, selection) else None
        if request.cursor and url is None:
            logger.info("the delta link of %s does not match the fields read; reading everything again", self.entity.name)
        try:
            yield from self._pages(url or self._initial_url(selection), fields, page_size, tracking=True)
        except ReplicationWindowExceeded:
            logger.warning("the delta token of %s has expired; reading everything again", self.entity.name)
            yield from self._pages(self._initial_url(selection), fields, page_size, tracking=True)

    def _initial_url(self, selection: str) -> str:
        return f"{self.client.api_url}/{self.entity.set_name}?$select={selection}"

    def _cursor_matches(self, cursor: str | None, selection: str) -> bool:
        if not cursor or not cursor.startswith(f"{self.client.api_url}/{self.entity.set_name}?"):
            return False
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(cursor).query)
        return "$deltatoken" in query and query.get("$select", [""])[0].split(",") == selection.split(",")

    def _pages(self, url: str, fields, page_size: int, tracking: bool) -> Iterator[Page]:
        """Pages in order; `cursor` is the next page's link, `bookmark` the delta link on
        the last page. A tracked read is not ordered by modifiedon, so its watermark is
        only given on its last page."""
        prefer = f"odata.maxpagesize={page_size}" + (",odata.track-changes" if tracking else "")
        highest = None
        while url:
            body = self.client.get_json(url, headers={"Prefer": prefer})
            rows = [row for row in body.get("value", ()) if DELETED_CONTEXT not in row.get("@odata.context", "")]
            records = read_records(self.entity, rows, fields)
            highest = self._watermark(rows, highest, records.columns.get(MODIFIED_ON))
            url = body.get("@odata.nextLink")
            watermark = None if tracking and url else highest
            yield Page(records, watermark=watermark, cursor=url, bookmark=body.get("@odata.deltaLink"))

    def _watermark(self, rows: list[dict], current: datetime | None, read: list | None = None) -> datetime | None:
        """The highest modifiedon so far; `read` is the page's modifiedon values when
        they were read with its records already."""
        if not self.entity.has_modified_on:
            return current
        stamps = read if read is not None else [from_wire(self.entity.attributes[MODIFIED_ON], row.get(MODIFIED_ON))
                                                for row in rows]
        return max([stamp for stamp in stamps if stamp] + ([current] if current else []), default=None)

    def list_ids(self) -> Iterator[list[str]]:
        """Only the primary id, in pages of 5,000 (the largest Dataverse serves)."""
        url = f"{self.client.api_url}/{self.entity.set_name}?$select={self.entity.primary_id}"
        while url:
            body = self.client.get_json(url, headers={"Prefer": f"odata.maxpagesize={MAX_PAGE_SIZE}"})
            yield [row[self.entity.primary_id] for row in body.get("value", ())]
            url = body.get("@odata.nextLink")

    # --- deletions -------------------------------------------------------------
    def read_deleted(self, since: datetime | str | None) -> Iterator[DeletedPage]:
        if not self.entity.change_tracking:
            yield self._untracked(since)
            return
        if isinstance(since, str) and since:
            yield from self._follow_deletions(since)
            return
        detail = "" if since is None else ("change tracking starts now: deletions before this run can't be listed "
                                           "from a date; reconcile ids with a full read once")
        yield DeletedPage([], watermark=self._baseline(), complete=since is None, detail=detail)

    def _untracked(self, since) -> DeletedPage:
        return DeletedPage([], watermark=since, complete=False, detail=(
            f"Deletions cannot be detected for the Dynamics 365 entity '{self.entity.name}': change tracking is "
            f"not enabled for it (ChangeTrackingEnabled is false). Turn on 'Track changes' for the table in "
            f"Power Apps, or reconcile record ids with a full read."))

    def _baseline(self) -> str:
        """A fresh delta link, after paging through the ids (the only way to get one)."""
        url, link = self._initial_url(self.entity.primary_id), None
        while url:
            body = self.client.get_json(url, headers={"Prefer": f"odata.maxpagesize={MAX_PAGE_SIZE},odata.track-changes"})
            url, link = body.get("@odata.nextLink"), body.get("@odata.deltaLink")
        return link

    def _follow_deletions(self, delta_link: str) -> Iterator[DeletedPage]:
        self._check_delta_link(delta_link)
        url = delta_link
        try:
            while url:
                body = self.client.get_json(url, headers={"Prefer": f"odata.maxpagesize={MAX_PAGE_SIZE},odata.track-changes"})
                deleted = [DeletedRecord(row["id"]) for row in body.get("value", ())
                           if DELETED_CONTEXT in row.get("@odata.context", "")]
                url = body.get("@odata.nextLink")
                yield DeletedPage(deleted, watermark=body.get("@odata.deltaLink") if not url else delta_link)
        except ReplicationWindowExceeded as exc:
            yield DeletedPage([], watermark=self._baseline(), complete=False,
                              detail=f"{exc}; change tracking restarted now, so reconcile record ids with a full read")

    def _check_delta_link(self, link: str) -> None:
        if not link.startswith(f"{self.client.api_url}/{self.entity.set_name}?") or "$deltatoken=" not in link:
            raise InvalidRequest(f"the watermark is not a delta link of {self.entity.set_name}")
