"""Enumerations in the console (Administration › Platform › Enumerations), values
editable inline, with the "Synchronizing enumerations…" pages mounted here."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from .enumeration_admin_sync import SyncPages
from .enumeration_models import Enumeration, EnumerationSyncJob, EnumerationValue


class EnumerationValueInline(admin.TabularInline):
    model = EnumerationValue
    fields = ("position", "value", "label", "active", "labels", "valid_for")
    extra = 0


@admin.register(Enumeration)
class EnumerationAdmin(admin.ModelAdmin):
    list_display = ("name", "label", "account", "source_key", "multi_select", "value_count", "updated_at")
    list_filter = ("account", "multi_select")
    search_fields = ("name", "label", "source_key")
    readonly_fields = ("account", "source_key", "global_name", "multi_select", "restricted", "controlling_field",
                       "controlling_enumeration", "schema_fields_used", "created_at", "updated_at")
    fields = ("name", "label", "replace_on_sync") + readonly_fields
    inlines = [EnumerationValueInline]

    @admin.display(description="values")
    def value_count(self, enumeration):
        return enumeration.values.count()

    @admin.display(description="schema fields using it")
    def schema_fields_used(self, enumeration):
        fields = enumeration.schema_fields.select_related("schema")
        return format_html_join(", ", "{} ({}.{})", ((f.label, f.schema.table_name, f.column_name) for f in fields))

    def get_urls(self):
        pages, wrap = SyncPages(self), self.admin_site.admin_view
        own = [
            path("sync/account/<int:account_pk>/", wrap(pages.for_account), name="wizard_enumeration_sync_account"),
            path("sync/account/<int:account_pk>/schedule/", wrap(pages.schedule),
                 name="wizard_enumeration_sync_schedule"),
            path("sync/schema/<int:schema_pk>/", wrap(pages.for_schema), name="wizard_enumeration_sync_schema"),
            path("sync/job/<int:job_pk>/", wrap(pages.job), name="wizard_enumeration_sync_job"),
            path("sync/job/<int:job_pk>/status/", wrap(pages.job_status), name="wizard_enumeration_sync_status"),
        ]
        return own + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        from connectors.models import ExternalAccount

        accounts = ExternalAccount.objects.filter(schemas__isnull=False).distinct()
        return super().changelist_view(request, {**(extra_context or {}), "sync_accounts": accounts})


@admin.register(EnumerationSyncJob)
class EnumerationSyncJobAdmin(admin.ModelAdmin):
    list_display = ("id", "account", "status", "progress", "scheduled", "created_at", "finished_at", "result_link")
    list_filter = ("status", "account", "scheduled")
    readonly_fields = [f.name for f in EnumerationSyncJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="")
    def result_link(self, job):
        return format_html('<a href="{}">progress and result</a>',
                           reverse("admin:wizard_enumeration_sync_job", args=[job.pk]))
