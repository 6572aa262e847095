"""A parser for the SOQL subset clients send: SELECT fields (parent fields too) or
COUNT(), FROM, WHERE (AND/OR/NOT, parentheses, comparisons, LIKE, IN/NOT IN,
INCLUDES/EXCLUDES), ORDER BY, LIMIT and OFFSET. Errors read like Salesforce's."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

TOKEN = re.compile(
    r"""(?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:?\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>-?\d+(?:\.\d+)?)
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])""",
    re.VERBOSE,
)
KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "IN", "LIKE", "INCLUDES", "EXCLUDES", "ORDER", "BY",
            "ASC", "DESC", "NULLS", "FIRST", "LAST", "LIMIT", "OFFSET", "NULL", "TRUE", "FALSE", "COUNT"}


class SoqlError(ValueError):
    """MALFORMED_QUERY, INVALID_FIELD or INVALID_TYPE, with Salesforce's message."""

    def __init__(self, code: str, message: str, soql: str = "", column: int = 0):
        if soql:
            message = f"\n{soql}\n{' ' * column}^\nERROR at Row:1:Column:{column + 1}\n{message}"
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class Literal:
    kind: str  # string, number, boolean, null, date, datetime, date_constant
    value: object
    raw: str = ""


@dataclass(frozen=True)
class Compare:
    field: str
    op: str
    value: Literal
    pos: int = 0


@dataclass(frozen=True)
class InList:
    field: str
    values: tuple[Literal, ...]
    negate: bool = False
    pos: int = 0


@dataclass(frozen=True)
class Like:
    field: str
    pattern: Literal
    pos: int = 0


@dataclass(frozen=True)
class Includes:
    field: str
    values: tuple[Literal, ...]
    negate: bool = False
    pos: int = 0


@dataclass(frozen=True)
class BoolOp:
    op: str  # AND, OR
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


@dataclass(frozen=True)
class OrderItem:
    field: str
    descending: bool = False
    nulls_last: bool | None = None
    pos: int = 0


@dataclass
class Query:
    sobject: str
    fields: list[tuple[str, int]] = field(default_factory=list)  # (name, position)
    count: bool = False
    where: object = None
    order: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None
    sobject_pos: int = 0


def tokenize(soql: str) -> list[Token]:
    tokens, pos = [], 0
    while pos < len(soql):
        match = TOKEN.match(soql, pos)
        if not match:
            raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{soql[pos:pos + 10].split()[0]}'", soql, pos)
        if match.lastgroup != "ws":
            tokens.append(Token(match.lastgroup, match.group(), pos))
        pos = match.end()
    return tokens


def unescape(raw: str) -> str:
    """The value of a quoted SOQL string (quotes included in `raw`)."""
    simple = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'", "\\": "\\", "%": "%", "_": "_"}
    body, out, index = raw[1:-1], [], 0
    while index < len(body):
        char = body[index]
        if char == "\\" and body[index + 1 : index + 2] == "u":
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
            continue
        if char == "\\":
            out.append(simple.get(body[index + 1], body[index + 1]))
            index += 2
            continue
        out.append(char)
        index += 1
    return "".join(out)


