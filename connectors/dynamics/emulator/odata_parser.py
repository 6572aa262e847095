"""A real parser for the OData $filter subset Dataverse clients use: comparison
operators, and/or/not, parentheses, contains/startswith/endswith, null, numbers,
GUIDs, dates, DateTimeOffset and quoted strings with '' escaping. It produces a
small syntax tree; `filter_sql` turns it into SQL, `evaluate` runs it on dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import DataverseError

COMPARISONS = ("eq", "ne", "gt", "ge", "lt", "le")
FUNCTIONS = ("contains", "startswith", "endswith")

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
  | (?P<guid>[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?![\w-])
  | (?P<date>\d{4}-\d{2}-\d{2})(?![\w:])
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[mMdDfFlL]?(?![\w])
  | (?P<name>[A-Za-z_][\w.]*)
  | (?P<punct>[(),])
""", re.VERBOSE)


@dataclass(frozen=True)
class Prop:
    name: str


@dataclass(frozen=True)
class Lit:
    kind: str  # string, number, guid, date, datetime, boolean, null
    value: object


@dataclass(frozen=True)
class Compare:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Logical:
    op: str  # and / or
    left: object
    right: object


@dataclass(frozen=True)
class Not:
    operand: object


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple


def syntax_error(text: str, detail: str) -> DataverseError:
    return DataverseError(400, "0x80060888", f"Syntax error: {detail} in $filter expression '{text}'.")


def tokenize(text: str) -> list[tuple[str, object]]:
    tokens, position = [], 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise syntax_error(text, f"character '{text[position]}' at position {position} is not valid")
        position = match.end()
        if match.lastgroup != "ws":
            tokens.append(_token(match.lastgroup, match.group(match.lastgroup)))
    return tokens


def _token(kind: str, raw: str) -> tuple[str, object]:
    if kind == "string":
        return ("literal", Lit("string", raw[1:-1].replace("''", "'")))
    if kind == "number":
        return ("literal", Lit("number", float(raw) if any(c in raw for c in ".eE") else int(raw)))
    if kind in ("guid", "date", "datetime"):
        return ("literal", Lit(kind, raw.lower() if kind == "guid" else raw))
    if kind == "name" and raw in ("true", "false"):
        return ("literal", Lit("boolean", raw == "true"))
    if kind == "name" and raw == "null":
        return ("literal", Lit("null", None))
    return (kind, raw)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.position = 0

    def peek(self, offset: int = 0):
        index = self.position + offset
        return self.tokens[index] if index < len(self.tokens) else ("end", None)

    def take(self, kind: str, value: object = None):
        token = self.peek()
        if token[0] != kind or (value is not None and token[1] != value):
            raise syntax_error(self.text, f"expected {value or kind} but found '{token[1]}'")
        self.position += 1
        return token

    def keyword(self, *words: str) -> str | None:
        kind, value = self.peek()
        if kind == "name" and value in words:
            self.position += 1
            return value
        return None

    def parse(self):
        tree = self.or_expression()
        if self.peek()[0] != "end":
            raise syntax_error(self.text, f"unexpected '{self.peek()[1]}'")
        return tree

    def or_expression(self):
        tree = self.and_expression()
        while self.keyword("or"):
            tree = Logical("or", tree, self.and_expression())
        return tree

    def and_expression(self):
        tree = self.unary()
        while self.keyword("and"):
            tree = Logical("and", tree, self.unary())
        return tree

    def unary(self):
        if self.keyword("not"):
            return Not(self.unary())
        return self.comparison()

    def comparison(self):
        left = self.primary()
        op = self.keyword(*COMPARISONS)
        return Compare(op, left, self.primary()) if op else left

    def primary(self):
        kind, value = self.peek()
        if kind == "punct" and value == "(":
            self.take("punct", "(")
            tree = self.or_expression()
            self.take("punct", ")")
            return tree
        if kind == "literal":
            self.position += 1
            return value
        if kind == "name":
            return self.call_or_property()
        raise syntax_error(self.text, f"unexpected '{value}'")

    def call_or_property(self):
        name = self.take("name")[1]
        if self.peek() != ("punct", "("):
            return Prop(name)
        self.take("punct", "(")
        args = [self.or_expression()]
        while self.peek() == ("punct", ","):
            self.take("punct", ",")
            args.append(self.or_expression())
        self.take("punct", ")")
        if name not in FUNCTIONS:
            raise DataverseError(400, "0x80060888", f"Unknown function '{name}'.")
        return Call(name, tuple(args))


def parse_filter(text: str):
    """The syntax tree of a $filter expression; a DataverseError if it is not valid."""
    return _Parser(text).parse()


def evaluate(tree, row: dict) -> bool:
    """Evaluate a tree against a plain dict (used for metadata queries)."""
    if isinstance(tree, Logical):
        left = evaluate(tree.left, row)
        return (left and evaluate(tree.right, row)) if tree.op == "and" else (left or evaluate(tree.right, row))
    if isinstance(tree, Not):
        return not evaluate(tree.operand, row)
    if isinstance(tree, Compare):
        return _compare(tree.op, _value(tree.left, row), _value(tree.right, row))
    if isinstance(tree, Call):
        haystack, needle = (str(_value(arg, row) or "").lower() for arg in tree.args)
        return {"contains": needle in haystack, "startswith": haystack.startswith(needle),
                "endswith": haystack.endswith(needle)}[tree.name]
    return bool(_value(tree, row))


def _value(node, row: dict):
    if isinstance(node, Prop):
        value = row
        for part in node.name.split("/"):
            value = value.get(part) if isinstance(value, dict) else None
        return value
    return node.value


def _compare(op: str, left, right) -> bool:
    if op in ("eq", "ne"):
        return (left == right) == (op == "eq")
    if left is None or right is None:
        return False
    return {"gt": left > right, "ge": left >= right, "lt": left < right, "le": left <= right}[op]
