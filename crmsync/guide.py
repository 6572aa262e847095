"""The guided path on the home page: test the connection → configuration wizard →
synchronize enumerations → workflow from a template → run it, each step marked
done or not from the current data, with a link to the page that does it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from connectors.models import ExternalAccount
from wizard.enumeration_models import EnumerationSyncJob
from wizard.models import DataSchema
from workflows.models import Run, RunStatus, Workflow

# Seeing the guide means seeing which accounts, schemas and workflows exist.
NEEDED = ["connectors.view_externalaccount", "wizard.view_dataschema", "wizard.view_enumeration",
          "workflows.view_workflow", "workflows.view_run"]
FINISHED_RUNS = (RunStatus.SUCCEEDED, RunStatus.PARTIAL)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    url: str
    action: str


def focus_account() -> ExternalAccount | None:
    """The account the guide is about: the first one whose connection works, else the first."""
    accounts = ExternalAccount.objects.order_by("-last_test_ok", "pk")
    return accounts.filter(last_test_ok=True).first() or accounts.first()


def steps(user) -> list[Step] | None:
    if not user.has_perms(NEEDED):
        return None
    account = focus_account()
    if account is None:
        return [Step("connection", "Test the connection", False,
                     reverse("admin:connectors_externalaccount_add"), "Add an external account")]
    workflow = Workflow.objects.filter(account=account).order_by("-pk").first()
    return [
        Step("connection", "Test the connection", bool(account.last_test_ok),
             reverse("admin:connectors_externalaccount_change", args=[account.pk]), f"Open {account.name}"),
        Step("wizard", "Run the configuration wizard", DataSchema.objects.filter(account=account).exists(),
             reverse("admin:wizard_configuration", args=[account.pk]), "Configuration wizard"),
        Step("enumerations", "Synchronize enumerations",
             EnumerationSyncJob.objects.filter(account=account, status=EnumerationSyncJob.Status.DONE).exists(),
             reverse("admin:wizard_enumeration_sync_account", args=[account.pk]), "Synchronize enumerations"),
        Step("workflow", "Create a workflow from a template", workflow is not None,
             reverse("admin:workflows_workflow_from_template") + f"?account={account.pk}", "New workflow from template"),
        Step("run", "Run it",
             Run.objects.filter(workflow__account=account, status__in=FINISHED_RUNS).exists(),
             reverse("admin:workflows_workflow_change", args=[workflow.pk]) if workflow
             else reverse("admin:workflows_workflow_changelist"), f"Open {workflow}" if workflow else "Workflows"),
    ]


def context(user) -> dict:
    found = steps(user)
    account = focus_account() if found else None
    return {"guide_steps": found, "guide_account": account,
            "guide_done": bool(found) and all(step.done for step in found)}