class Parser:
    def __init__(self, soql: str):
        self.soql = soql
        self.tokens = tokenize(soql)
        self.index = 0

    # --- token helpers -----------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def at(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and (token.upper in words or token.text in words)

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected token: '<EOF>'", self.soql, len(self.soql))
        self.index += 1
        return token

    def expect(self, *words: str) -> Token:
        if not self.at(*words):
            self.fail()
        return self.take()

    def fail(self):
        token = self.peek()
        if token is None:
            raise SoqlError("MALFORMED_QUERY", "unexpected token: '<EOF>'", self.soql, len(self.soql))
        raise SoqlError("MALFORMED_QUERY", f"unexpected token: '{token.text}'", self.soql, token.pos)

    def name(self) -> Token:
        token = self.take()
        if token.kind != "name" or token.upper in KEYWORDS - {"COUNT", "FIRST", "LAST"}:
            self.index -= 1
            self.fail()
        return token

    # --- grammar -----------------------------------------------------------------
    def parse(self) -> Query:
        self.expect("SELECT")
        count, fields = self.select_list()
        self.expect("FROM")
        sobject = self.name()
        query = Query(sobject.text, fields, count, sobject_pos=sobject.pos)
        if self.at("WHERE"):
            self.take()
            query.where = self.or_expr()
        self.tail(query)
        if self.peek() is not None:
            self.fail()
        return query

    def select_list(self) -> tuple[bool, list[tuple[str, int]]]:
        if self.at("COUNT") and self.tokens[self.index + 1 : self.index + 2] and self.tokens[self.index + 1].text == "(":
            self.take(), self.expect("("), self.expect(")")
            return True, []
        fields = [self.field_ref()]
        while self.at(","):
            self.take()
            fields.append(self.field_ref())
        return False, fields

    def field_ref(self) -> tuple[str, int]:
        token = self.name()
        return token.text, token.pos

    def tail(self, query: Query) -> None:
        if self.at("ORDER"):
            self.take(), self.expect("BY")
            query.order = [self.order_item()]
            while self.at(","):
                self.take()
                query.order.append(self.order_item())
        if self.at("LIMIT"):
            self.take()
            query.limit = self.integer()
        if self.at("OFFSET"):
            self.take()
            query.offset = self.integer()

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or not token.text.isdigit():
            self.index -= 1
            self.fail()
        return int(token.text)

    def order_item(self) -> OrderItem:
        name, pos = self.field_ref()
        descending = self.at("DESC")
        if self.at("ASC", "DESC"):
            self.take()
        nulls_last = None
        if self.at("NULLS"):
            self.take()
            nulls_last = self.expect("FIRST", "LAST").upper == "LAST"
        return OrderItem(name, descending, nulls_last, pos)

    def or_expr(self):
        items = [self.and_expr()]
        while self.at("OR"):
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("OR", tuple(items))

    def and_expr(self):
        items = [self.not_expr()]
        while self.at("AND"):
            self.take()
            items.append(self.not_expr())
        return items[0] if len(items) == 1 else BoolOp("AND", tuple(items))

    def not_expr(self):
        if self.at("NOT"):
            self.take()
            return Not(self.not_expr())
        if self.at("("):
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        return self.condition()

    def condition(self):
        name, pos = self.field_ref()
        if self.at("LIKE"):
            self.take()
            return Like(name, self.literal(), pos)
        if self.at("IN") or (self.at("NOT") and self.index + 1 < len(self.tokens) and self.tokens[self.index + 1].upper == "IN"):
            negate = self.take().upper == "NOT"
            if negate:
                self.take()
            return InList(name, self.literal_list(), negate, pos)
        if self.at("INCLUDES", "EXCLUDES"):
            negate = self.take().upper == "EXCLUDES"
            return Includes(name, self.literal_list(), negate, pos)
        token = self.take()
        if token.kind != "op":
            self.index -= 1
            self.fail()
        return Compare(name, "!=" if token.text == "<>" else token.text, self.literal(), pos)

    def literal_list(self) -> tuple[Literal, ...]:
        self.expect("(")
        values = [self.literal()]
        while self.at(","):
            self.take()
            values.append(self.literal())
        self.expect(")")
        return tuple(values)

    def literal(self) -> Literal:
        token = self.take()
        if token.kind == "string":
            return Literal("string", unescape(token.text), token.text)
        if token.kind in ("date", "datetime"):
            return Literal(token.kind, token.text, token.text)
        if token.kind == "number":
            return Literal("number", float(token.text) if "." in token.text else int(token.text), token.text)
        if token.upper in ("TRUE", "FALSE"):
            return Literal("boolean", token.upper == "TRUE", token.text)
        if token.upper == "NULL":
            return Literal("null", None, token.text)
        if token.kind == "name" and token.upper.split(":")[0] in DATE_CONSTANTS:
            return Literal("date_constant", token.upper, token.text)
        self.index -= 1
        self.fail()


DATE_CONSTANTS = {"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS"}


def parse(soql: str) -> Query:
    return Parser(soql.strip()).parse()
