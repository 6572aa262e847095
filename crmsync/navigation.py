"""The console's navigation tree, as in the reference product's explorer:
which models stand under which section, in which order."""

SECTIONS = (
    (
        "Administration › Platform",
        "platform",
        ("connectors.externalaccount", "wizard.enumeration"),
    ),
    (
        "Administration › Configuration",
        "configuration",
        ("wizard.dataschema",),
    ),
    (
        "Workflows",
        "workflows",
        ("workflows.workflow", "workflows.run", "workflows.auditreport", "workflows.auditschedule"),
    ),
    (
        "Administration › Scheduling",
        "scheduling",
        ("django_celery_beat.periodictask", "django_celery_beat.crontabschedule"),
    ),
    (
        "Administration › Access",
        "access",
        ("auth.user", "auth.group", "authtoken.tokenproxy", "auditlog.logentry"),
    ),
)
