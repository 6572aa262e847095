"""The audits section of a schema's console page."""

from __future__ import annotations

from django import template

from ..audit_models import AuditCategory, AuditReport, CompareMode

register = template.Library()
SHOWN = 5


@register.inclusion_tag("admin/workflows/auditreport/schema_audits.html", takes_context=True)
def schema_audits(context, schema):
    user = context["request"].user
    reports = list(AuditReport.objects.filter(schema=schema)[:SHOWN]) if user.has_perm("workflows.view_auditreport") else None
    return {"schema": schema, "reports": reports, "categories": AuditCategory.choices, "modes": CompareMode.choices,
            "may_audit": user.has_perm("workflows.add_auditreport"), "may_repair": user.has_perm("workflows.add_run"),
            "csrf_token": context.get("csrf_token")}
