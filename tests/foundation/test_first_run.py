"""The first-run command prepares the database and prints a login that works."""

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command


@pytest.mark.django_db
def test_crmsync_demo_prints_the_console_url_and_a_working_demo_login(capsys, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    call_command("crmsync_demo", "--no-serve", "--addr", "127.0.0.1:8123")
    out = capsys.readouterr().out
    assert "crmsync console: http://127.0.0.1:8123/admin/" in out
    username, password = out.split("login: ", 1)[1].strip().split(" / ")
    user = authenticate(username=username, password=password)
    assert user is not None and user.is_staff and user.is_superuser
    assert (tmp_path / "demo_admin_password").stat().st_mode & 0o077 == 0
