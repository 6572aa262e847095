"""The REST API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from connectors.views import ExternalAccountViewSet
from crmsync.audit_views import AuditLogViewSet
from workflows.audit_views import AuditReportViewSet, SchemaAuditViewSet
from workflows.views import RunViewSet, WorkflowViewSet
from wizard.views import AccountSchemasViewSet, AccountTablesViewSet, DataSchemaViewSet
from wizard.enumeration_views import AccountEnumerationsViewSet, EnumerationSyncJobViewSet, EnumerationViewSet

router = DefaultRouter()
router.register("external-accounts", ExternalAccountViewSet)
router.register(r"external-accounts/(?P<account_pk>\d+)/tables", AccountTablesViewSet, basename="account-tables")
router.register(r"external-accounts/(?P<account_pk>\d+)/schemas", AccountSchemasViewSet, basename="account-schemas")
router.register("schemas", DataSchemaViewSet)
router.register(r"schemas/(?P<schema_pk>\d+)/audits", SchemaAuditViewSet, basename="schema-audits")
router.register(
    r"external-accounts/(?P<account_pk>\d+)/enumerations", AccountEnumerationsViewSet, basename="account-enumerations"
)
router.register("enumerations", EnumerationViewSet)
router.register("enumeration-sync-jobs", EnumerationSyncJobViewSet)
router.register("workflows", WorkflowViewSet)
router.register("runs", RunViewSet)
router.register("audit-log", AuditLogViewSet)
router.register("audits", AuditReportViewSet)
