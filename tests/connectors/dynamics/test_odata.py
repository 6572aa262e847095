"""Unit tests of the OData pieces: the emulator's $filter parser and SQL compiler,
and the connector's safe $filter builder."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from connectors.dynamics.emulator.errors import DataverseError
from connectors.dynamics.emulator.filter_sql import compile_filter
from connectors.dynamics.emulator.odata_parser import Call, Compare, Lit, Logical, Not, Prop, evaluate, parse_filter
from connectors.dynamics.emulator.schema import contact
from connectors.dynamics.emulator.values import micros
from connectors.dynamics.odata import FilterBuilder, key_segment, quote
from connectors.errors import InvalidRequest
from connectors.types import Condition, Op

CONTACT = contact()


def attributes_metadata() -> dict[str, dict]:
    from connectors.dynamics.emulator.metadata_json import attribute_json

    return {a.name: attribute_json(CONTACT, a) for a in CONTACT.attributes}


# --- parser --------------------------------------------------------------------
def test_parser_unescapes_doubled_quotes_in_string_literals():
    assert parse_filter("lastname eq 'O''Neill'") == Compare("eq", Prop("lastname"), Lit("string", "O'Neill"))


def test_parser_gives_and_precedence_over_or_and_honours_parentheses():
    tree = parse_filter("a eq 1 or b eq 2 and c eq 3")
    assert tree == Logical("or", Compare("eq", Prop("a"), Lit("number", 1)),
                           Logical("and", Compare("eq", Prop("b"), Lit("number", 2)), Compare("eq", Prop("c"), Lit("number", 3))))
    grouped = parse_filter("(a eq 1 or b eq 2) and c eq 3")
    assert isinstance(grouped, Logical) and grouped.op == "and" and grouped.left.op == "or"


def test_parser_reads_guids_dates_datetimes_numbers_booleans_and_null():
    tree = parse_filter("_x_value eq 1A2B3C4D-0000-4000-8000-000000000001 and d ge 2024-02-29 and "
                        "t lt 2024-01-01T10:00:00Z and n gt -2.5 and b eq true and z ne null")
    literals = []

    def walk(node):
        if isinstance(node, Logical):
            walk(node.left), walk(node.right)
        else:
            literals.append(node.right)

    walk(tree)
    assert literals == [Lit("guid", "1a2b3c4d-0000-4000-8000-000000000001"), Lit("date", "2024-02-29"),
                        Lit("datetime", "2024-01-01T10:00:00Z"), Lit("number", -2.5), Lit("boolean", True),
                        Lit("null", None)]


def test_parser_reads_not_and_string_functions():
    assert parse_filter("not contains(fullname,'an')") == Not(Call("contains", (Prop("fullname"), Lit("string", "an"))))


@pytest.mark.parametrize("text", ["lastname eq", "lastname eq 'open", "(a eq 1", "a eq 1)", "a eq 1 xor b eq 2",
                                  "nosuchfunction(a,'b')", "a eq ;"])
def test_parser_rejects_malformed_filters_with_a_dataverse_error(text):
    with pytest.raises(DataverseError) as caught:
        parse_filter(text)
    assert caught.value.status == 400 and caught.value.code == "0x80060888"


def test_evaluate_applies_a_filter_to_metadata_dicts():
    tree = parse_filter("ChangeTrackingEnabled eq true and startswith(LogicalName,'cr8a1_')")
    assert evaluate(tree, {"ChangeTrackingEnabled": True, "LogicalName": "cr8a1_loyaltyprogram"})
    assert not evaluate(tree, {"ChangeTrackingEnabled": True, "LogicalName": "contact"})


# --- SQL compilation -------------------------------------------------------------
def test_compiled_sql_keeps_values_out_of_the_query_text():
    sql, params = compile_filter(parse_filter("lastname eq 'x'' OR 1=1 --'"), CONTACT)
    assert sql == '"lastname" = ? COLLATE NOCASE'
    assert params == ["x' OR 1=1 --"]


def test_compiled_sql_converts_literals_to_the_stored_form():
    sql, params = compile_filter(parse_filter(
        "modifiedon gt 2024-01-01T00:00:00Z and birthdate le 1990-05-01 and donotemail eq false and "
        "_parentcustomerid_value eq a0000000-0000-4000-8000-000000000001 and contains(firstname,'50%_')"), CONTACT)
    assert params == [micros(datetime(2024, 1, 1, tzinfo=timezone.utc)), "1990-05-01", 0,
                      "a0000000-0000-4000-8000-000000000001", "%50\\%\\_%"]
    assert '"parentcustomerid" = ?' in sql and "LIKE ? ESCAPE" in sql


def test_compiling_an_unknown_property_gives_the_dataverse_error():
    with pytest.raises(DataverseError) as caught:
        compile_filter(parse_filter("nosuchfield eq 1"), CONTACT)
    assert caught.value.code == "0x80060888"
    assert caught.value.message == "Could not find a property named 'nosuchfield' on type 'Microsoft.Dynamics.CRM.contact'."


def test_lookups_are_only_filterable_as_underscore_value():
    with pytest.raises(DataverseError):
        compile_filter(parse_filter("parentcustomerid eq a0000000-0000-4000-8000-000000000001"), CONTACT)


# --- connector-side builder -------------------------------------------------------
def builder() -> FilterBuilder:
    return FilterBuilder("contact", attributes_metadata())


def test_builder_quotes_strings_so_user_input_cannot_change_the_filter():
    text = builder().build([Condition("lastname", Op.EQ, "x' or contactid ne null or lastname eq '")])
    assert text == "lastname eq 'x'' or contactid ne null or lastname eq '''"
    tree = parse_filter(text)
    assert tree == Compare("eq", Prop("lastname"), Lit("string", "x' or contactid ne null or lastname eq '"))


def test_builder_rejects_attribute_names_not_in_the_metadata():
    with pytest.raises(InvalidRequest):
        builder().build([Condition("lastname eq 'a' or firstname", Op.EQ, "b")])


def test_builder_renders_typed_literals():
    text = builder().build([
        Condition("birthdate", Op.LT, date(1990, 1, 2)),
        Condition("modifiedon", Op.GE, datetime(2024, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
        Condition("parentcustomerid", Op.EQ, "A0000000-0000-4000-8000-000000000001"),
        Condition("donotemail", Op.EQ, False),
        Condition("preferredcontactmethodcode", Op.IN, ["1", 2]),
        Condition("numberofchildren", Op.NOT_IN, [3]),
        Condition("firstname", Op.STARTS_WITH, "Ad"),
        Condition("jobtitle", Op.IS_NULL, True),
    ])
    assert text == ("birthdate lt 1990-01-02 and modifiedon ge 2024-03-04T05:06:07Z and "
                    "_parentcustomerid_value eq a0000000-0000-4000-8000-000000000001 and donotemail eq false and "
                    "(preferredcontactmethodcode eq 1 or preferredcontactmethodcode eq 2) and "
                    "(numberofchildren ne 3) and startswith(firstname,'Ad') and jobtitle eq null")
    sql, _ = compile_filter(parse_filter(text), CONTACT)
    assert sql.count("?") == 8


@pytest.mark.parametrize("field, value", [("parentcustomerid", "not-a-guid) or (1 eq 1"),
                                          ("numberofchildren", "1 or 1 eq 1"), ("donotemail", "true")])
def test_builder_rejects_values_that_are_not_of_the_attribute_type(field, value):
    with pytest.raises(InvalidRequest):
        builder().build([Condition(field, Op.EQ, value)])


def test_key_segment_quotes_alternate_key_values():
    assert key_segment(attributes_metadata(), {"cr8a1_externalid": "A'B"}) == "(cr8a1_externalid='A''B')"
    assert quote("it's") == "'it''s'"
