"""The configuration wizard in the admin console: account → tables → fields →
summary → Generate. Built on django-formtools: one form per step, earlier steps
revalidated, and nothing persisted until the final step, in one go per table."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from formtools.wizard.views import SessionWizardView

from connectors.models import ExternalAccount
from connectors.types import FieldDescription, TableDescription

from . import generation, generation_jobs, introspection
from .models import DataSchema
from .wizard_forms import AccountStep, FieldsStep, SummaryStep, TablesStep

DESCRIBE_TTL = 3600


@dataclass
class FieldRow:
    name: str
    label: str
    crm_type: str
    type: str
    column: str
    column_type: str
    key: str
    status: str  # "", "new", "in schema", "removed from CRM"


@dataclass
class TablePreview:
    description: TableDescription
    schema: DataSchema | None
    rows: list[FieldRow]
    drift: generation.Drift | None
    checked: set[str] = field(default_factory=set)

    @property
    def form_field(self) -> str:
        return "fields__" + self.description.name


def _key_text(f: FieldDescription, description: TableDescription) -> str:
    if f.name == description.id_field:
        return "CRM id"
    if f.name == description.modstamp_field:
        return "modification stamp"
    if f.references:
        return "→ " + ", ".join(f.references)
    if f.external_id:
        return "external id"
    return ""


def preview(description: TableDescription, schema: DataSchema | None) -> TablePreview:
    columns = generation.plan_columns(description, schema)
    in_schema = {f.crm_name for f in schema.fields.all()} if schema else set()
    rows = [
        FieldRow(f.name, f.label, f.crm_type, f.type.value, *columns[f.name], _key_text(f, description),
                 ("in schema" if f.name in in_schema else "new") if schema else "")
        for f in sorted(description.fields, key=lambda f: f.name)
    ]
    drift = generation.diff(schema, description) if schema else None
    return TablePreview(description, schema, rows, drift)


class ConfigurationWizard(SessionWizardView):
    form_list = [("account", AccountStep), ("tables", TablesStep), ("fields", FieldsStep), ("summary", SummaryStep)]
    template_name = "admin/wizard/configuration_wizard.html"
    admin_site = None

    def dispatch(self, request, *args, account_pk, **kwargs):
        # Every step calls the CRM with the account's credentials and the last one
        # creates tables: only for users who may add schemas.
        if not request.user.has_perm("wizard.add_dataschema"):
            raise PermissionDenied
        self.account = get_object_or_404(ExternalAccount, pk=account_pk)
        return super().dispatch(request, *args, **kwargs)

    def get_prefix(self, request, *args, **kwargs):
        # One wizard state per account: dispatch() has taken account_pk out of kwargs.
        return f"configuration_wizard_{self.account.pk}"

    # --- the wizard's own cached knowledge --------------------------------------
    def token(self) -> str:
        extra = self.storage.extra_data
        if "token" not in extra:
            extra["token"] = uuid.uuid4().hex
            self.storage.extra_data = extra
        return extra["token"]

    def chosen_tables(self) -> list[str]:
        data = self.get_cleaned_data_for_step("tables") or {}
        return list(data.get("tables", []))

    def descriptions(self, names) -> dict[str, TableDescription]:
        key = f"crmsync:wizard:describe:{self.account.pk}:{self.token()}"
        cached = cache.get(key) or {}
        missing = [n for n in names if n not in cached]
        if missing:
            cached.update(introspection.describe(self.account, missing))
            cache.set(key, cached, DESCRIBE_TTL)
        return {n: cached[n] for n in names if n in cached}

    def previews(self) -> list[TablePreview]:
        generated = introspection.generated_tables(self.account)
        descriptions = self.descriptions(self.chosen_tables())
        return [preview(d, generated.get(name)) for name, d in descriptions.items()]

    # --- formtools hooks ---------------------------------------------------------
    def get_form_kwargs(self, step=None):
        if step == "account":
            return {"account": self.account}
        if step == "tables":
            return {"tables": introspection.list_tables(self.account, self.token()),
                    "generated": introspection.generated_tables(self.account)}
        if step == "fields":
            return {"previews": self.previews()}
        return {}

    def get_context_data(self, form, **kwargs):
        context = super().get_context_data(form=form, **kwargs)
        context.update(self.admin_site.each_context(self.request))
        context.update({"account": self.account, "title": f"Configuration wizard: {self.account.name}",
                        "opts": ExternalAccount._meta, "original": self.account})
        if self.steps.current == "summary":
            context["summary"] = self.summary()
        return context

    def summary(self) -> list[tuple[TablePreview, list[str]]]:
        chosen = self.get_cleaned_data_for_step("fields") or {}
        return [(p, chosen.get(p.form_field, [])) for p in self.previews()]

    def done(self, form_list, **kwargs):
        chosen = self.get_cleaned_data_for_step("fields") or {}
        selection = {p.description.name: chosen.get(p.form_field, []) for p in self.previews()}
        job = generation_jobs.start(self.account, selection, self.request.user)
        return redirect(reverse("admin:wizard_generation_job", args=[job.pk]))
