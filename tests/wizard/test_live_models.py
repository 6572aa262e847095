"""The live-model promise: a schema generated (or changed) by one process is usable
by every other process at once, without a restart. Proved with a real second
process on PostgreSQL, and in-process on both databases by leaving a process's
cache as stale as another process's would be."""

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from tests.fixtures.accounts import api_client_for
from tests.fixtures.services import require_postgresql
from wizard import live_models
from wizard.live_models import model_for_id

pytestmark = pytest.mark.django_db(transaction=True)

NEW_FIELD = {"salesforce": ("Twitter__c", "twitter_c"), "dynamics": ("cr8a1_twitter", "cr8a1_twitter")}

# A long-lived process, started before any schema exists: it answers one schema id
# per line with the columns of its model and the crm_ids of the rows it can read,
# after writing one row of its own.
WORKER = """
import json, sys, django
django.setup()
from wizard.models import DataSchema
from wizard.live_models import model_for_id
print(json.dumps({"schemas": DataSchema.objects.count()}), flush=True)
for line in sys.stdin:
    model = model_for_id(int(line))
    model.objects.get_or_create(crm_id="from-worker")
    print(json.dumps({"columns": sorted(f.column for f in model._meta.concrete_fields),
                      "rows": sorted(model.objects.values_list("crm_id", flat=True))}), flush=True)
"""


def database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def generate(api, account, table) -> dict:
    response = api.post(f"/api/external-accounts/{account.pk}/schemas/", {"tables": [table]}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()[0]


def test_a_process_started_before_the_schema_existed_uses_it_and_its_changes_without_restart(
        crm_account, org, admin_api):
    require_postgresql("a second process needs a database it can reach")
    env = {**os.environ, "DATABASE_URL": database_url(), "DJANGO_SETTINGS_MODULE": "crmsync.settings"}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], cwd=Path(settings.BASE_DIR), env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert json.loads(worker.stdout.readline()) == {"schemas": 0}

        schema = generate(admin_api, crm_account, org.contact)["schema"]
        model_for_id(schema["id"]).objects.create(crm_id="from-web")
        worker.stdin.write(f"{schema['id']}\n")
        worker.stdin.flush()
        seen = json.loads(worker.stdout.readline())
        assert seen["rows"] == ["from-web", "from-worker"]
        assert NEW_FIELD[crm_account.crm_type][1] not in seen["columns"]
        assert model_for_id(schema["id"]).objects.filter(crm_id="from-worker").exists()

        org.add_text_field(org.contact, NEW_FIELD[crm_account.crm_type][0], "Twitter", 15)
        assert generate(admin_api, crm_account, org.contact)["action"] == "updated"
        worker.stdin.write(f"{schema['id']}\n")
        worker.stdin.flush()
        assert NEW_FIELD[crm_account.crm_type][1] in json.loads(worker.stdout.readline())["columns"]
    finally:
        worker.stdin.close()
        worker.wait(timeout=30)


def test_a_stale_process_cache_gives_way_to_the_schema_version_in_the_database(crm_account, org, superuser):
    schema_id = generate(api_client_for(superuser), crm_account, org.contact)["schema"]["id"]
    stale = model_for_id(schema_id)
    column = NEW_FIELD[crm_account.crm_type][1]
    assert column not in {f.column for f in stale._meta.concrete_fields}
    org.add_text_field(org.contact, NEW_FIELD[crm_account.crm_type][0], "Twitter", 15)

    def another_administrator():  # another thread, another database connection
        try:
            generate(api_client_for(superuser), crm_account, org.contact)
        finally:
            connection.close()

    thread = threading.Thread(target=another_administrator)
    thread.start()
    thread.join(timeout=60)
    # This process never heard of the change: its cache still holds the old model.
    live_models._cache[schema_id] = (stale.crmsync_schema_version, stale)

    fresh = model_for_id(schema_id)
    assert fresh is not stale and fresh.crmsync_schema_version == stale.crmsync_schema_version + 1
    fresh.objects.create(crm_id="after-change", **{column: "@crmsync"})
    assert fresh.objects.get(crm_id="after-change").__dict__[column] == "@crmsync"
    assert model_for_id(schema_id) is fresh  # cached again until the next change
