"""Unit tests of the pure parts: Id checksums, the emulator's SOQL parser, the
connector's SOQL builder and type mapping."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from decimal import Decimal

import pytest

from connectors.errors import InvalidRequest
from connectors.salesforce import soql
from connectors.salesforce.emulator import ids
from connectors.salesforce.emulator.soql_parser import BoolOp, Compare, InList, Like, Not, SoqlError, parse, unescape
from connectors.salesforce.types import field_type, to_python, to_wire
from connectors.types import Condition, FieldDescription, FieldType, Op, TableDescription


# --- Ids ---------------------------------------------------------------------------------
def test_checksum_matches_salesforce_example():
    assert ids.to18("001A0000006Vm9r") == "001A0000006Vm9rIAC"


def test_case_of_the_15_character_id_changes_the_suffix():
    assert ids.to18("001a0000006vm9r") != ids.to18("001A0000006Vm9r")
    assert ids.is_valid("001A0000006Vm9rIAC") and not ids.is_valid("001A0000006Vm9rAAA")
    assert ids.normalize("001A0000006Vm9r") == "001A0000006Vm9rIAC" and ids.normalize("nope") is None


def test_sql_id_generation_equals_python():
    db = sqlite3.connect(":memory:")
    for number in (0, 61, 62, 3843, 238327, 10**7 + 123, 62**9 - 1):
        assert db.execute("SELECT " + ids.sql_make_id("a01", str(number))).fetchone()[0] == ids.make_id("a01", number)


# --- SOQL parser (emulator) ---------------------------------------------------------------
def test_parser_builds_a_tree_with_precedence():
    query = parse("SELECT Id, Account.Name FROM Contact WHERE A = 1 OR B = 2 AND NOT C IN ('x') ORDER BY Id DESC LIMIT 5")
    assert [name for name, _ in query.fields] == ["Id", "Account.Name"]
    assert isinstance(query.where, BoolOp) and query.where.op == "OR"
    assert isinstance(query.where.items[1], BoolOp) and isinstance(query.where.items[1].items[1], Not)
    assert isinstance(query.where.items[1].items[1].item, InList)
    assert (query.order[0].descending, query.limit) == (True, 5)


def test_string_escapes():
    assert unescape(r"'O\'Brien \\ \n \u00e9'") == "O'Brien \\ \n é"
    like = parse(r"SELECT Id FROM Contact WHERE Name LIKE '50\% off%'").where
    assert isinstance(like, Like) and like.pattern.raw == r"'50\% off%'"


def test_literals():
    where = parse("SELECT Id FROM T WHERE D > 2024-01-01T00:00:00.000+0000 AND E = 2024-01-01 AND F = null AND G = TRUE").where
    assert [item.value.kind for item in where.items] == ["datetime", "date", "null", "boolean"]
    assert isinstance(where.items[0], Compare)


@pytest.mark.parametrize("text", ["SELECT FROM Contact", "SELECT Id Contact", "SELECT Id FROM Contact WHERE", "SELECT Id FROM Contact LIMIT x",
                                  "SELECT Id FROM Contact WHERE Name = 'open", "SELECT Id FROM Contact WHERE (A = 1"])
def test_malformed_queries(text):
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.code == "MALFORMED_QUERY" and "ERROR at Row:1:Column:" in caught.value.message


# --- SOQL builder (connector) -----------------------------------------------------------------
TABLE = TableDescription("Contact", "Contact", fields=(
    FieldDescription("Id", "Id", FieldType.ID, "id"), FieldDescription("SystemModstamp", "Stamp", FieldType.DATETIME, "datetime"),
    FieldDescription("LastName", "Last", FieldType.STRING, "string"), FieldDescription("Score__c", "Score", FieldType.DECIMAL, "double"),
    FieldDescription("VIP__c", "VIP", FieldType.BOOLEAN, "boolean"), FieldDescription("Birthdate", "Birthdate", FieldType.DATE, "date"),
))


def test_select_is_ordered_by_stamp_and_id_with_since():
    since = datetime(2024, 5, 1, 12, 30, 15, 999000, tzinfo=timezone.utc)
    statement = soql.select(TABLE, soql.select_fields(TABLE, ["lastname"]), [Condition("LastName", Op.NE, "x")], since)
    assert statement == ("SELECT Id, SystemModstamp, LastName FROM Contact WHERE LastName != 'x' AND "
                         "SystemModstamp >= 2024-05-01T12:30:15Z ORDER BY SystemModstamp, Id")


def test_values_are_escaped_and_typed():
    where = soql.where_clause(TABLE, [
        Condition("LastName", Op.EQ, "O'Brien\\"), Condition("LastName", Op.CONTAINS, "50%_"), Condition("Score__c", Op.GT, Decimal("1.5")),
        Condition("VIP__c", Op.EQ, "true"), Condition("Birthdate", Op.LE, "1990-01-02"), Condition("LastName", Op.IN, []),
    ], None)
    assert where == (r" WHERE LastName = 'O\'Brien\\' AND LastName LIKE '%50\%\_%' AND Score__c > 1.5 AND VIP__c = true"
                     " AND Birthdate <= 1990-01-02 AND Id = null")


@pytest.mark.parametrize("condition", [Condition("Nope", Op.EQ, "x"), Condition("Score__c", Op.EQ, "1 OR Id != null"),
                                       Condition("Birthdate", Op.EQ, "yesterday"), Condition("VIP__c", Op.EQ, "maybe")])
def test_names_and_values_that_do_not_fit_are_refused(condition):
    with pytest.raises(InvalidRequest):
        soql.where_clause(TABLE, [condition], None)


# --- types ---------------------------------------------------------------------------------
def test_type_table():
    assert field_type({"type": "textarea", "length": 255}) is FieldType.STRING
    assert field_type({"type": "textarea", "length": 32000}) is FieldType.TEXT
    assert field_type({"type": "double", "precision": 18, "scale": 2}) is FieldType.DECIMAL
    assert field_type({"type": "double", "precision": 18, "scale": 0}) is FieldType.BIGINT
    assert field_type({"type": "double", "precision": 0, "scale": 0}) is FieldType.FLOAT
    assert field_type({"type": "multipicklist"}) is FieldType.MULTI_ENUM


def test_value_conversions_both_ways():
    assert to_python(FieldType.DATETIME, "2024-01-02T03:04:05.000+0000") == datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert to_python(FieldType.BOOLEAN, "false") is False and to_python(FieldType.INTEGER, Decimal("42.0")) == 42
    assert to_python(FieldType.MULTI_ENUM, "a;b") == ["a", "b"] and to_python(FieldType.DECIMAL, "") is None
    assert to_wire(Decimal("12.50")) == 12.5 and to_wire(["a", "b"]) == "a;b"
    assert to_wire(datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)) == "2024-01-02T03:04:05.000Z"


def test_a_tls_connection_closed_mid_answer_is_a_dropped_connection_and_retried():
    """What urllib3 raises when the server closes an established TLS connection without
    a close_notify (the emulator's "drop" fault): a transient loss, unlike a refused
    certificate, which stays permanent."""
    import ssl

    import requests

    from connectors.errors import TransientError
    from connectors.salesforce.faults import translate
    from connectors.salesforce.transport import MeteredAdapter

    dropped = requests.exceptions.SSLError(ssl.SSLEOFError(8, "EOF occurred in violation of protocol (_ssl.c:2427)"))
    error = translate(dropped, MeteredAdapter(5))
    assert isinstance(error, TransientError)
    assert error.message == "connection lost: the server closed the connection"
    assert error.outcome_unknown  # a write may have been applied: only idempotent writes are repeated

    refused = requests.exceptions.SSLError(ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
                                                                           "verify failed: unable to get local issuer certificate"))
    error = translate(refused, MeteredAdapter(5))
    assert not isinstance(error, TransientError)
    assert error.message.startswith("TLS certificate not trusted")
