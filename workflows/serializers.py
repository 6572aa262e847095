"""API shapes of workflows (with their activities inline), runs and rejects."""

from __future__ import annotations

from django.db import transaction
from django.utils.text import slugify
from rest_framework import serializers

from connectors.models import ExternalAccount
from wizard.models import DataSchema

from . import directions
from . import options as activity_options
from . import schedules
from . import templates as workflow_templates
from .models import Activity, ActivityRun, ConflictPolicy, Operation, Priority, Reject, Run, Tombstone, Workflow


class ActivitySerializer(serializers.Serializer):
    """{"operation", "table", ...options}; options depend on the operation."""

    operation = serializers.ChoiceField(choices=Operation.choices)
    table = serializers.CharField(max_length=255)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("an activity is an object with operation and table")
        base = super().to_internal_value(data)
        base["options"] = {k: v for k, v in data.items() if k not in ("operation", "table")}
        return base

    def to_representation(self, activity: Activity):
        return {"operation": activity.operation, "table": activity.schema.crm_name, **activity.options}


class WorkflowSerializer(serializers.ModelSerializer):
    account = serializers.PrimaryKeyRelatedField(queryset=ExternalAccount.objects.all())
    internal_name = serializers.SlugField(max_length=100, required=False)
    conflict_policy = serializers.ChoiceField(choices=ConflictPolicy.choices, default=ConflictPolicy.CRM_WINS)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    field_directions = serializers.JSONField(required=False)
    activities = ActivitySerializer(many=True)
    directions = serializers.SerializerMethodField(help_text="Every field of the workflow's tables with its "
                                                             "direction (chosen or by default).")
    next_run_at = serializers.SerializerMethodField()
    last_run = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = ("id", "name", "internal_name", "account", "enabled", "schedule", "conflict_policy", "priority",
                  "field_directions", "activities", "directions", "next_run_at", "last_run", "created_at",
                  "updated_at")

    def get_directions(self, workflow) -> dict:
        schemas = {a.schema.crm_name: a.schema for a in workflow.activities.all()}
        return {name: directions.Directions.table(workflow, schema) for name, schema in sorted(schemas.items())}

    def get_next_run_at(self, workflow) -> str | None:
        known = self.context.get("next_runs_at")  # a list's, looked up at once
        when = known.get(workflow.pk) if known is not None else schedules.next_run_at(workflow)
        return when.isoformat() if when else None

    def get_last_run(self, workflow) -> dict | None:
        if hasattr(workflow, "last_run_pk"):  # annotated by the API's queryset
            if workflow.last_run_pk is None:
                return None
            return {"id": workflow.last_run_pk, "status": workflow.last_run_status,
                    "ended_at": workflow.last_run_ended_at}
        run = workflow.runs.order_by("-created_at").first()
        return {"id": run.pk, "status": run.status, "ended_at": run.ended_at} if run else None

    def validate_schedule(self, value: str) -> str:
        if value.strip():
            try:
                schedules.parse_cron(value)
            except ValueError as exc:
                raise serializers.ValidationError(str(exc)) from None
        return value.strip()

    def validate(self, attrs):
        if "internal_name" not in attrs and not self.instance:
            attrs["internal_name"] = slugify(attrs.get("name", ""))[:100] or "workflow"
            if Workflow.objects.filter(internal_name=attrs["internal_name"]).exists():
                raise serializers.ValidationError({"internal_name": ["a workflow with this internal name exists"]})
        account = attrs.get("account") or (self.instance and self.instance.account)
        if "activities" in attrs:
            attrs["activities"] = self._check_activities(account, attrs["activities"])
        elif not self.instance:
            raise serializers.ValidationError({"activities": ["This field is required."]})
        if "field_directions" in attrs:
            schemas = {s.crm_name: s for s in DataSchema.objects.filter(account=account)}
            found = directions.errors(schemas, attrs["field_directions"])
            if found:
                raise serializers.ValidationError(found)
        return attrs

    def _check_activities(self, account, activities):
        if not activities:
            raise serializers.ValidationError({"activities": ["a workflow needs at least one activity"]})
        schemas = {s.crm_name: s for s in DataSchema.objects.filter(account=account)}
        errors, checked = {}, []
        for index, item in enumerate(activities):
            schema = schemas.get(item["table"])
            if schema is None:
                errors[f"activities[{index}].table"] = [
                    f"no generated schema for {item['table']!r} on this account: run the configuration wizard first"]
                continue
            try:
                options = activity_options.normalize(item["operation"], schema, item["options"])
            except activity_options.OptionsError as exc:
                errors.update({f"activities[{index}].{k}": v for k, v in exc.errors.items()})
                continue
            checked.append((item["operation"], schema, item["options"], options))
        if errors:
            raise serializers.ValidationError(errors)
        return checked

    def to_representation(self, workflow):
        data = super().to_representation(workflow)
        data["activities"] = [ActivitySerializer().to_representation(a) for a in workflow.activities.all()]
        return data

    @transaction.atomic
    def create(self, validated):
        activities = validated.pop("activities")
        workflow = Workflow.objects.create(**validated)
        _replace_activities(workflow, activities)
        schedules.sync_schedule(workflow)
        return workflow

    @transaction.atomic
    def update(self, workflow, validated):
        activities = validated.pop("activities", None)
        for name, value in validated.items():
            setattr(workflow, name, value)
        workflow.save()
        if activities is not None:
            _replace_activities(workflow, activities)
        schedules.sync_schedule(workflow)
        return workflow


