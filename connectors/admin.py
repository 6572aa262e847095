"""External accounts in the console, with the "Test connection" button."""

from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from . import services
from .forms import ExternalAccountForm, settings_fieldsets
from .models import ExternalAccount


@admin.register(ExternalAccount)
class ExternalAccountAdmin(admin.ModelAdmin):
    form = ExternalAccountForm
    list_display = ("name", "internal_name", "crm_label", "server_url", "enabled", "connection_state")
    list_filter = ("crm_type", "enabled")
    search_fields = ("name", "internal_name", "server_url")
    readonly_fields = ("last_test_ok", "last_test_detail", "last_tested_at")
    prepopulated_fields = {"internal_name": ("name",)}

    class Media:
        js = ("connectors/account_form.js",)

    def get_form(self, request, obj=None, **kwargs):
        # The per-CRM settings fields are added by the form itself, not the model.
        kwargs["fields"] = ExternalAccountForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request, obj=None):
        general = ("name", "internal_name", "crm_type", "enabled")
        connection = ("server_url", "api_version", "timeout", "api_quota_share", "daily_api_allocation",
                      "ca_certificate")
        fieldsets = [(None, {"fields": general}), ("Connection", {"fields": connection})]
        fieldsets += settings_fieldsets()
        if obj is not None:
            fieldsets.append(("Last connection test", {"fields": self.readonly_fields}))
        return fieldsets

    @admin.display(description="CRM")
    def crm_label(self, account):
        return account.crm_label

    @admin.display(description="connection", boolean=True)
    def connection_state(self, account):
        return account.last_test_ok

    def get_urls(self):
        test_view = self.admin_site.admin_view(require_POST(self.test_connection_view))
        own = [path("<int:pk>/test-connection/", test_view, name="connectors_externalaccount_test")]
        return own + super().get_urls()

    def test_connection_view(self, request, pk):
        account = get_object_or_404(ExternalAccount, pk=pk)
        if not self.has_change_permission(request, account):
            messages.error(request, "You may not test this account's connection.")
        else:
            result = services.test_connection(account)
            level = messages.SUCCESS if result.ok else messages.ERROR
            messages.add_message(request, level, f"Test connection: {result.detail}")
        return redirect(reverse("admin:connectors_externalaccount_change", args=[pk]))
