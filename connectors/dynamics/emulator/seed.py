"""Rows for the demo environment, and a fast generator of N rows for any entity
(used for volume tests and benchmarks: a million contacts is a matter of seconds)."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date, timedelta

from . import credentials as demo
from .metadata import AttributeDef, EntityDef
from .store import Store

FIRST_NAMES = ("Ada", "Bruno", "Chloé", "Dmitri", "Élodie", "Farid", "Grace", "Hiroshi", "Inès", "Jonas", "Kai", "Léa",
               "Mei", "Noah", "Olga", "Pablo", "Quentin", "Rosa", "Sven", "Tao", "Ursula", "Victor", "Wen", "Yara")
LAST_NAMES = ("Lovelace", "Martin", "Dubois", "Ivanov", "Bernard", "Haddad", "Hopper", "Tanaka", "Moreau", "Berg",
              "O'Neill", "Petit", "Lin", "Smith", "Novak", "García", "Leroy", "Rossi", "Larsen", "Chen", "Klein")
CITIES = ("Paris", "Lyon", "Taipei", "Montréal", "Berlin", "Seattle", "Nantes", "Kaohsiung")
ACCOUNT_IDS = ("a0000000-0000-4000-8000-000000000001", "a0000000-0000-4000-8000-000000000002",
               "a0000000-0000-4000-8000-000000000003")
PROGRAM_IDS = ("10000000-0000-4000-8000-000000000001", "10000000-0000-4000-8000-000000000002")


def seed_demo(store: Store) -> dict[str, int]:
    """The demo environment's records: a user, programs, accounts, contacts, leads, opportunities."""
    entities = store.entities
    rows = {
        "systemuser": [{"systemuserid": demo.USER_OBJECT_ID, "fullname": "Demo User", "domainname": demo.USERNAME,
                        "internalemailaddress": demo.USERNAME, "isdisabled": 0}],
        "cr8a1_loyaltyprogram": [
            {"cr8a1_loyaltyprogramid": PROGRAM_IDS[0], "cr8a1_name": "Club Essentiel", "cr8a1_tier": 100000000,
             "cr8a1_pointsmultiplier": 1.0, "cr8a1_startdate": "2023-01-01"},
            {"cr8a1_loyaltyprogramid": PROGRAM_IDS[1], "cr8a1_name": "Club Prestige", "cr8a1_tier": 100000002,
             "cr8a1_pointsmultiplier": 2.5, "cr8a1_startdate": "2024-03-15"}],
        "account": [
            {"accountid": ACCOUNT_IDS[0], "name": "Contoso Pharmaceuticals", "accountnumber": "ACC-001",
             "industrycode": 3, "revenue": 12500000.0, "numberofemployees": 820, "cr8a1_segment": 100000002},
            {"accountid": ACCOUNT_IDS[1], "name": "Fabrikam Café", "accountnumber": "ACC-002", "industrycode": 4,
             "revenue": 480000.5, "numberofemployees": 12, "cr8a1_segment": 100000001},
            {"accountid": ACCOUNT_IDS[2], "name": "台北貿易有限公司", "accountnumber": "ACC-003", "industrycode": 1,
             "revenue": 3100000.0, "numberofemployees": 95}],
        "contact": [_demo_contact(i) for i in range(6)],
        "lead": [{"subject": f"Interested in {topic}", "firstname": first, "lastname": last, "companyname": company,
                  "leadsourcecode": source, "estimatedamount": amount}
                 for topic, first, last, company, source, amount in (
                     ("the loyalty programme", "Nina", "Weber", "Weber GmbH", 8, 5000.0),
                     ("bulk orders", "Omar", "Said", "Said Trading", 1, 25000.0),
                     ("a partnership", "Lucie", "Roux", "Roux & Fils", 2, None))],
        "opportunity": [
            {"name": "Contoso renewal", "customerid": ACCOUNT_IDS[0], "customerid__target": "account",
             "estimatedvalue": 150000.0, "estimatedclosedate": "2026-09-30", "closeprobability": 60},
            {"name": "Fabrikam espresso machines", "customerid": ACCOUNT_IDS[1], "customerid__target": "account",
             "estimatedvalue": 12000.0, "estimatedclosedate": "2026-07-15", "closeprobability": 35}],
    }
    return {name: store.bulk_insert(entities[name], records) for name, records in rows.items()}


