"""Data for the emulated org: a small demo org (accounts, contacts, leads,
opportunities, campaigns and members, loyalty programs) and a fast generator of N
records of any object, done in one INSERT ... SELECT inside SQLite so that a
million contacts take seconds, not minutes."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from .ids import sql_make_id
from .schema import FieldDef, ObjectDef
from .state import OrgState
from .store import quoted

NICE_VALUES = {
    "FirstName": ["Anne", "Bruno", "Chloé", "Dmitri", "Élodie", "François", "Günther", "Hana", "Ingrid", "José",
                  "Kenji", "Léa", "Mónica", "Noémie", "Øyvind", "佳子"],
    "LastName": ["Martin", "Bernard", "Dubois", "Müller", "García", "Nguyễn", "O'Brien", "Søndergaard", "Kowalski",
                 "山田", "Rossi", "Silva", "Ivanova", "Lefèvre", "Smith", "Öztürk"],
    "MailingCity": ["Paris", "Montréal", "São Paulo", "東京", "Zürich", "Köln", "Kraków", "Lyon"],
    "BillingCity": ["Paris", "Montréal", "São Paulo", "東京", "Zürich", "Köln", "Kraków", "Lyon"],
    "MailingCountry": ["France", "Canada", "Brasil", "日本", "Schweiz", "Deutschland", "Polska", "France"],
    "Title": ["Directrice marketing", "Head of CRM", "Data Analyst", "CEO", "Responsable fidélité", "営業部長"],
    "Company": ["Acme", "Globex", "Initech", "Umbrella", "Société Générale d'Exemple", "株式会社サンプル"],
}


# --- demo org ---------------------------------------------------------------------------
def seed_demo(org: OrgState) -> dict[str, list[str]]:
    """A small org that exercises every field type; returns the Ids by object."""
    create = lambda name, data: org.writer.create(org.schema.get(name), data)
    accounts = [create("Account", a) for a in DEMO_ACCOUNTS]
    contacts = [create("Contact", {**c, "AccountId": accounts[i % len(accounts)]}) for i, c in enumerate(DEMO_CONTACTS)]
    leads = [create("Lead", lead) for lead in DEMO_LEADS]
    opportunities = [create("Opportunity", {**o, "AccountId": accounts[i]}) for i, o in enumerate(DEMO_OPPORTUNITIES)]
    campaigns = [create("Campaign", c) for c in DEMO_CAMPAIGNS]
    members = [create("CampaignMember", {"CampaignId": campaigns[0], "ContactId": c, "Status": "Sent"}) for c in contacts[:3]]
    programs = [create("Loyalty_Program__c", {**p, "Contact__c": contacts[i]}) for i, p in enumerate(DEMO_PROGRAMS)]
    return {"Account": accounts, "Contact": contacts, "Lead": leads, "Opportunity": opportunities,
            "Campaign": campaigns, "CampaignMember": members, "Loyalty_Program__c": programs}


DEMO_ACCOUNTS = [
    {"Name": "Société Générale d'Exemple", "Type": "Customer - Direct", "Industry": "Banking", "AnnualRevenue": 12500000,
     "NumberOfEmployees": 1200, "BillingCity": "Paris", "BillingCountry": "France", "Account_Number__c": "ACC-0001"},
    {"Name": "株式会社サンプル", "Type": "Prospect", "Industry": "Technology", "NumberOfEmployees": 85,
     "BillingCity": "東京", "BillingCountry": "日本", "Account_Number__c": "ACC-0002"},
    {"Name": "Zürcher Käserei AG", "Type": "Partner", "Industry": "Agriculture", "BillingCity": "Zürich",
     "BillingCountry": "Schweiz", "Account_Number__c": "ACC-0003"},
]
DEMO_CONTACTS = [
    {"FirstName": "Élodie", "LastName": "Lefèvre", "Salutation": "Ms.", "Email": "elodie.lefevre@example.com",
     "Phone": "+33 1 23 45 67 89", "Birthdate": "1985-04-12", "LeadSource": "Web", "Level__c": "Primary",
     "Interests__c": "Running;Yoga", "Region__c": "EMEA", "Sub_Region__c": "France", "Lifetime_Value__c": 1234.56,
     "Discount__c": 12.5, "Score__c": 87.1234, "Visit_Count__c": 42, "Last_Purchase__c": "2024-03-01T10:15:00.000+0000",
     "VIP__c": True, "External_Id__c": "CRM-0001", "Title": "Directrice marketing", "MailingCity": "Paris"},
    {"FirstName": "佳子", "LastName": "山田", "Email": "yoshiko.yamada@example.jp", "LeadSource": "Partner Referral",
     "Level__c": "Secondary", "Interests__c": "Hiking", "Region__c": "APAC", "Sub_Region__c": "日本",
     "Lifetime_Value__c": 99.9, "External_Id__c": "CRM-0002", "MailingCity": "東京"},
    {"FirstName": "Seán", "LastName": "O'Brien", "Email": "sean.obrien@example.ie", "HasOptedOutOfEmail": True,
     "Region__c": "EMEA", "Sub_Region__c": "Deutschland", "External_Id__c": "CRM-0003"},
    {"LastName": "Nguyễn", "Email": "nguyen@example.com", "Description": "Ligne 1\nLigne 2 — « citation »",
     "External_Id__c": "CRM-0004"},
]
DEMO_LEADS = [
    {"FirstName": "Ana", "LastName": "García", "Company": "Globex", "Email": "ana.garcia@example.es", "LeadSource": "Trade Show"},
    {"LastName": "Müller", "Company": "Initech", "Status": "Working - Contacted", "Rating": "Hot"},
]
DEMO_OPPORTUNITIES = [
    {"Name": "Renouvellement 2025", "StageName": "Proposal/Price Quote", "CloseDate": "2025-06-30", "Amount": 25000},
    {"Name": "新規導入", "StageName": "Prospecting", "CloseDate": "2025-09-30", "Amount": 8000.5, "Probability": 10},
]
DEMO_CAMPAIGNS = [
    {"Name": "Printemps 2025", "Type": "Email", "Status": "In Progress", "StartDate": "2025-03-20", "IsActive": True},
    {"Name": "Webinar CRM", "Type": "Webinar", "Status": "Planned"},
]
DEMO_PROGRAMS = [
    {"Name": "Club Or", "Tier__c": "Gold", "Points__c": 15200, "Start_Date__c": "2023-01-15", "Active__c": True,
     "Channels__c": "Email;SMS", "Program_Code__c": "LP-001"},
    {"Name": "ブロンズ会員", "Tier__c": "Bronze", "Points__c": 120, "Program_Code__c": "LP-002"},
]


# --- generated records ---------------------------------------------------------------
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def generate(org: OrgState, object_name: str, count: int) -> int:
    """Insert `count` generated records of `object_name`, with consecutive Ids and
    strictly increasing stamps; returns the number of the first Id."""
    obj = org.schema.get(object_name)
    first = org.store.ids.reserve(count)
    start = org.clock.reserve(count)
    columns, expressions, params = [], [], []
    for f in obj.fields:
        expression = system_expression(org, obj, f, first, start) or value_expression(org, obj, f, first, params)
        if expression is not None:
            columns.append(quoted(f.name))
            expressions.append(expression)
    # The stamp is computed once per row (materialized), then used three times.
    sql = (f"WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {int(count) - 1}), "
           f"seq(i, stamp) AS MATERIALIZED (SELECT i, {stamp_sql(f'{start_ms(start)} + i')} FROM n) "
           f"INSERT INTO {quoted(obj.name)} ({', '.join(columns)}) SELECT {', '.join(expressions)} FROM seq")
    with org.store.lock:
        org.store.db.execute(sql, params)
    return first


def start_ms(start: datetime) -> int:
    return round((start - EPOCH).total_seconds() * 1000)


def stamp_sql(ms_sql: str) -> str:
    """The stored datetime of a Unix time in ms, in SQL (exact to the millisecond)."""
    return f"strftime('%Y-%m-%dT%H:%M:%f', ({ms_sql}) / 1000.0, 'unixepoch') || '+0000'"


def system_expression(org: OrgState, obj: ObjectDef, f: FieldDef, first: int, start) -> str | None:
    admin = f"'{org.store.admin_id}'"
    return {
        "Id": sql_make_id(obj.key_prefix, f"{first} + i"), "IsDeleted": "0", "OwnerId": admin, "CreatedById": admin,
        "LastModifiedById": admin, "CreatedDate": "stamp",
        "LastModifiedDate": "stamp", "SystemModstamp": "stamp",
    }.get(f.name)


def pick(items: list, params: list, offset: str = "i") -> str:
    """An SQL expression choosing items[(offset) % len(items)] from a bound JSON array."""
    params.append(json.dumps(items, ensure_ascii=False))
    return f"json_extract(?, '$[' || (({offset}) % {len(items)}) || ']')"


def value_expression(org: OrgState, obj: ObjectDef, f: FieldDef, first: int, params: list) -> str | None:
    if f.name == "Name" and obj.field("FirstName") and obj.field("LastName"):
        return f"{pick(NICE_VALUES['FirstName'], params)} || ' ' || {pick(NICE_VALUES['LastName'], params, 'i / 16')}"
    if f.name in NICE_VALUES:
        return pick(NICE_VALUES[f.name], params, "i / 16" if f.name == "LastName" else "i")
    if f.external_id or f.unique:
        return f"'GEN-{obj.key_prefix}-' || ({first} + i)"
    if not f.createable:
        return None
    builder = TYPE_EXPRESSIONS.get(f.type)
    return builder(org, obj, f, params) if builder else None


def text_expression(org, obj, f, params) -> str:
    return f"substr('{f.name.replace('__c', '')} ' || i, 1, {f.length})"


def picklist_expression(org, obj, f, params) -> str | None:
    active = [e.value for e in f.picklist if e.active]
    if f.controller:
        return dependent_expression(obj, f, params)
    if f.type == "multipicklist":
        return f"{pick(active, params)} || CASE WHEN i % 3 = 0 THEN ';' || {pick(active, params, 'i + 1')} ELSE '' END"
    return pick(active, params)


def dependent_expression(obj: ObjectDef, f: FieldDef, params: list) -> str:
    """A value valid for the controlling value the controller's expression picks."""
    controller = obj.field(f.controller)
    controlling = [e.value for e in controller.picklist if e.active]
    choices = [next((e.value for e in f.picklist if c in e.valid_for), None) for c in controlling]
    return pick(choices, params)


