"""API error handling: DRF's own handler, plus Django validation errors and
connector errors as clear 4xx/5xx answers with their message, never a bare 500."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from connectors.crypto import UndecryptableSecret
from connectors.errors import ConnectorError, InvalidRequest, NotRegistered


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = exceptions.ValidationError(detail)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        return Response({"detail": in_use_message(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, InvalidRequest):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, (ConnectorError, UndecryptableSecret, NotRegistered)):
        # The CRM (or its configuration) failed us: say so, with its own message.
        return Response({"detail": f"CRM error: {exc}"}, status=status.HTTP_502_BAD_GATEWAY)
    return drf_exception_handler(exc, context)


def in_use_message(exc: ProtectedError | RestrictedError) -> str:
    """'Still used by workflow "Nightly", data schema "Contact": …' — what to remove first."""
    objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    users = sorted({f'{obj._meta.verbose_name} "{obj}"' for obj in objects})
    shown = ", ".join(users[:10]) + (f" and {len(users) - 10} more" if len(users) > 10 else "")
    return f"Still used by {shown}: delete or change those first."
