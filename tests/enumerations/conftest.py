"""Enumeration test helpers: generated schemas of the demo tables of each CRM,
rows written straight into their tables, and the sync API called as a client would."""

from __future__ import annotations

import time

import pytest

from wizard import generation
from wizard.live_models import model_for
from wizard.models import DataSchema, EnumerationSyncJob

DEMO_TABLES = {"salesforce": ["Contact", "Lead", "Loyalty_Program__c"],
               "dynamics": ["contact", "account", "lead", "cr8a1_loyaltyprogram"]}


def generate_demo_schemas(account) -> dict[str, DataSchema]:
    tables = DEMO_TABLES[account.crm_type]
    with account.connector() as connector:
        descriptions = connector.describe_tables(tables)
    outcomes = generation.generate(account, [descriptions[name] for name in tables])
    return {outcome.crm_name: outcome.schema for outcome in outcomes}


@pytest.fixture
def crm_schemas(crm_account):
    return generate_demo_schemas(crm_account)


def add_row(schema: DataSchema, crm_id: str, **columns):
    return model_for(schema).objects.create(crm_id=crm_id, **columns)


def column_of(schema: DataSchema, crm_name: str) -> str:
    return schema.fields.get(crm_name=crm_name).column_name


def sync(api, account, *mappings, status=200, **extra):
    body = {"mappings": [{"crm": crm, "enumeration": name, "replace": replace} for crm, name, replace in mappings],
            **extra}
    answer = api.post(f"/api/external-accounts/{account.pk}/enumerations/sync/", body, format="json")
    assert answer.status_code == status, answer.content
    return answer.json()


def by_crm(results) -> dict[str, dict]:
    return {row["crm"]: row for row in results}


NO_CHANGE = {"added": 0, "relabelled": 0, "deactivated": 0, "reactivated": 0, "removed": 0, "updated": 0,
             "reordered": 0, "rows_in_use": 0}


def wait_for(job: EnumerationSyncJob, seconds: float = 30) -> EnumerationSyncJob:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.finished:
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job.pk} still {job.status} after {seconds}s")