def reference_expression(org, obj, f, params) -> str | None:
    target = org.schema.get(f.reference_to[0])
    if target.name == "User":
        return f"'{org.store.admin_id}'"
    targets = [row[0] for row in org.store.query(f"SELECT Id FROM {quoted(target.name)} WHERE IsDeleted = 0 LIMIT 200")]
    return pick(targets, params) if targets else None


def number_expression(org, obj, f, params) -> str:
    ceiling = 10 ** max((f.precision or 9) - f.scale, 1) - 1
    return f"min(round((i % 100000) * 1.37, {f.scale}), {ceiling})"


TYPE_EXPRESSIONS = {
    "string": text_expression, "textarea": lambda o, ob, f, p: f"'Generated {ob.name} ' || i",
    "email": lambda o, ob, f, p: f"'{ob.name.lower().replace('__c', '')}' || i || '@example.com'",
    "phone": lambda o, ob, f, p: "printf('+33 1 %08d', i % 100000000)",
    "url": lambda o, ob, f, p: "'https://example.com/' || i",
    "picklist": picklist_expression, "multipicklist": picklist_expression,
    "boolean": lambda o, ob, f, p: "(i % 7 = 0)", "int": lambda o, ob, f, p: "(i % 1000)",
    "double": number_expression, "currency": number_expression, "percent": number_expression,
    "date": lambda o, ob, f, p: "date('1960-01-01', '+' || (i % 20000) || ' days')",
    "datetime": lambda o, ob, f, p: "strftime('%Y-%m-%dT%H:%M:%S.000+0000', 1600000000 + (i * 37) % 100000000, 'unixepoch')",
    "reference": reference_expression,
}
