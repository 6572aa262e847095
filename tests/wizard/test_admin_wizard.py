"""The configuration wizard in the admin console, driven end to end with Django's
test client against both emulators: live test, tables, fields, summary, Generate;
browser back and a repeated final POST; drift shown and applied; the rows browser
and the JSON definition, and who may see them."""

import time
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.workflows.helpers import generate
from wizard.live_models import model_for
from wizard.models import DataSchema, GenerationJob

pytestmark = pytest.mark.django_db


class Cells(HTMLParser):
    """The text of each table row's cells, and each checkbox's state."""

    def __init__(self):
        super().__init__()
        self.rows, self.checked, self._cell = [], {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""
        elif tag == "input" and attrs.get("type") == "checkbox":
            self.checked[(attrs["name"], attrs["value"])] = "checked" in attrs

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def parsed(response, table_id: str | None = None) -> Cells:
    """Rows of the page (of one table, by id: the admin's navigation has tables too)."""
    html = response.content.decode()
    if table_id:
        html = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    cells = Cells()
    cells.feed(html)
    return cells


class Wizard:
    """Posts the wizard's steps as a browser would."""

    def __init__(self, client, account):
        self.client, self.account = client, account
        self.url = reverse("admin:wizard_configuration", args=[account.pk])

    def post(self, step, **data):
        body = {f"configuration_wizard_{self.account.pk}-current_step": step}
        body.update({f"{step}-{name}": value for name, value in data.items()})
        return self.client.post(self.url, body)

    def back(self, current, to):
        return self.client.post(self.url, {f"configuration_wizard_{self.account.pk}-current_step": current,
                                           "wizard_goto_step": to})


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


# Generate hands the job to a worker (a thread here when there is a broker), which
# sees only committed rows: these tests commit.
generates = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("task_runner")]


def generating(test):
    for mark in generates:
        test = mark(test)
    return test


def finished_generation(client, done, seconds: float = 60) -> GenerationJob:
    """Generate redirects to the job's page; wait for the job, then check its page."""
    job = GenerationJob.objects.get()
    assert done.status_code == 302 and done.url == reverse("admin:wizard_generation_job", args=[job.pk])
    deadline = time.monotonic() + seconds
    while not job.finished and time.monotonic() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    page = client.get(done.url).content.decode()
    assert job.finished, f"generation job still {job.status} after {seconds}s"
    assert f'id="generation-progress" max="100" value="{job.progress}"' in page and "elapsed" in page
    assert "fetch(" not in page  # a finished job is not polled
    return job


# Step 3's row of one reference field: CRM name, label, CRM type, column, column type, key.
REFERENCE_ROW = {
    "salesforce": ["AccountId", "Account ID", "reference", "account_id", "varchar(64)", "→ Account"],
    "dynamics": ["parentcustomerid", "Company Name", "Customer", "parentcustomerid", "varchar(64)",
                 "→ account, contact"],
}
FIELD_COUNTS = {"salesforce": (35, 16), "dynamics": (32, 11)}


