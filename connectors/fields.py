"""A model field holding a dict of secrets, stored as one Fernet token."""

from __future__ import annotations

import json

from django.db import models

from . import crypto


class UnreadableSecrets(dict):
    """Secrets whose token no configured key decrypts: empty, but the token is
    kept so that saving the row does not destroy what a restored key could read."""

    def __init__(self, token: str):
        super().__init__()
        self.token = token


class EncryptedJSONField(models.TextField):
    """A dict of strings, encrypted at rest; the database only ever sees the token."""

    description = "Encrypted JSON object"

    def from_db_value(self, value, expression, connection):
        return self.to_python(value)

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        try:
            return json.loads(crypto.decrypt(value))
        except crypto.UndecryptableSecret:
            return UnreadableSecrets(value)

    def get_prep_value(self, value):
        if isinstance(value, UnreadableSecrets):
            return value.token
        if not value:
            return ""
        return crypto.encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        # Serialization (dumpdata) never exposes secrets: it writes the token.
        return self.get_prep_value(self.value_from_object(obj))
