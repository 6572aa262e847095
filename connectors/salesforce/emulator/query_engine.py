"""Runs SOQL against the store and pages the results: the matching rows are fixed
when the query starts (a cursor), and pages are served from the cursor the way
`nextRecordsUrl` serves them."""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass

from . import values
from .soql_parser import parse
from .soql_sql import Compiler, Plan
from .store import Store

MAX_CURSORS = 500


@dataclass
class Cursor:
    plan: Plan
    rowids: list[int]
    all_rows: bool


class QueryEngine:
    def __init__(self, store: Store):
        self.store = store
        self.cursors: OrderedDict[str, Cursor] = OrderedDict()
        self._lock = threading.Lock()

    def plan(self, soql: str, include_deleted: bool) -> Plan:
        return Compiler(self.store.schema, parse(soql), soql, self.store.clock.now()).compile(include_deleted)

    def matching_rowids(self, plan: Plan) -> list[int]:
        sql = f"SELECT t.rowid FROM {plan.from_sql} WHERE {plan.where_sql}{plan.order_sql}{plan.limit_sql}"
        return [row[0] for row in self.store.query(sql, plan.params)]

    def count(self, plan: Plan) -> int:
        sql = f"SELECT COUNT(*) FROM (SELECT t.rowid FROM {plan.from_sql} WHERE {plan.where_sql}{plan.limit_sql})"
        return self.store.query(sql, plan.params)[0][0]

    # --- REST query ----------------------------------------------------------------
    def start(self, soql: str, include_deleted: bool, batch_size: int, version: str) -> dict:
        plan = self.plan(soql, include_deleted)
        if plan.count:
            return {"totalSize": self.count(plan), "done": True, "records": []}
        cursor = Cursor(plan, self.matching_rowids(plan), include_deleted)
        locator = self._remember(cursor)
        return self.page(locator, 0, batch_size, version)

    def page(self, locator: str, position: int, batch_size: int, version: str) -> dict:
        cursor = self.cursors.get(locator)
        if cursor is None:
            raise KeyError(locator)
        chunk = cursor.rowids[position : position + batch_size]
        done = position + len(chunk) >= len(cursor.rowids)
        # Cursors stay readable after the last page (two days since API v56), so a
        # client may fetch a page again; the oldest are forgotten past MAX_CURSORS.
        body = {"totalSize": len(cursor.rowids), "done": done}
        if not done:
            endpoint = "queryAll" if cursor.all_rows else "query"
            body["nextRecordsUrl"] = f"/services/data/v{version}/{endpoint}/{locator}-{position + len(chunk)}"
        body["records"] = self.records_json(cursor.plan, chunk, version)
        return body

    def _remember(self, cursor: Cursor) -> str:
        locator = "01g" + secrets.token_hex(8)[:15]
        with self._lock:
            self.cursors[locator] = cursor
            while len(self.cursors) > MAX_CURSORS:
                self.cursors.popitem(last=False)
        return locator

    # --- rows ----------------------------------------------------------------------
    def fetch_rows(self, plan: Plan, rowids: list[int]) -> list[tuple]:
        """Rows for `rowids` in that order: (Id, parent Ids..., selected values...)."""
        if not rowids:
            return []
        parent_ids = [f"{alias}.Id" for alias, _, _ in _joins(plan)]
        select = ", ".join(["t.rowid", "t.Id", *parent_ids, *(c.sql for c in plan.columns)])
        by_rowid = {}
        for start in range(0, len(rowids), 5000):
            chunk = rowids[start : start + 5000]
            sql = f"SELECT {select} FROM {plan.from_sql} WHERE t.rowid IN ({', '.join('?' * len(chunk))})"
            by_rowid.update((row[0], row[1:]) for row in self.store.query(sql, chunk))
        return [by_rowid[rowid] for rowid in rowids if rowid in by_rowid]

    def records_json(self, plan: Plan, rowids: list[int], version: str) -> list[dict]:
        return [record_json(plan, row, version) for row in self.fetch_rows(plan, rowids)]


def _joins(plan: Plan) -> list[tuple[str, str, object]]:
    """(alias, relationship, parent object) in join order, as the compiler named them."""
    return [(f"p{index}", name, parent) for index, (name, parent) in enumerate(plan.parents.items())]


def attributes(object_name: str, record_id: str, version: str) -> dict:
    return {"type": object_name, "url": f"/services/data/v{version}/sobjects/{object_name}/{record_id}"}


def record_json(plan: Plan, row: tuple, version: str) -> dict:
    joins = _joins(plan)
    record_id, parent_ids, selected = row[0], row[1 : 1 + len(joins)], row[1 + len(joins) :]
    record = {"attributes": attributes(plan.obj.name, record_id, version)}
    parents = {name: parent_ids[index] for index, (_, name, _) in enumerate(joins)}
    for column, stored in zip(plan.columns, selected):
        if column.relationship is None:
            record[column.field.name] = values.to_json(column.field, stored)
            continue
        parent_id = parents[column.relationship]
        if parent_id is None:
            record[column.relationship] = None
            continue
        parent = record.setdefault(column.relationship, {"attributes": attributes(plan.parents[column.relationship].name, parent_id, version)})
        parent[column.field.name] = values.to_json(column.field, stored)
    return record
