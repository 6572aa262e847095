"""Compiles a parsed SOQL query into SQL over the store's tables: field names are
resolved against the schema (parent fields become LEFT JOINs), literals become
bound parameters in the stored form of the field they are compared with."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

from . import ids
from .schema import FieldDef, ObjectDef, Schema
from .soql_parser import BoolOp, Compare, Includes, InList, Like, Literal, Not, Query, SoqlError
from .store import quoted
from .values import format_datetime, parse_datetime

SQL_OPS = {"=": "IS", "!=": "IS NOT", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


@dataclass
class Column:
    path: str  # as selected, e.g. "Account.Name"
    relationship: str | None  # e.g. "Account", None for the object's own field
    field: FieldDef
    sql: str


@dataclass
class Plan:
    obj: ObjectDef
    columns: list[Column]
    count: bool
    from_sql: str
    where_sql: str
    params: list
    order_sql: str
    limit_sql: str
    parents: dict[str, ObjectDef] = field(default_factory=dict)


class Compiler:
    def __init__(self, schema: Schema, query: Query, soql: str, now: datetime):
        self.schema, self.query, self.soql, self.now = schema, query, soql, now
        self.obj = schema.get(query.sobject)
        if self.obj is None:
            raise SoqlError("INVALID_TYPE", self._no_type_message(), soql, query.sobject_pos)
        self.joins: dict[str, tuple[str, ObjectDef]] = {}
        self.params: list = []

    def _no_type_message(self) -> str:
        return (f"sObject type '{self.query.sobject}' is not supported. If you are attempting to use a custom object, "
                "be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call "
                "for the appropriate names.")

    # --- names -------------------------------------------------------------------
    def resolve(self, path: str, pos: int) -> tuple[str, FieldDef, str | None]:
        """(SQL expression, field, relationship name) of a possibly dotted path."""
        parts = path.split(".")
        if len(parts) > 1 and parts[0].lower() == self.obj.name.lower():
            parts = parts[1:]  # "Contact.Email" on Contact is allowed
        if len(parts) == 1:
            return f"t.{quoted(self.field_of(self.obj, parts[0], pos).name)}", self.field_of(self.obj, parts[0], pos), None
        if len(parts) == 2:
            alias, parent, relationship = self.join(parts[0], pos)
            f = self.field_of(parent, parts[1], pos)
            return f"{alias}.{quoted(f.name)}", f, relationship
        raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{'.'.join(parts[:-1])}' in field path.", self.soql, pos)

    def field_of(self, obj: ObjectDef, name: str, pos: int) -> FieldDef:
        f = obj.field(name)
        if f is None:
            raise SoqlError("INVALID_FIELD", (
                f"No such column '{name}' on entity '{obj.name}'. If you are attempting to use a custom field, be sure "
                "to append the '__c' after the custom field name. Please reference your WSDL or the describe call for "
                "the appropriate names."), self.soql, pos)
        return f

    def join(self, relationship: str, pos: int) -> tuple[str, ObjectDef, str]:
        ref = next((f for f in self.obj.fields if f.relationship_name and f.relationship_name.lower() == relationship.lower()), None)
        if ref is None:
            raise SoqlError("INVALID_FIELD", f"Didn't understand relationship '{relationship}' in field path. If you are "
                            "attempting to use a custom relationship, be sure to append the '__r' after the custom "
                            "relationship name.", self.soql, pos)
        if ref.relationship_name not in self.joins:
            self.joins[ref.relationship_name] = (f"p{len(self.joins)}", self.schema.get(ref.reference_to[0]), ref)
        alias, parent, _ = self.joins[ref.relationship_name]
        return alias, parent, ref.relationship_name

    # --- clauses -----------------------------------------------------------------
    def compile(self, include_deleted: bool) -> Plan:
        columns = [self.column(name, pos) for name, pos in self.query.fields]
        where = self.condition(self.query.where) if self.query.where is not None else "1"
        if not include_deleted:
            where = f"t.IsDeleted = 0 AND ({where})"
        order = ", ".join(self.order_term(item) for item in self.query.order)
        from_sql = f"{quoted(self.obj.name)} t" + "".join(
            f" LEFT JOIN {quoted(parent.name)} {alias} ON {alias}.Id = t.{quoted(ref.name)}"
            for alias, parent, ref in self.joins.values()
        )
        parents = {name: parent for name, (_, parent, _) in self.joins.items()}
        return Plan(self.obj, columns, self.query.count, from_sql, where, self.params,
                    f" ORDER BY {order}" if order else "", self.limit_clause(), parents)

    def column(self, path: str, pos: int) -> Column:
        sql, f, relationship = self.resolve(path, pos)
        return Column(path if relationship is None else f"{relationship}.{f.name}", relationship, f, sql)

    def order_term(self, item) -> str:
        sql, _, _ = self.resolve(item.field, item.pos)
        term = f"{sql} {'DESC' if item.descending else 'ASC'}"
        if item.nulls_last is not None:
            term += " NULLS LAST" if item.nulls_last else " NULLS FIRST"
        return term

    def limit_clause(self) -> str:
        if self.query.limit is None and self.query.offset is None:
            return ""
        limit = -1 if self.query.limit is None else self.query.limit
        return f" LIMIT {int(limit)} OFFSET {int(self.query.offset or 0)}"

    def condition(self, node) -> str:
        if isinstance(node, BoolOp):
            return "(" + f" {node.op} ".join(self.condition(item) for item in node.items) + ")"
        if isinstance(node, Not):
            return f"NOT ({self.condition(node.item)})"
        if isinstance(node, Compare):
            return self.compare(node)
        if isinstance(node, InList):
            return self.in_list(node)
        if isinstance(node, Like):
            return self.like(node)
        return self.includes(node)

    def compare(self, node: Compare) -> str:
        sql, f, _ = self.resolve(node.field, node.pos)
        if node.value.kind == "date_constant":
            return self.date_range(sql, f, node)
        if node.value.kind == "null" and node.op not in ("=", "!="):
            raise SoqlError("MALFORMED_QUERY", "invalid operator on null", self.soql, node.pos)
        self.params.append(self.bind(f, node.value, node.pos))
        return f"{sql} {SQL_OPS[node.op]} ?"

    def in_list(self, node: InList) -> str:
        sql, f, _ = self.resolve(node.field, node.pos)
        self.params.extend(self.bind(f, value, node.pos) for value in node.values)
        return f"{sql} {'NOT IN' if node.negate else 'IN'} ({', '.join('?' * len(node.values))})"

    def like(self, node: Like) -> str:
        sql, f, _ = self.resolve(node.field, node.pos)
        if node.pattern.kind != "string":
            raise SoqlError("MALFORMED_QUERY", "LIKE operator only valid on string field", self.soql, node.pos)
        self.params.append(like_pattern(node.pattern.raw))
        return f"{sql} LIKE ? ESCAPE '\\'"

    def includes(self, node: Includes) -> str:
        sql, f, _ = self.resolve(node.field, node.pos)
        if f.type != "multipicklist":
            raise SoqlError("INVALID_FIELD", "includes or excludes operator only valid on multipicklist field", self.soql, node.pos)
        self.params.append("|".join(str(value.value) for value in node.values))
        test = f"sf_includes({sql}, ?)"
        return f"NOT {test}" if node.negate else test

    # --- literals ----------------------------------------------------------------
    def bind(self, f: FieldDef, value: Literal, pos: int):
        if value.kind == "null":
            return None
        try:
            return bind_value(f, value)
        except (ValueError, TypeError):
            raise SoqlError("INVALID_FIELD", f"value of filter criterion for field '{f.name}' must be of type "
                            f"{f.type} and should not be enclosed in quotes" if value.kind == "string" and f.type not in
                            TEXTUAL else f"value of filter criterion for field '{f.name}' must be of type {f.type} "
                            "and should be enclosed in quotes", self.soql, pos) from None

    def date_range(self, sql: str, f: FieldDef, node: Compare) -> str:
        start, end = constant_range(node.value.value, self.now.date())
        low, high = (start.isoformat(), end.isoformat()) if f.type == "date" else (
            format_datetime(datetime.combine(start, time(), timezone.utc)), format_datetime(datetime.combine(end, time(), timezone.utc)))
        bounds = {"=": f"({sql} >= ? AND {sql} < ?)", "!=": f"NOT ({sql} >= ? AND {sql} < ?)", "<": f"{sql} < ?",
                  "<=": f"{sql} < ?", ">": f"{sql} >= ?", ">=": f"{sql} >= ?"}
        self.params.extend({"=": [low, high], "!=": [low, high], "<": [low], "<=": [high], ">": [high], ">=": [low]}[node.op])
        return bounds[node.op]


TEXTUAL = frozenset({"string", "email", "phone", "url", "textarea", "picklist", "multipicklist", "combobox", "id", "reference"})


def bind_value(f: FieldDef, value: Literal):
    """The stored form of a literal compared with `f`; ValueError on a type mismatch."""
    if f.type in TEXTUAL:
        if value.kind != "string":
            raise ValueError(value)
        return ids.normalize(value.value) or value.value if f.type in ("id", "reference") else value.value
    if f.type == "boolean":
        if value.kind != "boolean":
            raise ValueError(value)
        return int(value.value)
    if f.type in ("double", "currency", "percent", "int"):
        if value.kind != "number":
            raise ValueError(value)
        return value.value
    if f.type == "date" and value.kind == "date":
        return date.fromisoformat(value.value).isoformat()
    if f.type == "datetime" and value.kind == "datetime":
        return format_datetime(parse_datetime(value.value))
    raise ValueError(value)


def constant_range(constant: str, today: date) -> tuple[date, date]:
    """[start, end) days of a date literal such as TODAY or LAST_N_DAYS:30."""
    name, _, count = constant.partition(":")
    day = timedelta(days=1)
    ranges = {
        "TODAY": (today, today + day), "YESTERDAY": (today - day, today), "TOMORROW": (today + day, today + 2 * day),
        "LAST_N_DAYS": (today - int(count or 0) * day, today + day), "NEXT_N_DAYS": (today + day, today + (int(count or 0) + 1) * day),
    }
    return ranges[name]


def like_pattern(raw: str) -> str:
    r"""A SQLite LIKE pattern (ESCAPE '\') from a raw quoted SOQL string: \% and \_
    stay literal, other escapes become their character."""
    body, out, index = raw[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        following = body[index + 1]
        if following in "%_\\":
            out.append("\\" + following)
        else:
            out.append({"n": "\n", "r": "\r", "t": "\t", "'": "'", '"': '"'}.get(following, following))
        index += 2
    return "".join(out)


def sf_includes(stored: str | None, spec: str) -> int:
    """INCLUDES: any of the ';'-separated value groups is wholly selected."""
    if not stored:
        return 0
    selected = {item.lower() for item in stored.split(";")}
    groups = [{item.strip().lower() for item in group.split(";")} for group in spec.split("|")]
    return int(any(group <= selected for group in groups))
