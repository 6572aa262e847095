"""Compile a parsed $filter into a parameterised SQLite WHERE clause for one entity.
Property names are resolved against the entity's metadata (lookups as _x_value),
literals are converted to the stored form, and nothing from the query text is ever
spliced into the SQL."""

from __future__ import annotations

from datetime import date

from .errors import bad_request, unknown_property
from .metadata import AttributeDef, EntityDef
from .odata_parser import Call, Compare, Lit, Logical, Not, Prop
from .values import micros, parse_datetime

_SQL_OPS = {"eq": "=", "ne": "!=", "gt": ">", "ge": ">=", "lt": "<", "le": "<="}
_TEXT_TYPES = ("String", "Memo")


def column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compile_filter(tree, entity: EntityDef) -> tuple[str, list]:
    params: list = []
    return _compile(tree, entity, params), params


def _compile(node, entity: EntityDef, params: list) -> str:
    if isinstance(node, Logical):
        left, right = _compile(node.left, entity, params), _compile(node.right, entity, params)
        return f"({left} {node.op.upper()} {right})"
    if isinstance(node, Not):
        return f"(NOT {_compile(node.operand, entity, params)})"
    if isinstance(node, Compare):
        return _comparison(node, entity, params)
    if isinstance(node, Call):
        return _function(node, entity, params)
    raise bad_request("A $filter expression must be a comparison, a function call or a logical combination.")


def resolve(entity: EntityDef, name: str) -> AttributeDef:
    attribute = entity.by_wire_name.get(name)
    if attribute is None:
        raise unknown_property(entity.name, name)
    return attribute


def _comparison(node: Compare, entity: EntityDef, params: list) -> str:
    prop, literal, op = node.left, node.right, node.op
    if isinstance(prop, Lit) and isinstance(literal, Prop):
        prop, literal, op = literal, prop, _mirror(op)
    if not isinstance(prop, Prop) or not isinstance(literal, Lit):
        raise bad_request("Comparisons must have a property on one side and a literal on the other.")
    attribute = resolve(entity, prop.name)
    if literal.kind == "null":
        return _null_test(attribute, op)
    params.append(literal_value(attribute, literal))
    collate = " COLLATE NOCASE" if attribute.type in _TEXT_TYPES else ""
    return f"{column(attribute.name)} {_SQL_OPS[op]} ?{collate}"


def _mirror(op: str) -> str:
    return {"gt": "lt", "lt": "gt", "ge": "le", "le": "ge"}.get(op, op)


def _null_test(attribute: AttributeDef, op: str) -> str:
    if op not in ("eq", "ne"):
        raise bad_request("null can only be compared with eq or ne.")
    return f"{column(attribute.name)} IS {'NOT ' if op == 'ne' else ''}NULL"


def _function(node: Call, entity: EntityDef, params: list) -> str:
    if len(node.args) != 2 or not isinstance(node.args[0], Prop) or not isinstance(node.args[1], Lit):
        raise bad_request(f"{node.name} expects a property and a string literal.")
    attribute = resolve(entity, node.args[0].name)
    if attribute.type not in _TEXT_TYPES or node.args[1].kind != "string":
        raise bad_request(f"{node.name} can only be used with string properties and string literals.")
    pattern = _escape_like(node.args[1].value)
    params.append({"contains": f"%{pattern}%", "startswith": f"{pattern}%", "endswith": f"%{pattern}"}[node.name])
    return f"{column(attribute.name)} LIKE ? ESCAPE '\\'"


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def literal_value(attribute: AttributeDef, literal: Lit):
    """A literal converted to the stored form of the attribute it is compared with."""
    kind, value = attribute.type, literal.value
    try:
        if kind == "DateTime":
            return _date_literal(attribute, literal)
        if kind == "Boolean":
            return int(_expect(literal, "boolean"))
        if kind in ("Uniqueidentifier", "Lookup", "Customer", "Owner"):
            return _expect(literal, "guid")
        if kind in _TEXT_TYPES:
            return _expect(literal, "string")
        if kind == "MultiSelectPicklist":
            return str(value)
        return _expect(literal, "number")
    except ValueError:
        raise bad_request(f"The value {value!r} is not valid for the property '{attribute.wire_name}'.") from None


def _expect(literal: Lit, kind: str):
    if literal.kind != kind:
        raise ValueError(kind)
    return literal.value


def _date_literal(attribute: AttributeDef, literal: Lit):
    if literal.kind not in ("date", "datetime"):
        raise ValueError("date")
    if attribute.format == "DateOnly":
        return date.fromisoformat(literal.value[:10]).isoformat()
    text = literal.value if literal.kind == "datetime" else literal.value + "T00:00:00Z"
    return micros(parse_datetime(text))