@generating
def test_the_wizard_generates_chosen_tables_once_through_back_and_a_repeated_post(crm_account, org, admin_client):
    crm = crm_account.crm_type
    generate(crm_account, org.account)  # generated before: marked in step 2
    wizard = Wizard(admin_client, crm_account)
    first = admin_client.get(wizard.url)
    assert first.status_code == 200 and "Step 1: the account" in first.content.decode()

    tables = wizard.post("account", confirm="True")
    html = tables.content.decode()
    assert "Step 2: the CRM's tables" in html
    assert 'id="table-search"' in html and 'id="table-kind"' in html and '<option value="custom">' in html
    rows = {r[1]: r[2:] for r in parsed(tables, "tables-table").rows[1:]}
    assert rows == {name: [label, "custom" if custom else "standard", "✓ generated" if name == org.account else ""]
                    for name, label, custom in org.demo_tables}

    fields = wizard.post("tables", tables=[org.contact, org.custom])
    cells = parsed(fields)
    assert "Step 3: fields" in fields.content.decode()
    assert REFERENCE_ROW[crm] in [r[1:7] for r in cells.rows]
    contact_boxes = [v for (n, v), on in cells.checked.items() if n == f"fields-fields__{org.contact}" and on]
    assert len(contact_boxes) == FIELD_COUNTS[crm][0]  # all checked by default

    kept = [name for name in contact_boxes if name != org.email]
    summary = wizard.post("fields", **{f"fields__{org.contact}": kept,
                                       f"fields__{org.custom}": [v for (n, v) in cells.checked
                                                                 if n == f"fields-fields__{org.custom}"]})
    assert "Step 4: summary" in summary.content.decode()
    assert f"new table, {FIELD_COUNTS[crm][0] - 1} field(s) chosen" in summary.content.decode()

    back = wizard.back("summary", "fields")
    back_cells = parsed(back)
    assert back_cells.checked[(f"fields-fields__{org.contact}", org.email)] is False
    assert back_cells.checked[(f"fields-fields__{org.contact}", org.last_name)] is True
    wizard.post("fields", **{f"fields__{org.contact}": kept,
                             f"fields__{org.custom}": [v for (n, v) in cells.checked
                                                       if n == f"fields-fields__{org.custom}"]})

    done = wizard.post("summary", confirm="True")
    job = finished_generation(admin_client, done)
    contact = DataSchema.objects.get(account=crm_account, crm_name=org.contact)
    custom = DataSchema.objects.get(account=crm_account, crm_name=org.custom)
    assert (job.status, job.done, job.total, job.progress) == ("done", 2, 2, 100)
    assert job.results == [
        f"Generated Contact → table {contact.table_name} ({FIELD_COUNTS[crm][0] - 1} fields).",
        f"Generated {custom.label} → table {custom.table_name} ({FIELD_COUNTS[crm][1]} fields).",
    ]
    assert not contact.fields.filter(crm_name=org.email).exists()
    assert contact.created_by.username == "root-tester"

    again = wizard.post("summary", confirm="True")  # reload / double click after Generate
    assert again.status_code == 200 and "Step 1: the account" in again.content.decode()
    assert DataSchema.objects.filter(account=crm_account).count() == 3
    assert contact.fields.count() == FIELD_COUNTS[crm][0] - 1


READABLE_ERRORS = {
    "salesforce": "Test connection failed: INVALID_LOGIN: Salesforce refused the login: Invalid username, "
                  "password, security token; or user locked out.",
    "dynamics": "Test connection failed: Could not connect to https://localhost:",
}


def test_a_wrong_password_stops_at_step_one_with_the_crms_readable_error(crm_account, admin_client):
    secret = "password" if crm_account.crm_type == "salesforce" else "client_secret"
    crm_account.secrets = {**crm_account.secrets, secret: "wrong-password"}
    crm_account.save()
    wizard = Wizard(admin_client, crm_account)
    response = wizard.post("account", confirm="True")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Step 1: the account" in html and "Step 2" not in html
    error = html.split('<ul class="errorlist nonfield"><li>')[1].split("</li>")[0]
    assert error.startswith(READABLE_ERRORS[crm_account.crm_type])
    if crm_account.crm_type == "dynamics":
        assert "AADSTS7000215: Invalid client secret provided." in error
    assert "wrong-password" not in html


@generating
def test_running_the_wizard_again_shows_drift_and_update_adds_the_new_column(crm_account, org, admin_client):
    schema = generate(crm_account, org.contact)
    model_for(schema).objects.create(crm_id="kept", birthdate="1990-05-17")
    new_field = "Twitter__c" if crm_account.crm_type == "salesforce" else "cr8a1_twitter"
    org.add_text_field(org.contact, new_field, "Twitter", 15)
    org.remove_field(org.contact, org.birthdate)
    org.set_length(org.contact, org.last_name, 120)
    wizard = Wizard(admin_client, crm_account)
    wizard.post("account", confirm="True")

    fields = wizard.post("tables", tables=[org.contact])
    html = fields.content.decode()
    assert f"Gone from the CRM (columns and data kept): {org.birthdate}" in html
    old = {"salesforce": "string(80)", "dynamics": "string(50)"}[crm_account.crm_type]
    assert f"Type changed in the CRM: {org.last_name} {old} → string(120) (not applied)" in html
    status = {r[1]: r[-1] for r in parsed(fields).rows if len(r) == 8}
    assert (status[new_field], status[org.last_name]) == ("new", "in schema")

    cells = parsed(fields)
    wizard.post("fields", **{f"fields__{org.contact}": [v for (n, v) in cells.checked]})
    done = wizard.post("summary", confirm="True")
    assert finished_generation(admin_client, done).results == [
        f"Updated Contact → table {schema.table_name}: columns added: {new_field}; "
        f"fields gone from the CRM (kept): {org.birthdate}."]
    row = model_for(DataSchema.objects.get(pk=schema.pk)).objects.get(crm_id="kept")
    assert str(row.birthdate) == "1990-05-17"


