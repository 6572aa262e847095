"""A run's log: short timestamped lines, appended in the database so that every
process and the console see them as they come."""

from __future__ import annotations

import logging

from django.db.models import Value
from django.db.models.functions import Concat
from django.utils import timezone

from connectors.services import redact

from .models import Run

logger = logging.getLogger("crmsync.workflows")
MAX_LINE = 200_000


def append(run_id: int, message: str) -> None:
    run = Run.objects.select_related("workflow__account").only("workflow__account__secrets").get(pk=run_id)
    line = redact(message, run.workflow.account.secrets)[:MAX_LINE]
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M:%S")
    Run.objects.filter(pk=run_id).update(log=Concat("log", Value(f"{stamp} {line}\n")))
    logger.info("run %s: %s", run_id, line)
