"""Audits in the console: the reports (read-only), "Audit now" on a schema's page
and the one-click repairs, each a POST that redirects to what it started."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from wizard.models import DataSchema

from . import audit, audit_repairs, runs
from .audit_models import AuditReport, AuditSchedule, CompareMode
from .audit_schedule import sync_audit_schedule, task_name
from .schedules import parse_cron


@admin.register(AuditReport)
class AuditReportAdmin(admin.ModelAdmin):
    list_display = ("id", "schema", "status", "created_at", "crm_rows", "local_rows", "missing", "deleted", "stale",
                    "api_calls")
    list_filter = ("status", "schema__account")
    readonly_fields = [f.name for f in AuditReport._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("start/<int:schema_pk>/", wrap(require_POST(self.start_view)), name="workflows_auditreport_start"),
            path("<int:pk>/repair/<str:category>/", wrap(require_POST(self.repair_view)),
                 name="workflows_auditreport_repair"),
        ] + super().get_urls()

    def start_view(self, request, schema_pk):
        if not request.user.has_perm("workflows.add_auditreport"):
            raise PermissionDenied
        schema = get_object_or_404(DataSchema, pk=schema_pk)
        compare = request.POST.get("compare", CompareMode.SAMPLE)
        report = audit.start(schema, compare if compare in CompareMode.values else CompareMode.SAMPLE,
                             trigger="manual", user=request.user)
        messages.success(request, f"Audit {report.pk} of {schema.label} started.")
        return redirect(reverse("admin:wizard_dataschema_change", args=[schema.pk]) + "#audits")

    def repair_view(self, request, pk, category):
        if not request.user.has_perm("workflows.add_run"):
            raise PermissionDenied
        report = get_object_or_404(AuditReport, pk=pk)
        back = redirect(reverse("admin:wizard_dataschema_change", args=[report.schema_id]) + "#audits")
        try:
            run = audit_repairs.repair(report, category, request.user)
        except (audit_repairs.RepairRefused, runs.RunAlreadyActive) as exc:
            messages.error(request, str(exc))
            return back
        return redirect(reverse("admin:workflows_run_change", args=[run.pk]))


class AuditScheduleForm(forms.ModelForm):
    class Meta:
        model = AuditSchedule
        fields = ("schema", "cron", "compare", "sample_size", "enabled")

    def clean_cron(self) -> str:
        cron = self.cleaned_data["cron"].strip()
        if cron:
            try:
                parse_cron(cron)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return cron


@admin.register(AuditSchedule)
class AuditScheduleAdmin(admin.ModelAdmin):
    """A table's audit on cron; saving keeps its django-celery-beat task in step."""

    form = AuditScheduleForm
    list_display = ("schema", "cron", "compare", "sample_size", "enabled", "updated_at")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        sync_audit_schedule(obj)

    def delete_model(self, request, obj):
        from django_celery_beat.models import PeriodicTask

        PeriodicTask.objects.filter(name=task_name(obj.schema_id)).delete()
        super().delete_model(request, obj)
