"""The first-run demo: a console administrator with a generated password that is
kept in a private file under var/ and printed at each start."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import User

from .environment import persisted_secret

DEMO_USERNAME = "admin"


def ensure_demo_admin() -> tuple[str, str]:
    password = persisted_secret(settings.VAR_DIR / "demo_admin_password", lambda: secrets.token_urlsafe(12))
    user, created = User.objects.get_or_create(
        username=DEMO_USERNAME, defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.invalid"}
    )
    if created or not user.check_password(password):
        user.set_password(password)
        user.is_staff = user.is_superuser = True
        user.save()
    return DEMO_USERNAME, password
