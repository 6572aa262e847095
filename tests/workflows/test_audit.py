"""Reconciliation audits over both emulators: the id sets and values compared,
the report kept with its counts, samples and calls, and the one-click repairs
checked row by row against the CRM."""

import math

import pytest
from django_celery_beat.models import PeriodicTask

from tests.workflows.helpers import generate, rows, run_now, workflow
from workflows.audit_models import AuditReport
from workflows.models import Run

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def synchronous(settings):
    settings.CRMSYNC_IN_PROCESS_TASKS = True
    settings.CRMSYNC_IN_PROCESS_SYNCHRONOUS = True


@pytest.fixture
def imported(crm_account, crm):
    crm.generate(20)
    schema = generate(crm_account, crm.table)
    run = run_now(workflow(crm_account, schema, ("import", {}), name="in"))
    assert run.status == "succeeded", run.log
    return schema


def column(schema, crm_name: str) -> str:
    return schema.fields.get(crm_name=crm_name).column_name


def audit(api, schema, **body) -> dict:
    started = api.post(f"/api/schemas/{schema.pk}/audits/", body, format="json")
    assert started.status_code == 202, started.content
    report = api.get(f"/api/audits/{started.json()['id']}/").json()
    assert report["status"] == "succeeded", report["error"]
    return report


def repair(api, report: dict, category: str) -> Run:
    answer = api.post(f"/api/audits/{report['id']}/repair/", {"category": category}, format="json")
    assert answer.status_code == 202, answer.content
    run = Run.objects.get(pk=answer.json()["run"])
    assert run.status == "succeeded", run.log
    return run


def test_an_audit_finds_missing_deleted_and_stale_rows_and_repairs_them(admin_api, crm_account, crm, imported,
                                                                        synchronous):
    schema, model = imported, rows(imported).model
    title = column(schema, crm.title_field)
    linked = list(rows(schema).values_list("crm_id", flat=True))
    lost_locally = linked[:2]
    model.objects.filter(crm_id__in=lost_locally).delete()
    created = crm.create(**{crm.name_field: "Never-Imported"})
    missing = sorted([*lost_locally, created])
    deleted = sorted(linked[2:4])
    for record_id in deleted:
        crm.delete(record_id)
    crm.forget_deletions()  # older than anything the CRM's delete log still lists
    stale = sorted(linked[4:6])
    for record_id in stale:
        crm.set_without_stamp(record_id, **{crm.title_field: "Recomputed " + record_id[-4:]})
    crm.reset_calls()

    report = audit(admin_api, schema, compare="all")

    crm_rows = crm.count()
    assert (report["crm_rows"], report["local_rows"]) == (crm_rows, len(linked) - 2)
    assert (report["missing"], report["deleted"], report["stale"]) == (3, 2, 2)
    assert report["compared"] == crm_rows - 3
    assert report["samples"] == {"missing": missing, "deleted": deleted,
                                 "stale": [{"id": i, "fields": [crm.title_field]} for i in stale]}
    assert report["api_calls"] == crm.calls() and report["in_sync"] is False

    repair(admin_api, report, "missing")
    for record_id in missing:
        row = rows(schema).get(crm_id=record_id)
        assert all(getattr(row, column(schema, f)) == crm.get(record_id)[f] for f in crm.compared)
    repair(admin_api, report, "deleted")
    assert sorted(rows(schema).filter(is_deleted=True).values_list("crm_id", flat=True)) == deleted
    repair(admin_api, report, "stale")
    for record_id in stale:
        assert getattr(rows(schema).get(crm_id=record_id), title) == "Recomputed " + record_id[-4:]

    again = audit(admin_api, schema, compare="all")
    assert (again["missing"], again["deleted"], again["stale"], again["in_sync"]) == (0, 0, 0, True)


def test_an_id_only_audit_costs_one_id_page_per_page_size(admin_api, crm_account, crm, imported, synchronous):
    crm.reset_calls()
    report = audit(admin_api, imported, compare="none")
    page_size = 2000 if crm.crm == "salesforce" else 5000
    listing = crm.emulator.calls("query") + crm.emulator.calls("query_more") if crm.crm == "salesforce" \
        else crm.emulator.calls("GET contacts")
    assert listing == math.ceil(crm.count() / page_size)
    assert report["compared"] == 0 and report["in_sync"] is True and report["api_calls"] == crm.calls()


def test_a_sampled_audit_compares_exactly_the_sample(admin_api, crm_account, crm, imported, synchronous):
    report = audit(admin_api, imported, compare="sample", sample_size=3)
    assert report["compared"] == 3 and report["stale"] == 0


