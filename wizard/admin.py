"""Data schemas in the console (Administration › Configuration), the
configuration wizard, the definition as JSON and the rows of each table."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from crmsync.durations import duration_text

from . import generation, provenance
from .admin_wizard import ConfigurationWizard
from .live_models import model_for
from .models import DataSchema, GenerationJob, SchemaField
from .records import filter_records
from .serializers import DataSchemaSerializer

ROWS_PER_PAGE = 50


class SchemaFieldInline(admin.TabularInline):
    model = SchemaField
    fields = ("crm_name", "label", "crm_type", "type", "column_name", "nullable", "read_only", "external_id",
              "references", "enumeration_key", "removed_from_crm", "remove_link")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def remove_link(self, field):
        """Fields gone from the CRM keep their column until an administrator removes it."""
        if not field.removed_from_crm:
            return ""
        return format_html('<a href="{}">remove column…</a>', f"../fields/{field.pk}/remove/")


@admin.register(DataSchema)
class DataSchemaAdmin(admin.ModelAdmin):
    list_display = ("label", "crm_name", "account", "table_name", "field_count", "version", "links")
    list_filter = ("account", "custom")
    search_fields = ("crm_name", "label", "table_name")
    readonly_fields = ("account", "crm_name", "label", "custom", "table_name", "id_field", "modstamp_field",
                       "tracks_changes", "version", "created_by", "created_at", "updated_at")
    inlines = [SchemaFieldInline]

    def has_add_permission(self, request):
        return False  # schemas come from the configuration wizard

    @admin.display(description="fields")
    def field_count(self, schema):
        return schema.fields.count()

    @admin.display(description="")
    def links(self, schema):
        return format_html('<a href="{}">rows</a> · <a href="{}">definition</a> · <a href="{}">enumerations…</a>',
                           f"{schema.pk}/rows/", f"{schema.pk}/definition/",
                           reverse("admin:wizard_enumeration_sync_schema", args=[schema.pk]))

    def delete_model(self, request, schema):
        generation.delete_schema(schema)

    def delete_queryset(self, request, queryset):
        for schema in queryset:
            generation.delete_schema(schema)

    def get_urls(self):
        wrap = self.admin_site.admin_view
        wizard = ConfigurationWizard.as_view(admin_site=self.admin_site)
        own = [
            path("wizard/<int:account_pk>/", wrap(wizard), name="wizard_configuration"),
            path("generation/<int:job_pk>/", wrap(self.generation_job_view), name="wizard_generation_job"),
            path("generation/<int:job_pk>/status/", wrap(self.generation_status_view),
                 name="wizard_generation_status"),
            path("<int:pk>/rows/", wrap(self.rows_view), name="wizard_dataschema_rows"),
            path("<int:pk>/definition/", wrap(self.definition_view), name="wizard_dataschema_definition"),
            path("<int:pk>/rows/<str:crm_id>/history/", wrap(self.row_history_view), name="wizard_dataschema_row_history"),
            path("<int:pk>/fields/<int:field_pk>/remove/", wrap(self.remove_field_view),
                 name="wizard_dataschema_remove_field"),
        ]
        return own + super().get_urls()

    def generation_job_view(self, request, job_pk):
        """The wizard's Generate: a live progress bar, elapsed time, then each table's outcome."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(GenerationJob.objects.select_related("account"), pk=job_pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "job": job,
                   "title": f"Generating the schemas of {job.account.name}: {job.get_status_display()}"}
        return TemplateResponse(request, "admin/wizard/generation_job.html", context)

    def generation_status_view(self, request, job_pk):
        if not self.has_view_permission(request):
            return JsonResponse({"detail": "permission denied"}, status=403)
        job = get_object_or_404(GenerationJob, pk=job_pk)
        return JsonResponse({"status": job.status, "progress": job.progress, "done": job.done, "total": job.total,
                             "finished": job.finished, "error": job.error, "results": job.results,
                             "elapsed": job.elapsed, "elapsed_text": duration_text(job.elapsed)})

    def remove_field_view(self, request, pk, field_pk):
        """Confirm, then drop the column of a field gone from the CRM, with its data."""
        schema = get_object_or_404(DataSchema, pk=pk)
        field = get_object_or_404(SchemaField, pk=field_pk, schema=schema, removed_from_crm=True)
        if not self.has_change_permission(request, schema):
            raise PermissionDenied
        if request.method == "POST":
            generation.remove_field(field)
            messages.success(request, f"Column {field.column_name} and its data were removed from {schema.table_name}.")
            return redirect(reverse("admin:wizard_dataschema_change", args=[schema.pk]))
        context = {**self.admin_site.each_context(request), "title": f"Remove column {field.column_name}?",
                   "schema": schema, "field": field, "opts": self.model._meta,
                   "rows_with_data": model_for(schema).objects.exclude(**{field.column_name: None}).count()}
        return TemplateResponse(request, "admin/wizard/dataschema/remove_field.html", context)

    def definition_view(self, request, pk):
        schema = get_object_or_404(DataSchema, pk=pk)
        if not self.has_view_permission(request, schema):
            return JsonResponse({"detail": "permission denied"}, status=403)
        return JsonResponse(DataSchemaSerializer(schema).data, json_dumps_params={"indent": 2})

    def row_history_view(self, request, pk, crm_id):
        """Which side last set each synced field of one row, when, in which run or by whom."""
        schema = get_object_or_404(DataSchema, pk=pk)
        if not self.has_view_permission(request, schema):
            raise PermissionDenied
        row = get_object_or_404(model_for(schema), crm_id=crm_id)
        context = {**self.admin_site.each_context(request), "title": f"History of {crm_id} ({schema.label})",
                   "schema": schema, "opts": self.model._meta, "history": provenance.row_history(schema, row)}
        return TemplateResponse(request, "admin/wizard/dataschema/row_history.html", context)

    def rows_view(self, request, pk):
        schema = get_object_or_404(DataSchema, pk=pk)
        if not self.has_view_permission(request, schema):
            return TemplateResponse(request, "admin/wizard/dataschema/rows.html", {"denied": True}, status=403)
        model = model_for(schema)
        columns = [f.column for f in model._meta.concrete_fields if f.column != provenance.COLUMN]
        params = {k: v for k, v in request.GET.items() if k in ("search",)}
        page = Paginator(filter_records(model.objects.order_by("id"), params), ROWS_PER_PAGE).get_page(
            request.GET.get("page"))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Rows of {schema.label} ({schema.table_name})",
            "schema": schema, "opts": self.model._meta, "columns": columns,
            "rows": [{"crm_id": row.crm_id, "values": [getattr(row, c) for c in columns]} for row in page], "page": page,
            "search": params.get("search", ""),
        }
        return TemplateResponse(request, "admin/wizard/dataschema/rows.html", context)


from . import enumeration_admin  # noqa: E402,F401  (Enumerations, and the sync pages)
