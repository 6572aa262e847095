"""The "Synchronizing enumerations…" pages: match each CRM enumeration to a local
one with Replace (step 1), Next shows the planned changes (step 2), Start runs the
sync as a background task with a progress bar, and the result lists the counts."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse

from connectors.crypto import UndecryptableSecret
from connectors.errors import ConnectorError, NotRegistered
from connectors.models import ExternalAccount

from . import enumeration_catalog, enumeration_jobs, enumeration_schedule, enumeration_sync
from .enumeration_forms import MappingFormSet, ScheduleForm
from .enumeration_models import Enumeration, EnumerationSyncJob
from .models import DataSchema

TEMPLATES = "admin/wizard/enumerations/"
STEPS = {"sync.html": 1, "plan.html": 2}
CRM_FAILURES = (ConnectorError, UndecryptableSecret, NotRegistered)


class SyncPages:
    """Views mounted by the enumeration admin; `model_admin` gives context and rights."""

    def __init__(self, model_admin):
        self.model_admin = model_admin

    def _context(self, request, **extra) -> dict:
        admin = self.model_admin
        return {**admin.admin_site.each_context(request), "opts": admin.model._meta, **extra}

    def _check(self, request) -> None:
        admin = self.model_admin
        if not (admin.has_change_permission(request) and admin.has_add_permission(request)):
            raise PermissionDenied

    # --- step 1 and 2 ----------------------------------------------------------
    def for_schema(self, request, schema_pk):
        schema = get_object_or_404(DataSchema.objects.select_related("account"), pk=schema_pk)
        return self.mapping_page(request, schema.account, schema)

    def for_account(self, request, account_pk):
        return self.mapping_page(request, get_object_or_404(ExternalAccount, pk=account_pk), None)

    def mapping_page(self, request, account: ExternalAccount, schema: DataSchema | None):
        self._check(request)
        try:
            crm = enumeration_catalog.crm_enumerations(account, schema)
        except CRM_FAILURES as exc:
            return self._render(request, "sync.html", account, schema, crm=[], crm_error=f"CRM error: {exc}")
        known = {e.key for e in crm}
        if request.method != "POST":
            formset = MappingFormSet(initial=[initial_line(account, e) for e in crm], known=known)
            return self._render(request, "sync.html", account, schema, crm=crm, formset=formset)
        formset = MappingFormSet(request.POST, known=known)
        if not formset.is_valid() or request.POST.get("step") == "edit":
            return self._render(request, "sync.html", account, schema, crm=crm, formset=formset)
        if request.POST.get("step") == "start":
            job = enumeration_jobs.start(account, formset.mappings(), request.user)
            return redirect(reverse("admin:wizard_enumeration_sync_job", args=[job.pk]))
        by_key = {e.key: e for e in crm}
        plans = [enumeration_sync.preview(account, m, by_key[m.crm]) for m in formset.mappings()]
        return self._render(request, "plan.html", account, schema, formset=formset, plans=plans)

    def _render(self, request, template, account, schema, **extra):
        title = f"Synchronizing enumerations of {schema.label if schema else account.name}"
        context = self._context(request, title=title, account=account, schema=schema, step=STEPS[template],
                                existing=Enumeration.objects.values_list("name", flat=True), **extra)
        if "crm" in extra:
            by_key = {e.key: e for e in extra["crm"]}
            forms = extra["formset"].forms if "formset" in extra else []
            context["lines"] = [(by_key.get(form["crm"].value()), form) for form in forms]
            context["schedule_form"] = ScheduleForm(initial=vars(enumeration_schedule.current(account)))
        return TemplateResponse(request, TEMPLATES + template, context)

    # --- schedule -------------------------------------------------------------
    def schedule(self, request, account_pk):
        self._check(request)
        account = get_object_or_404(ExternalAccount, pk=account_pk)
        form = ScheduleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            enumeration_schedule.set_schedule(account, **form.cleaned_data)
            state = "on" if form.cleaned_data["enabled"] else "off"
            messages.success(request, f"Scheduled enumeration sync of {account.name} is {state}.")
        elif request.method == "POST":
            messages.error(request, "; ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("admin:wizard_enumeration_sync_account", args=[account.pk]))

    # --- progress and result --------------------------------------------------
    def job(self, request, job_pk):
        if not self.model_admin.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(EnumerationSyncJob.objects.select_related("account"), pk=job_pk)
        title = f"Synchronizing enumerations of {job.account.name}: {job.get_status_display()}"
        return TemplateResponse(request, TEMPLATES + "job.html", self._context(request, title=title, job=job, step=3))

    def job_status(self, request, job_pk):
        if not self.model_admin.has_view_permission(request):
            return JsonResponse({"detail": "permission denied"}, status=403)
        job = get_object_or_404(EnumerationSyncJob, pk=job_pk)
        return JsonResponse({"status": job.status, "progress": job.progress, "done": job.done, "total": job.total,
                             "finished": job.finished, "error": job.error, "elapsed_text": job.elapsed_text})


def initial_line(account, crm) -> dict:
    return {"crm": crm.key, "synchronize": True, "replace": "no",
            "enumeration": enumeration_catalog.proposed_name(account, crm)}