def _replace_activities(workflow: Workflow, activities) -> None:
    """Positions are rewritten; watermarks of unchanged activities are kept."""
    old = {(a.operation, a.schema_id, str(sorted(a.options.items()))): a for a in workflow.activities.all()}
    keep = []
    for position, (operation, schema, given, _normalized) in enumerate(activities):
        key = (operation, schema.pk, str(sorted(given.items())))
        activity = old.pop(key, None) or Activity(workflow=workflow, operation=operation, schema=schema, options=given)
        activity.position = position + 10_000  # clear the way, positions are rewritten below
        activity.save()
        keep.append(activity)
    for activity in old.values():
        activity.delete()
    for position, activity in enumerate(keep):
        Activity.objects.filter(pk=activity.pk).update(position=position)


class ActivityRunSerializer(serializers.ModelSerializer):
    table = serializers.CharField(source="activity.schema.crm_name", default=None)

    class Meta:
        model = ActivityRun
        fields = ("position", "operation", "table", "status", "total", *ActivityRun.COUNTERS, "started_at", "ended_at")


class RunSerializer(serializers.ModelSerializer):
    activities = ActivityRunSerializer(source="activity_runs", many=True, read_only=True)
    started_by = serializers.CharField(source="started_by.username", default=None)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    deletions_confirmed_by = serializers.CharField(source="deletions_confirmed_by.username", default=None)
    rejects = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = ("id", "workflow", "status", "status_display", "dry_run", "trigger", "started_by", "created_at",
                  "started_at", "ended_at", "cancel_requested", "error", "forecast_calls", "forecast",
                  "budget_allowed", "pending_deletions", "deletions_confirmed_by", "activities", "rejects", "log")

    def get_rejects(self, run) -> int:
        known = getattr(run, "reject_count", None)  # annotated by the API's queryset
        return known if known is not None else run.rejects.count()


class RejectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reject
        fields = ("id", "activity_run", "local_key", "crm_id", "code", "message", "fields", "payload", "created_at")


class WorkflowTemplateSerializer(serializers.Serializer):
    key = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    activities = serializers.SerializerMethodField()

    def get_activities(self, template) -> list[dict]:
        return [{"operation": str(operation), **given} for operation, given in template.activities]


class FromTemplateSerializer(serializers.Serializer):
    """{"template": "two-way-contacts", "account": 1, "schema": 5, "name": "", "schedule": ""}"""

    template = serializers.ChoiceField(choices=[(t.key, t.name) for t in workflow_templates.TEMPLATES])
    account = serializers.PrimaryKeyRelatedField(queryset=ExternalAccount.objects.all())
    schema = serializers.PrimaryKeyRelatedField(queryset=DataSchema.objects.select_related("account"))
    name = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)
    schedule = serializers.CharField(max_length=100, required=False, default="", allow_blank=True)

    def validate(self, attrs):
        if attrs["schema"].account_id != attrs["account"].pk:
            raise serializers.ValidationError({"schema": [f"{attrs['schema']} belongs to another account."]})
        attrs["template"] = workflow_templates.get(attrs["template"])
        del attrs["account"]
        return attrs


class TombstoneSerializer(serializers.ModelSerializer):
    table = serializers.CharField(source="schema.crm_name", read_only=True)
    restored_by = serializers.CharField(source="restored_by.username", default=None)

    class Meta:
        model = Tombstone
        fields = ("id", "schema", "table", "row_id", "crm_id", "side", "reason", "run", "deleted_at", "removed",
                  "values", "restored_at", "restored_by")
