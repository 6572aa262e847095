"""SOQL and OData injection attempts through a workflow's filter and the records
API: the values reach each emulator quoted (asserted on the exact query it
received), match only records holding exactly those values, and field names
from users are refused. Nothing widens the result."""

from __future__ import annotations

import re

import pytest

from tests.workflows.helpers import generate, rows, run_now, workflow
from workflows import budget

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = [
    "' OR Name != '",
    ") or (1 eq 1",
    "x' or lastname ne 'x",
    "back\\slash",
    "trailing\\",
    "\\' OR Id != null OR Name = \\'",
    "’ OR ’1’=’1",
    "name -- comment",
    "a; DELETE FROM Contact",
    "100% _match_",
]
# The WHERE / $filter each CRM must receive for LastName in HOSTILE: every quote
# and backslash escaped the CRM's way, nothing else touched.
SOQL_IN = ("LastName IN ('\\' OR Name != \\'', ') or (1 eq 1', 'x\\' or lastname ne \\'x', 'back\\\\slash', "
           "'trailing\\\\', '\\\\\\' OR Id != null OR Name = \\\\\\'', '’ OR ’1’=’1', 'name -- comment', "
           "'a; DELETE FROM Contact', '100% _match_')")
ODATA_IN = ("(lastname eq ''' OR Name != ''' or lastname eq ') or (1 eq 1' or lastname eq 'x'' or lastname ne ''x' "
            "or lastname eq 'back\\slash' or lastname eq 'trailing\\' or lastname eq '\\'' OR Id != null OR Name = \\''' "
            "or lastname eq '’ OR ’1’=’1' or lastname eq 'name -- comment' or lastname eq 'a; DELETE FROM Contact' "
            "or lastname eq '100% _match_')")


def received_queries(crm) -> list[str]:
    marker = "q=" if crm.crm == "salesforce" else "$filter="
    return [path.split(marker, 1)[1] for _, path in crm.emulator.instrumentation.received() if marker in path]


def test_hostile_filter_values_are_quoted_and_match_only_their_own_records(crm_account, crm):
    targets = {crm.create(**{crm.name_field: value}): value for value in HOSTILE}
    schema = generate(crm_account, crm.table)
    crm.emulator.instrumentation.forget_received()
    wf = workflow(crm_account, schema, ("import", {"incremental": False, "filter": [
        {"field": crm.name_field, "op": "in", "value": HOSTILE}]}))
    run = run_now(wf)
    assert run.status == "succeeded", run.log
    assert set(rows(schema).values_list("crm_id", flat=True)) == set(targets)  # exactly those, none widened
    budget.preview(wf)  # the forecast shown before a run counts with the same filter
    queries = received_queries(crm)
    assert len(queries) == 2  # the read (its budget far, the run's forecast counted nothing), the count
    expected = SOQL_IN if crm.crm == "salesforce" else ODATA_IN
    for query in queries:
        assert expected in query, query


def test_a_hostile_value_in_any_text_operator_never_widens_the_read(crm_account, crm):
    """' OR Name != ' as contains / starts_with / eq reads nothing (no record holds it);
    as ne it reads every record — never fewer, never a syntax error."""
    schema = generate(crm_account, crm.table)
    total = crm.count()
    for op in ("contains", "starts_with", "eq", "ne"):
        rows(schema).delete()
        wf = workflow(crm_account, schema, ("import", {"incremental": False, "filter": [
            {"field": crm.name_field, "op": op, "value": "' OR Name != '"}]}), name=f"wf-{op.replace('_', '-')}")
        run = run_now(wf)
        assert run.status == "succeeded", run.log
        assert rows(schema).count() == (total if op == "ne" else 0), op


def test_field_names_smuggling_query_text_are_refused_with_400(admin_api, crm_account, crm):
    generate(crm_account, crm.table)
    for field in (f"{crm.name_field}) OR (1=1", f"{crm.name_field} eq 'x' or 1 eq 1 or {crm.name_field}",
                  f"{crm.name_field}--", "Id; DELETE"):
        body = {"name": "Injected", "account": crm_account.pk, "activities": [
            {"operation": "import", "table": crm.table, "filter": [{"field": field, "op": "eq", "value": "x"}]}]}
        response = admin_api.post("/api/workflows/", body, format="json")
        assert response.status_code == 400
        assert response.json() == {"activities[0].filter[0]": [f"unknown field {field!r}"]}
    assert admin_api.get("/api/workflows/").json()["count"] == 0


def test_records_api_filters_treat_hostile_text_as_plain_values(admin_api, crm_account, crm):
    """?column=value and ?search= over PostgreSQL: hostile text finds only the row holding it."""
    schema = generate(crm_account, crm.table)
    run_now(workflow(crm_account, schema, ("import", {"incremental": False})))
    column = schema.fields.get(crm_name=crm.name_field).column_name
    model = rows(schema).model
    total = model.objects.count()
    model.objects.create(crm_id="hostile-local", **{column: "' OR '1'='1"})
    url = f"/api/schemas/{schema.pk}/records/"
    for value in ("' OR '1'='1", "x' OR 1=1 --", "%", "\\", "'; DROP TABLE auth_user; --"):
        expected = 1 if value == "' OR '1'='1" else 0
        assert admin_api.get(url, {column: value}).json()["count"] == expected, value
        assert admin_api.get(url, {"search": value}).json()["count"] == expected, value
    assert admin_api.get(url, {"search": "' OR '1'='1"}).json()["results"][0]["crm_id"] == "hostile-local"
    refused = admin_api.get(url, {f"{column}; DROP TABLE x": "1", "id) OR (1=1": "1"})
    assert refused.status_code == 400
    assert refused.json() == {f"{column}; DROP TABLE x": ["no such column"], "id) OR (1=1": ["no such column"]}
    assert model.objects.count() == total + 1
    assert re.fullmatch(r"crm_\w+", schema.table_name)