def test_a_repair_with_nothing_to_repair_is_a_400(admin_api, crm_account, crm, imported, synchronous):
    report = audit(admin_api, imported, compare="none")
    answer = admin_api.post(f"/api/audits/{report['id']}/repair/", {"category": "missing"}, format="json")
    assert answer.status_code == 400
    assert answer.json() == {"category": [f"audit {report['id']} found no missing locally rows"]}
    assert admin_api.post(f"/api/audits/{report['id']}/repair/", {"category": "lost"}, format="json").status_code == 400


def test_a_crm_error_fails_the_audit_with_the_crm_message(admin_api, crm_account, crm, imported, synchronous):
    wrong = "not-the-secret-x9"
    crm_account.secrets = {name: wrong for name in crm_account.secrets}
    crm_account.save()
    started = admin_api.post(f"/api/schemas/{imported.pk}/audits/", {}, format="json")
    report = admin_api.get(f"/api/audits/{started.json()['id']}/").json()
    assert report["status"] == "failed" and report["error"].startswith("CRM error: ")
    assert wrong not in report["error"] and report["missing"] == 0


@pytest.mark.parametrize("crm_account", ["salesforce"], indirect=True)
def test_an_audit_schedule_is_a_beat_task_that_starts_audits(admin_api, crm_account, crm, imported, synchronous):
    url = f"/api/schemas/{imported.pk}/audits/schedule/"
    assert admin_api.get(url).json()["cron"] == ""
    assert admin_api.put(url, {"cron": "every night"}, format="json").status_code == 400
    saved = admin_api.put(url, {"cron": "30 2 * * *", "compare": "none"}, format="json")
    assert saved.status_code == 200, saved.content
    task = PeriodicTask.objects.get(name=f"audit:schema:{imported.pk}")
    assert (task.task, task.crontab.minute, task.crontab.hour, task.enabled) == ("workflows.scheduled_audit", "30", "2", True)
    from workflows.audit_tasks import scheduled_audit

    report_id = scheduled_audit.apply(args=(imported.pk,)).get()
    assert AuditReport.objects.get(pk=report_id).trigger == "schedule"
    admin_api.put(url, {"cron": ""}, format="json")
    assert not PeriodicTask.objects.filter(name=f"audit:schema:{imported.pk}").exists()


@pytest.mark.parametrize("crm_account", ["dynamics"], indirect=True)
def test_the_console_audits_a_table_shows_the_report_and_repairs_in_one_click(client, admin_user, crm_account, crm,
                                                                              imported, synchronous):
    client.force_login(admin_user)
    victim = rows(imported).first()
    rows(imported).filter(pk=victim.pk).delete()
    started = client.post(f"/admin/workflows/auditreport/start/{imported.pk}/", {"compare": "none"}, follow=True)
    page = started.content.decode()
    assert started.status_code == 200 and 'id="audits"' in page and victim.crm_id in page
    report = AuditReport.objects.get(schema=imported)
    assert (report.missing, report.trigger) == (1, "manual")
    home = client.get("/admin/").content.decode()
    assert 'id="dashboard-audits"' in home and imported.label in home
    repaired = client.post(f"/admin/workflows/auditreport/{report.pk}/repair/missing/")
    run = Run.objects.get(pk=report.__class__.objects.get(pk=report.pk).repairs["missing"])
    assert repaired.status_code == 302 and repaired.url.endswith(f"/admin/workflows/run/{run.pk}/change/")
    assert run.status == "succeeded" and rows(imported).filter(crm_id=victim.crm_id).exists()


@pytest.mark.parametrize("crm_account", ["salesforce"], indirect=True)
def test_the_console_sets_a_tables_audit_schedule(client, admin_user, crm_account, crm, imported):
    client.force_login(admin_user)
    form = {"schema": imported.pk, "cron": "0 3 * * 1", "compare": "all", "sample_size": 200, "enabled": "on"}
    bad = client.post("/admin/workflows/auditschedule/add/", {**form, "cron": "sometimes"})
    assert bad.status_code == 200 and "a cron expression has five fields" in bad.content.decode()
    assert client.post("/admin/workflows/auditschedule/add/", form).status_code == 302
    task = PeriodicTask.objects.get(name=f"audit:schema:{imported.pk}")
    assert (task.crontab.hour, task.crontab.day_of_week, task.args) == ("3", "1", f"[{imported.pk}]")