def _demo_contact(i: int) -> dict:
    first, last = FIRST_NAMES[i], LAST_NAMES[i]
    return {"contactid": f"c0000000-0000-4000-8000-00000000000{i + 1}", "firstname": first, "lastname": last,
            "emailaddress1": f"{first.lower()}.{last.lower()}@example.com".replace("'", ""),
            "telephone1": f"+33 1 23 45 67 0{i}", "jobtitle": ("Buyer", "CEO", "Engineer")[i % 3],
            "address1_city": CITIES[i], "preferredcontactmethodcode": 1 + i % 5, "gendercode": 1 + i % 2,
            "cr8a1_interests": ",".join(str(100000000 + k) for k in range(i % 3 + 1)),
            "cr8a1_segment": 100000000 + i % 3, "birthdate": f"19{70 + i}-0{1 + i}-1{i}",
            "lastusedincampaign": 1735689600000000 + i * 86400000000, "creditlimit": 1000.0 * (i + 1) + 0.25,
            "cr8a1_loyaltyscore": 12.3456 * (i + 1), "cr8a1_engagementrate": 0.12345 * (i + 1),
            "numberofchildren": i % 4, "cr8a1_lifetimepoints": 10_000_000_000 + i, "donotemail": i % 2,
            "description": "Première ligne\nsecond line — 第三行", "cr8a1_externalid": f"EXT-{i + 1:04d}",
            "parentcustomerid": ACCOUNT_IDS[i % 3], "parentcustomerid__target": "account",
            "cr8a1_loyaltyprogramid": PROGRAM_IDS[i % 2], "cr8a1_loyaltyprogramid__target": "cr8a1_loyaltyprogram"}


def generate(entity: EntityDef, count: int, start: int = 0, seed: int = 7) -> Iterator[dict]:
    """`count` plausible rows for any entity, built from its metadata."""
    rng = random.Random(seed + start)
    makers = [(attribute.name, _maker(entity, attribute, rng)) for attribute in entity.attributes
              if attribute.create and not attribute.primary_id and attribute.name != "ownerid"]
    targets = [(attribute.name, attribute.name + "__target", attribute.targets[0])
               for attribute in entity.attributes if attribute.is_lookup and attribute.name != "ownerid"]
    for index in range(start, start + count):
        row = {name: maker(index) for name, maker in makers}
        row[entity.primary_id] = _guid(rng.getrandbits(128))
        for name, target_column, target in targets:
            if row[name] is not None:
                row[target_column] = target
        yield row


def _guid(bits: int) -> str:
    text = f"{bits:032x}"
    return f"{text[:8]}-{text[8:12]}-4{text[13:16]}-8{text[17:20]}-{text[20:32]}"


def _maker(entity: EntityDef, attribute: AttributeDef, rng: random.Random):
    kind = attribute.type
    if kind in ("String", "Memo"):
        return _text_maker(attribute)
    if kind in ("Picklist", "Status"):
        values = sorted(attribute.option_set.values())
        return (lambda i: values[i % len(values)]) if kind == "Picklist" else (lambda i: None)
    if kind == "MultiSelectPicklist":
        values = sorted(attribute.option_set.values())
        return lambda i: ",".join(str(v) for v in values[i % len(values): i % len(values) + 2])
    if kind == "Boolean":
        return lambda i: i % 2
    if kind in ("Integer", "BigInt"):
        return (lambda i: i % 7) if kind == "Integer" else (lambda i: 10_000_000_000 + i)
    if kind in ("Money", "Decimal", "Double"):
        return lambda i: round(rng.uniform(0, 100000), attribute.precision or 2)
    if kind == "DateTime":
        return _date_maker(attribute)
    if attribute.is_lookup:
        return _lookup_maker(attribute)
    return lambda i: None


def _text_maker(attribute: AttributeDef):
    length = attribute.max_length or 100
    if attribute.name == "firstname":
        return lambda i: FIRST_NAMES[i % len(FIRST_NAMES)]
    if attribute.name == "lastname":
        return lambda i: f"{LAST_NAMES[i % len(LAST_NAMES)]}-{i}"[:length]
    if attribute.format == "Email":
        return lambda i: f"person{i}@example.com"[:length]
    if attribute.format == "Phone":
        return lambda i: f"+1 555 {i % 10_000_000:07d}"
    if attribute.name == "cr8a1_externalid":
        return lambda i: f"GEN-{i:08d}"
    if attribute.name == "address1_city":
        return lambda i: CITIES[i % len(CITIES)]
    return lambda i: f"{attribute.name} {i}"[:length]


def _date_maker(attribute: AttributeDef):
    if attribute.format == "DateOnly":
        origin = date(1950, 1, 1)
        return lambda i: (origin + timedelta(days=i % 20000)).isoformat()
    return lambda i: 1_700_000_000_000_000 + i * 60_000_000


def _lookup_maker(attribute: AttributeDef):
    if attribute.name == "parentcustomerid":
        cycle = itertools.cycle(ACCOUNT_IDS)
        return lambda i: next(cycle)
    if attribute.name == "cr8a1_loyaltyprogramid":
        return lambda i: PROGRAM_IDS[i % 2]
    return lambda i: None


def seed_rows(store: Store, entity_name: str, count: int) -> int:
    """Insert `count` generated rows; their modifiedon follow each other by a microsecond."""
    entity = store.entities[entity_name]
    start = store.count(entity)
    return store.bulk_insert(entity, generate(entity, count, start))
