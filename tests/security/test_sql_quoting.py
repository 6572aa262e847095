"""Nothing a user or a CRM supplies reaches SQL unquoted: every SQL text the
product builds itself (outside Django's ORM) interpolates only identifiers passed
through the database's quote_name, or placeholders — read from the code (AST) —
and a table generated from hostile CRM names stores and updates hostile values
on PostgreSQL without touching anything else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.db import connection

from connectors.models import ExternalAccount
from connectors.types import FieldDescription as F
from connectors.types import FieldType as T
from connectors.types import TableDescription
from tests.fixtures.services import require_postgresql
from wizard import generation
from wizard.live_models import model_for
from workflows import bulk_sql

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = [p for package in ("crmsync", "connectors", "wizard", "workflows") for p in (ROOT / package).rglob("*.py")
           if "migrations" not in p.parts and "emulator" not in p.parts]
EXECUTORS = {"execute", "executemany", "execute_values", "RawSQL", "raw", "extra"}
QUOTERS = {"quote", "quote_name"}
# SQL texts that are not built here, each with the reason it is safe.
NOT_BUILT_HERE = {
    ("wizard/ddl.py", "sql"): "statements Django's schema editor generated (deferred_sql), identifiers quoted by Django",
    ("wizard/ddl.py", "statement"): "the trigger statements of _trigger_sql, checked by the test below",
}


def functions(tree):
    return [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def called_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def assignments(function) -> dict[str, list[ast.AST]]:
    found: dict[str, list[ast.AST]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                values = node.value.elts if isinstance(node.value, ast.Tuple) and isinstance(target, ast.Tuple) \
                    else [node.value] * len(names)
                for name, value in zip(names, values):
                    if isinstance(name, ast.Name):
                        found.setdefault(name.id, []).append(value)
    return found


def safe(node, assigned, depth=0) -> bool:
    """True when `node` can only produce quoted identifiers, placeholders or constant SQL."""
    if depth > 8:
        return False
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call) and called_name(node) in QUOTERS:
        return True
    if isinstance(node, ast.Name):
        values = assigned.get(node.id)
        return bool(values) and all(safe(v, assigned, depth + 1) for v in values)
    if isinstance(node, ast.JoinedStr):
        return all(safe(part, assigned, depth + 1) for part in node.values)
    if isinstance(node, ast.FormattedValue):
        return safe(node.value, assigned, depth + 1)
    if isinstance(node, ast.BinOp):
        return safe(node.left, assigned, depth + 1) and safe(node.right, assigned, depth + 1)
    if isinstance(node, ast.List):
        return all(safe(e, assigned, depth + 1) for e in node.elts)
    if isinstance(node, ast.Call) and called_name(node) == "join" and isinstance(node.func, ast.Attribute):
        return safe(node.func.value, assigned, depth + 1) and all(safe(a, assigned, depth + 1) for a in node.args)
    if isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        return safe(node.elt, assigned, depth + 1)
    if isinstance(node, ast.Call) and called_name(node) == "len":
        return True  # a count, e.g. ["%s"] * len(fields)
    return False


def sql_argument(call: ast.Call):
    if called_name(call) == "execute_values":
        return call.args[1] if len(call.args) > 1 else None
    return call.args[0] if call.args else None


def test_every_sql_text_built_in_the_product_interpolates_only_quoted_identifiers():
    checked, unsafe = [], []
    for path in PRODUCT:
        relative = str(path.relative_to(ROOT))
        for function in functions(ast.parse(path.read_text())):
            assigned = assignments(function)
            for call in (n for n in ast.walk(function) if isinstance(n, ast.Call)):
                if called_name(call) not in EXECUTORS or (argument := sql_argument(call)) is None:
                    continue
                if isinstance(argument, ast.Name) and (relative, argument.id) in NOT_BUILT_HERE:
                    checked.append(f"{relative}:{call.lineno} (documented)")
                    continue
                (checked if safe(argument, assigned) else unsafe).append(f"{relative}:{call.lineno}")
    assert unsafe == []
    assert len(checked) >= 7, checked  # ddl (4), bulk_sql (4), enumeration_usage (1)


def test_the_trigger_statements_quote_every_identifier():
    tree = ast.parse((ROOT / "wizard/ddl.py").read_text())
    trigger = next(f for f in functions(tree) if f.name == "_trigger_sql")
    assigned = assignments(trigger)
    texts = [n for n in ast.walk(trigger) if isinstance(n, ast.JoinedStr)]
    assert len(texts) >= 4 and all(safe(t, assigned) for t in texts)


HOSTILE_FIELDS = [
    'Robert"); DROP TABLE auth_user; --', 'a"b', "x' OR '1'='1", "select", "Ünïcødé ☃ naïve", "id", "crm_id",
    "N" * 100, "semi;colon", "back\\slash",
]
HOSTILE_VALUES = ["'); DROP TABLE auth_user; --", 'quote " double', "\\", "%s", "%(x)s", "$1", "Ünïcødé ☃"]


def hostile_table() -> TableDescription:
    fields = [F("Id", "Id", T.ID, "id", length=18, nullable=False, read_only=True, primary_key=True),
              F("SystemModstamp", "Stamp", T.DATETIME, "datetime", read_only=True)]
    fields += [F(name, name, T.STRING, "string", length=60) for name in HOSTILE_FIELDS]
    return TableDescription('Evil"; DROP TABLE auth_user; --', "Evil", tuple(fields), id_field="Id",
                            modstamp_field="SystemModstamp")


@pytest.mark.django_db(transaction=True)
def test_hostile_crm_names_and_values_round_trip_through_generated_sql_on_postgresql():
    require_postgresql("quoting of generated identifiers and bulk SQL")
    before = set(connection.introspection.table_names())
    account = ExternalAccount.objects.create(name="Evil", internal_name="evil", crm_type="salesforce",
                                             server_url="https://crm.example.invalid")
    schema = generation.generate(account, [hostile_table()])[0].schema
    columns = {f.crm_name: f.column_name for f in schema.fields.all()}
    assert all(c.isascii() and c.replace("_", "").isalnum() and c == c.lower() and len(c) <= 63
               for c in [schema.table_name, *columns.values()])
    model = model_for(schema)
    hostile = [columns[name] for name in HOSTILE_FIELDS]
    rows = [{"crm_id": f"evil-{i}", "is_deleted": False, **{c: HOSTILE_VALUES[(i + j) % len(HOSTILE_VALUES)] for j, c in enumerate(hostile)}}
            for i in range(len(HOSTILE_VALUES))]
    bulk_sql.insert(model, rows)
    stored = {r.crm_id: r for r in model.objects.all()}
    assert {k: {c: getattr(stored[k], c) for c in hostile} for k in stored} == {
        r["crm_id"]: {c: r[c] for c in hostile} for r in rows}
    changed = [{"id": stored[r["crm_id"]].id, **{c: r[c][::-1] for c in hostile}} for r in rows]
    bulk_sql.update(model, changed, hostile)
    assert {getattr(r, hostile[0]) for r in model.objects.all()} == {v[::-1] for v in HOSTILE_VALUES}
    after = set(connection.introspection.table_names())
    assert after - before == {schema.table_name} and "auth_user" in after
