"""Property-based tests (hypothesis) of what turns CRM- or user-supplied text into
SQL identifiers or CRM query text: the name normalizer, the SOQL builder and the
OData filter builder. Generated values must come back unchanged through the
emulators' own parsers, so no value can change the statement it sits in."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.dynamics.emulator import odata_parser
from connectors.dynamics.odata import FilterBuilder
from connectors.salesforce import soql
from connectors.salesforce.emulator import soql_parser
from connectors.types import Condition, Op, TableDescription
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from wizard import naming

EXAMPLES = settings(max_examples=200, deadline=None)
IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*\Z")

# Text biased towards what breaks quoting: quotes (ASCII and unicode), backslashes,
# SOQL wildcards, newlines and other control characters, injection fragments.
NASTY = ["'", '"', "\\", "\\'", "''", "%", "_", "\n", "\r", "\t", "\b", "\f", "\x00", "\u2018", "\u2019",
         "\u201c", "\u201d", "' OR Name != '", ") or (1 eq 1", "\\u0027", "é", "日本", "🙂"]
hostile_text = st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=8)), max_size=8).map("".join)
# CRM names: anything, including SQL reserved words and the generated tables' own columns.
crm_names = st.one_of(
    st.text(max_size=80),
    st.sampled_from(sorted(naming.RESERVED | naming.SYSTEM_COLUMNS)),
    st.sampled_from(["Id", "ID", "Select", "Order", "Name", "name__c", "Name__C", "名前", "Ünïcödé", "a" * 100]),
    st.text(alphabet="aAbB_ 1-é", max_size=70),
)


# --- name normalizer ---------------------------------------------------------------
def assert_usable_identifier(name: str) -> None:
    assert IDENTIFIER.match(name), name
    assert len(name.encode()) <= naming.MAX_IDENTIFIER
    assert name not in naming.RESERVED
    assert name not in naming.SYSTEM_COLUMNS


@EXAMPLES
@given(st.lists(crm_names, max_size=30))
def test_column_names_are_lower_ascii_identifiers_of_at_most_63_bytes_never_reserved_and_unique(names):
    taken: set[str] = set()
    columns = [naming.column_name(name, taken) for name in names]
    for column in columns:
        assert_usable_identifier(column)
    assert len(set(columns)) == len(columns)
    assert set(columns) == taken


@EXAMPLES
@given(st.lists(crm_names, max_size=30))
def test_column_names_are_deterministic_for_the_same_fields(names):
    first, second = set(), set()
    assert [naming.column_name(n, first) for n in names] == [naming.column_name(n, second) for n in names]


@EXAMPLES
@given(crm_names, st.lists(crm_names, max_size=10))
def test_a_name_without_a_clash_does_not_depend_on_the_other_fields(name, others):
    alone = naming.column_name(name, set())
    taken: set[str] = set()
    for other in others:
        naming.column_name(other, taken)
    if alone not in taken:
        assert naming.column_name(name, taken) == alone


@EXAMPLES
@given(st.text(alphabet="abcxyz-_0123456789", min_size=1, max_size=100), st.lists(crm_names, max_size=20))
def test_table_names_are_unique_identifiers_of_at_most_63_bytes_prefixed_by_the_account(account, tables):
    taken: set[str] = set()
    names = [naming.table_name(account, table, taken) for table in dict.fromkeys(tables)]
    assert len(set(names)) == len(names)
    for name in names:
        assert IDENTIFIER.match(name) and name.startswith("crm_")
        assert len(name.encode()) <= naming.MAX_IDENTIFIER


# --- SOQL builder -------------------------------------------------------------------
CONTACT = TableDescription("Contact", "Contact", (
    F("Id", "Contact ID", T.ID, "id", length=18, nullable=False, read_only=True, primary_key=True),
    F("SystemModstamp", "System Modstamp", T.DATETIME, "datetime", read_only=True),
    F("LastName", "Last Name", T.STRING, "string", length=80),
    F("Hobbies__c", "Hobbies", T.MULTI_ENUM, "multipicklist", enumeration="Contact.Hobbies__c"),
), id_field="Id", modstamp_field="SystemModstamp")


def parsed_where(conditions) -> object:
    statement = soql.select(CONTACT, ["Id", "LastName"], conditions, ordered=False)
    return soql_parser.parse(statement).where


@EXAMPLES
@given(hostile_text)
def test_soql_literal_of_any_string_parses_back_to_the_same_value(value):
    where = parsed_where([Condition("LastName", Op.EQ, value)])
    assert where == soql_parser.Compare("LastName", "=", where.value, where.pos)
    assert where.value.kind == "string" and where.value.value == value


@EXAMPLES
@given(st.sampled_from([Op.EQ, Op.NE, Op.LT, Op.GE]), hostile_text)
def test_soql_comparison_of_any_string_stays_one_comparison_of_that_value(op, value):
    where = parsed_where([Condition("LastName", op, value), Condition("Id", Op.NE, None)])
    compare, other = where.items
    assert (compare.field, compare.op, compare.value.value) == ("LastName", soql.COMPARISONS[op], value)
    assert (other.field, other.op, other.value.kind) == ("Id", "!=", "null")


@EXAMPLES
@given(st.lists(hostile_text, min_size=1, max_size=5), st.booleans())
def test_soql_in_list_of_any_strings_parses_back_to_the_same_values(values, negate):
    where = parsed_where([Condition("LastName", Op.NOT_IN if negate else Op.IN, values)])
    assert isinstance(where, soql_parser.InList) and where.negate == negate
    assert [literal.value for literal in where.values] == values


@EXAMPLES
@given(st.sampled_from([Op.CONTAINS, Op.STARTS_WITH]), hostile_text)
def test_soql_like_of_any_string_escapes_quotes_and_wildcards(op, value):
    where = parsed_where([Condition("LastName", op, value)])
    assert isinstance(where, soql_parser.Like)
    raw_body = where.pattern.raw[1:-1]
    body = raw_body[1:-1] if op is Op.CONTAINS else raw_body[:-1]
    # The user's % and _ are escaped, so only the builder's own wildcards remain bare.
    assert re.search(r"(?<!\\)(?:\\\\)*[%_]", body) is None
    assert where.pattern.value == (f"%{value}%" if op is Op.CONTAINS else f"{value}%")


@EXAMPLES
@given(hostile_text)
def test_soql_includes_of_any_string_parses_back_to_the_same_value(value):
    where = parsed_where([Condition("Hobbies__c", Op.CONTAINS, value)])
    assert isinstance(where, soql_parser.Includes)
    assert [literal.value for literal in where.values] == [value]


@EXAMPLES
@given(hostile_text)
def test_soql_field_names_from_users_are_refused_unless_the_describe_has_them(name):
    if name.lower() in {f.name.lower() for f in CONTACT.fields}:
        return
    with pytest.raises(soql.InvalidRequest):
        soql.select(CONTACT, ["Id"], [Condition(name, Op.EQ, "x")])


# --- OData filter builder -----------------------------------------------------------
ATTRIBUTES = {
    "lastname": {"LogicalName": "lastname", "AttributeType": "String"},
    "description": {"LogicalName": "description", "AttributeType": "Memo"},
    "numberofchildren": {"LogicalName": "numberofchildren", "AttributeType": "Integer"},
}


def odata(conditions):
    return odata_parser.parse_filter(FilterBuilder("contact", ATTRIBUTES).build(conditions))


@EXAMPLES
@given(st.sampled_from(["lastname", "description"]), st.sampled_from([Op.EQ, Op.NE, Op.LT, Op.GE]), hostile_text)
def test_odata_comparison_of_any_string_parses_back_to_the_same_value(field, op, value):
    tree = odata([Condition(field, op, value)])
    assert tree == odata_parser.Compare(op.value, odata_parser.Prop(field), odata_parser.Lit("string", value))


@EXAMPLES
@given(hostile_text, st.integers(min_value=-(2**31), max_value=2**31 - 1))
def test_odata_string_condition_cannot_swallow_the_next_condition(value, number):
    tree = odata([Condition("lastname", Op.EQ, value), Condition("numberofchildren", Op.GT, number)])
    assert tree == odata_parser.Logical(
        "and",
        odata_parser.Compare("eq", odata_parser.Prop("lastname"), odata_parser.Lit("string", value)),
        odata_parser.Compare("gt", odata_parser.Prop("numberofchildren"), odata_parser.Lit("number", number)),
    )


@EXAMPLES
@given(st.lists(hostile_text, min_size=1, max_size=5))
def test_odata_in_list_of_any_strings_is_an_or_of_the_same_values(values):
    tree = odata([Condition("lastname", Op.IN, values)])
    found = []
    while isinstance(tree, odata_parser.Logical):
        assert tree.op == "or"
        found.insert(0, tree.right)
        tree = tree.left
    found.insert(0, tree)
    assert found == [odata_parser.Compare("eq", odata_parser.Prop("lastname"), odata_parser.Lit("string", v))
                     for v in values]


@EXAMPLES
@given(st.sampled_from([Op.CONTAINS, Op.STARTS_WITH]), hostile_text)
def test_odata_text_functions_of_any_string_parse_back_to_the_same_value(op, value):
    tree = odata([Condition("lastname", op, value)])
    name = "contains" if op is Op.CONTAINS else "startswith"
    assert tree == odata_parser.Call(name, (odata_parser.Prop("lastname"), odata_parser.Lit("string", value)))


@EXAMPLES
@given(hostile_text)
def test_odata_attribute_names_from_users_are_refused_unless_the_metadata_has_them(name):
    if name in ATTRIBUTES:
        return
    with pytest.raises(soql.InvalidRequest):
        FilterBuilder("contact", ATTRIBUTES).build([Condition(name, Op.EQ, "x")])
