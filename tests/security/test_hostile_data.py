"""CRM data designed to break an import, written straight into each emulator's
store (a CRM's own validation is not a promise crmsync relies on): strings at and
over the declared length, numbers out of range, invalid dates, values of the wrong
type, NUL characters, unknown picklist values, 1 MB texts. Each bad record becomes
a reject with a readable reason; every other record is imported."""

from __future__ import annotations

import pytest

from tests.workflows.helpers import counters, generate, rows, run_now, workflow

pytestmark = pytest.mark.django_db(transaction=True)

MEGABYTE = "y" * 1_000_000
# (case, fields) per CRM; "ok" cases must be imported, the others rejected with the message.
CASES = {
    "salesforce": {
        "at length": ({"MailingCity": "x" * 40}, None),
        "over length": ({"MailingCity": "x" * 41}, "mailing_city: 41 characters, longer than the column's 40"),
        "1 MB in a short text": ({"MailingCity": MEGABYTE},
                                 "mailing_city: 1000000 characters, longer than the column's 40"),
        "1 MB in a long text": ({"Description": MEGABYTE}, None),
        "decimal out of range": ({"Discount__c": 12345.5}, "discount_c: 12345.5 does not fit numeric(5,2)"),
        "integer out of range": ({"Visit_Count__c": 2**40},
                                 "visit_count_c: 1099511627776 is not an integer the column can hold"),
        "invalid date": ({"Birthdate": "2024-02-30"}, "birthdate: '2024-02-30' is not a valid date"),
        "text in a number": ({"Visit_Count__c": "many"},
                             "visit_count_c: 'many' is not an integer the column can hold"),
        "text in a date-time": ({"Last_Purchase__c": "yesterday"},
                                "last_purchase_c: 'yesterday' is not a valid date-time"),
        "NUL character": ({"Title": "a\x00b"},
                          "title: contains a NUL character (\\x00), which the database cannot store"),
        "unknown picklist value": ({"Level__c": "Quaternary'; DROP TABLE x;--"}, None),
    },
    "dynamics": {
        "at length": ({"address1_city": "x" * 80}, None),
        "over length": ({"address1_city": "x" * 81}, "address1_city: 81 characters, longer than the column's 80"),
        "1 MB in a short text": ({"address1_city": MEGABYTE},
                                 "address1_city: 1000000 characters, longer than the column's 80"),
        "integer out of range": ({"numberofchildren": 2**40},
                                 "numberofchildren: 1099511627776 is not an integer the column can hold"),
        "invalid date": ({"birthdate": "2024-02-30"}, "birthdate: '2024-02-30' is not a valid date"),
        "text in a number": ({"numberofchildren": "many"},
                             "numberofchildren: 'many' is not an integer the column can hold"),
        "NUL character": ({"jobtitle": "a\x00b"},
                          "jobtitle: contains a NUL character (\\x00), which the database cannot store"),
        "null in a required field": ({"lastname": None}, None),
    },
}


def insert_raw(crm, name: str, fields: dict) -> str:
    """A record as the CRM's store holds it, past any validation of its API."""
    if crm.crm == "salesforce":
        return crm.emulator.org.store.insert("Contact", {"LastName": name, **fields})
    entity = crm.emulator.entities["contact"]
    return crm.emulator.store.insert(entity, {"lastname": name, **fields})["contactid"]


def test_hostile_records_are_rejected_with_their_reason_and_the_others_imported(crm_account, crm):
    cases = CASES[crm.crm]
    ids = {case: insert_raw(crm, f"Hostile {case}", fields) for case, (fields, _) in cases.items()}
    schema = generate(crm_account, crm.table)
    run = run_now(workflow(crm_account, schema, ("import", {"incremental": False})))
    assert run.status in ("succeeded", "partial"), run.log
    rejected = {r.crm_id: r for r in run.rejects.all()}
    expected_rejects = {ids[case]: message for case, (_, message) in cases.items() if message}
    assert {crm_id: r.message for crm_id, r in rejected.items()} == expected_rejects
    assert {r.code for r in rejected.values()} == {"LOCAL_VALUE_REJECTED"}
    imported = set(rows(schema).values_list("crm_id", flat=True))
    assert not imported & set(expected_rejects)
    assert {ids[case] for case, (_, message) in cases.items() if not message} <= imported
    total = crm.count()
    assert counters(run)["read"] == total and len(imported) == total - len(expected_rejects)
    if crm.crm == "salesforce":
        description = schema.fields.get(crm_name="Description").column_name
        assert len(getattr(rows(schema).get(crm_id=ids["1 MB in a long text"]), description)) == 1_000_000
