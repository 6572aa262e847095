"""Workflows in the console: activities inline, Run now, runs with live progress,
logs and rejects (downloadable as CSV, retryable)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from crmsync.permissions import account_of, may_use_account

from . import options as activity_options
from . import runs, schedules
from .admin_views import RunPages, run_link
from .models import Activity, Operation, Run, Workflow
from .template_forms import FromTemplateForm

INBOUND = (Operation.IMPORT, Operation.IMPORT_DELETED)
OUTBOUND = (Operation.EXPORT, Operation.DELETE)


class WorkflowForm(forms.ModelForm):
    class Meta:
        model = Workflow
        fields = ("name", "internal_name", "account", "enabled", "schedule", "conflict_policy")

    def clean_schedule(self) -> str:
        schedule = self.cleaned_data["schedule"].strip()
        if schedule:
            try:
                schedules.parse_cron(schedule)
            except ValueError as exc:
                raise forms.ValidationError(str(exc)) from None
        return schedule


class ActivityForm(forms.ModelForm):
    options = forms.JSONField(
        required=False, initial=dict, label="Options (JSON)",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50, "spellcheck": "false"}),
        help_text="The operation's settings as a JSON object; {} for the defaults. " + "; ".join(
            f"{op.label}: {', '.join(defaults)}" for op, defaults in activity_options.DEFAULTS.items()) + ".")

    position = forms.IntegerField(min_value=1, label="Order", help_text="Activities run in ascending order.")

    class Meta:
        model = Activity
        fields = ("position", "operation", "schema", "options")
        labels = {"schema": "Table"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # shown from 1; stored from 0 once renumbered
            self.initial["position"] = self.instance.position + 1

    def clean_options(self) -> dict:
        options = self.cleaned_data.get("options")
        if options is None:
            return {}
        if not isinstance(options, dict):
            raise forms.ValidationError('Options are a JSON object, e.g. {"incremental": true}.')
        return options

    def clean(self):
        cleaned = super().clean()
        operation, schema, options = (cleaned.get(k) for k in ("operation", "schema", "options"))
        if operation and schema and options is not None:
            try:
                activity_options.normalize(operation, schema, options)
            except activity_options.OptionsError as exc:
                self.add_error("options", [f"{name}: {' '.join(errors)}" for name, errors in exc.errors.items()])
        return cleaned


class ActivityFormSet(forms.BaseInlineFormSet):
    """Tables of the workflow's account only; each order number used once."""

    def clean(self):
        super().clean()
        kept = [f for f in self.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        account_id = self.instance.account_id
        for form in kept:
            schema = form.cleaned_data.get("schema")
            if schema and account_id and schema.account_id != account_id:
                form.add_error("schema", f"{schema} belongs to another account than the workflow's.")
        positions = [f.cleaned_data.get("position") for f in kept]
        if len(positions) != len(set(positions)):
            raise forms.ValidationError("Two activities have the same order number.")
        if not kept:
            raise forms.ValidationError("A workflow needs at least one activity.")


class NeedsAccountView:
    """Workflows and runs in the console also need the right to view the external
    account they use (crmsync.permissions.may_use_account)."""

    def has_module_permission(self, request):
        return super().has_module_permission(request) and may_use_account(request.user)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._may_use(request, obj)

    def has_add_permission(self, request, *args):
        return super().has_add_permission(request, *args) and may_use_account(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_use(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_use(request, obj)

    def _may_use(self, request, obj) -> bool:
        return may_use_account(request.user, account_of(obj) if obj is not None else None)


class ActivityInline(admin.StackedInline):
    model = Activity
    form = ActivityForm
    formset = ActivityFormSet
    fields = ("position", "operation", "schema", "options")
    ordering = ("position", "id")
    extra = 0

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None else 1


@admin.register(Workflow)
class WorkflowAdmin(NeedsAccountView, admin.ModelAdmin):
    form = WorkflowForm
    inlines = [ActivityInline]
    list_display = ("name", "internal_name", "account", "enabled", "schedule", "next_run", "last_run_status")
    list_filter = ("enabled", "account", "conflict_policy")
    search_fields = ("name", "internal_name")
    prepopulated_fields = {"internal_name": ("name",)}
    list_select_related = ("account",)

    def get_queryset(self, request):
        last = Run.objects.filter(workflow=OuterRef("pk")).order_by("-created_at", "-pk")
        return super().get_queryset(request).annotate(
            last_run_id=Subquery(last.values("pk")[:1]), last_run_state=Subquery(last.values("status")[:1]))

    @admin.display(description="next run")
    def next_run(self, workflow):
        return schedules.next_run_at(workflow) if workflow.enabled and workflow.schedule else None

    @admin.display(description="last run", ordering="last_run_state")
    def last_run_status(self, workflow):
        if workflow.last_run_id is None:
            return "-"
        url = reverse("admin:workflows_run_change", args=[workflow.last_run_id])
        return format_html('<a href="{}">{}</a>', url, workflow.last_run_state)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        _renumber(form.instance)
        schedules.sync_schedule(form.instance)

    def delete_model(self, request, workflow):
        schedules.remove_schedule(workflow)
        super().delete_model(request, workflow)

    def delete_queryset(self, request, queryset):
        for workflow in queryset:
            schedules.remove_schedule(workflow)
        super().delete_queryset(request, queryset)

    def get_urls(self):
        run_now = self.admin_site.admin_view(require_POST(self.run_now_view))
        from_template = self.admin_site.admin_view(self.from_template_view)
        own = [path("<int:pk>/run/", run_now, name="workflows_workflow_run"),
               path("from-template/", from_template, name="workflows_workflow_from_template")]
        return own + super().get_urls()

    def from_template_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = FromTemplateForm(request.POST or None, initial={"account": request.GET.get("account"),
                                                                "template": request.GET.get("template")})
        if request.method == "POST" and form.is_valid():
            workflow = form.create()
            if workflow is not None:
                messages.success(request, f"Workflow “{workflow}” created from a template: “Run now” starts it.")
                return redirect(reverse("admin:workflows_workflow_change", args=[workflow.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "New workflow from template"}
        return TemplateResponse(request, "admin/workflows/workflow/from_template.html", context)

    def run_now_view(self, request, pk):
        workflow = get_object_or_404(Workflow, pk=pk)
        if not self.has_change_permission(request, workflow):
            raise PermissionDenied
        try:
            run = runs.start_run(workflow, trigger="manual", user=request.user)
        except runs.RunAlreadyActive as exc:
            messages.warning(request, format_html("{} is already {}: {}. It was not started again.", workflow,
                                                  exc.run.status, run_link(exc.run)))
            return redirect(reverse("admin:workflows_workflow_change", args=[pk]))
        except runs.WorkflowDisabled:
            messages.error(request, f"{workflow} is disabled: tick “Enabled” and save before running it.")
            return redirect(reverse("admin:workflows_workflow_change", args=[pk]))
        messages.success(request, f"Run {run.pk} of {workflow} started.")
        return redirect(reverse("admin:workflows_run_change", args=[run.pk]))


def _renumber(workflow: Workflow) -> None:
    """Order numbers (from 1 in the form) become positions 0, 1, 2…, by which the engine runs them."""
    activities = list(workflow.activities.order_by("position", "id"))
    for position, activity in enumerate(activities):
        if activity.position != position:
            Activity.objects.filter(pk=activity.pk).update(position=position + 10_000)
    for position, activity in enumerate(activities):
        Activity.objects.filter(pk=activity.pk).update(position=position)


def _rows(operations) -> Coalesce:
    moved = F("activity_runs__inserted") + F("activity_runs__updated") + F("activity_runs__deleted")
    return Coalesce(Sum(moved, filter=Q(activity_runs__operation__in=operations)), 0)


@admin.register(Run)
class RunAdmin(NeedsAccountView, admin.ModelAdmin):
    """Runs are written by the engine only: the console reads them."""

    change_form_template = "admin/workflows/run/change_form.html"
    list_display = ("number", "workflow", "status", "trigger", "started_by", "started_at", "ended_at", "rows_in",
                    "rows_out", "rejects")
    list_display_links = ("number",)
    list_filter = ("status", "trigger", "workflow")
    list_select_related = ("workflow", "started_by")
    date_hierarchy = "created_at"
    fieldsets = [("Run", {"fields": (("workflow", "trigger", "started_by", "retry_of"),
                                     ("created_at", "started_at", "ended_at", "heartbeat_at"),
                                     ("status", "cancel_requested"), "error")})]
    readonly_fields = ("workflow", "status", "trigger", "started_by", "created_at", "started_at", "ended_at",
                       "heartbeat_at", "cancel_requested", "retry_of", "error")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            rows_in=_rows(INBOUND), rows_out=_rows(OUTBOUND),
            rejected=Coalesce(Sum("activity_runs__rejected"), 0))

    @admin.display(description="run", ordering="pk")
    def number(self, run):
        return f"Run {run.pk}"

    @admin.display(description="rows in", ordering="rows_in")
    def rows_in(self, run):
        return run.rows_in

    @admin.display(description="rows out", ordering="rows_out")
    def rows_out(self, run):
        return run.rows_out

    @admin.display(description="rejects", ordering="rejected")
    def rejects(self, run):
        return run.rejected

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def may_operate(self, request, run: Run) -> bool:
        """Cancelling and retrying act on the workflow: its change right."""
        return self.admin_site._registry[Workflow].has_change_permission(request, run.workflow)

    def get_urls(self):
        pages = RunPages(self)
        view, post = self.admin_site.admin_view, lambda v: self.admin_site.admin_view(require_POST(v))
        own = [
            path("<int:pk>/progress/", view(pages.progress), name="workflows_run_progress"),
            path("<int:pk>/rejects.csv", view(pages.rejects_csv), name="workflows_run_rejects_csv"),
            path("<int:pk>/cancel/", post(pages.cancel), name="workflows_run_cancel"),
            path("<int:pk>/retry-rejects/", post(pages.retry_rejects), name="workflows_run_retry"),
        ]
        return own + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        run = get_object_or_404(Run.objects.select_related("workflow__account"), pk=object_id)
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        context = {**RunPages(self).context(request, run), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)


from . import audit_admin  # noqa: E402,F401  (reconciliation audits)