def test_rows_browser_and_definition_render_the_data(crm_account, org, admin_client):
    schema = generate(crm_account, org.contact, [org.last_name, org.city])
    model = model_for(schema)
    last_name = schema.fields.get(crm_name=org.last_name).column_name
    for i in range(60):
        model.objects.create(crm_id=f"row-{i:02d}", **{last_name: f"Dupré-{i:02d}"})
    rows = admin_client.get(reverse("admin:wizard_dataschema_rows", args=[schema.pk]))
    html = rows.content.decode()
    assert rows.status_code == 200 and "60 row(s)" in html and "page 1 of 2" in html
    assert "Dupré-00" in html and "Dupré-50" not in html
    found = admin_client.get(reverse("admin:wizard_dataschema_rows", args=[schema.pk]), {"search": "dupré-5"})
    body = [r for r in parsed(found).rows if r and r[1].startswith("row-")]
    assert [r[1] for r in body] == [f"row-{i}" for i in range(50, 60)]

    definition = admin_client.get(reverse("admin:wizard_dataschema_definition", args=[schema.pk])).json()
    assert (definition["crm_name"], definition["table_name"]) == (org.contact, schema.table_name)
    assert sorted(f["crm_name"] for f in definition["fields"]) == sorted(
        [org.last_name, org.city, schema.id_field, schema.modstamp_field])


def test_a_staff_user_without_the_view_permission_gets_403(crm_account, org, client):
    schema = generate(crm_account, org.contact, [org.last_name])
    staff = User.objects.create_user("staff-no-view", "s@example.invalid", "pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_externalaccount"))
    client.force_login(staff)
    assert client.get(reverse("admin:wizard_dataschema_rows", args=[schema.pk])).status_code == 403
    assert client.get(reverse("admin:wizard_dataschema_definition", args=[schema.pk])).status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_dataschema"))
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert client.get(reverse("admin:wizard_dataschema_rows", args=[schema.pk])).status_code == 200


def test_wizards_of_two_accounts_in_one_session_keep_their_own_state(salesforce_account, dynamics_account,
                                                                      admin_client):
    salesforce = Wizard(admin_client, salesforce_account)
    salesforce.post("account", confirm="True")
    salesforce.post("tables", tables=["Contact"])
    dynamics = Wizard(admin_client, dynamics_account)
    assert "Step 1: the account" in admin_client.get(dynamics.url).content.decode()
    dynamics.post("account", confirm="True")

    summary = salesforce.post("fields", fields__Contact=["LastName"])
    assert "Step 4: summary" in summary.content.decode()
    assert "new table, 1 field(s) chosen" in summary.content.decode()
    tables = dynamics.post("tables", tables=["contact"])
    assert "Step 3: fields" in tables.content.decode() and "parentcustomerid" in tables.content.decode()


@generating
def test_generation_that_the_crm_refuses_ends_failed_with_the_crms_message(salesforce_account, salesforce_emulator,
                                                                          admin_client):
    wizard = Wizard(admin_client, salesforce_account)
    wizard.post("account", confirm="True")
    fields = wizard.post("tables", tables=["Contact"])
    wizard.post("fields", **{"fields__Contact": [v for (n, v) in parsed(fields).checked]})
    salesforce_emulator.inject("status", r"/composite", status=400, count=5,
                               body='[{"message":"Describe refused by the org","errorCode":"REQUEST_LIMIT_EXCEEDED"}]')
    job = finished_generation(admin_client, wizard.post("summary", confirm="True"))
    assert job.status == "failed", job.results
    assert job.error.startswith("CRM error: ") and "Describe refused by the org" in job.error
    assert not DataSchema.objects.filter(account=salesforce_account).exists()
    status = admin_client.get(reverse("admin:wizard_generation_status", args=[job.pk])).json()
    assert (status["status"], status["finished"], status["error"]) == ("failed", True, job.error)
