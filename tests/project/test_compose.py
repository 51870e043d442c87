"""docker-compose.yml cannot run here (no Docker engine), so its parts are checked against
the project: every service exists with a health check, and every command names real code."""

from __future__ import annotations

import importlib
import re
import shlex
from typing import Any

import pytest
import yaml
from django.core.management import get_commands

from tests.support.servers import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_SERVICES = ["web", "worker", "beat", "migrate"]


def words(command: Any) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(w) for w in command]


def check_command(command: list[str]) -> None:
    """Fail unless the program and what it names exist in this project."""
    if command[:2] == ["sh", "-c"]:
        for part in re.split(r"\s*&&\s*", command[2]):
            check_command(shlex.split(part))
        return
    program = command[0]
    if program == "gunicorn":
        module, attribute = command[1].split(":")
        assert hasattr(importlib.import_module(module), attribute), command
    elif program == "celery":
        app_module = command[command.index("-A") + 1]
        assert hasattr(importlib.import_module(f"{app_module}.celery"), "app"), command
        assert command[command.index("-A") + 2] in {"worker", "beat", "inspect"}, command
    elif program == "python" and command[1] == "manage.py":
        assert command[2] in get_commands(), f"no management command {command[2]}"
    elif program == "python" and command[1] == "-c":
        compile(command[2], "<healthcheck>", "exec")
    else:
        assert program in {"pg_isready", "redis-cli", "redis-server", "test"}, command


@pytest.mark.parametrize("name", ["web", "worker", "beat", "postgres", "redis"])
def test_service_exists_with_a_health_check(name: str) -> None:
    assert "test" in SERVICES[name]["healthcheck"]


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_builds_the_project_dockerfile(name: str) -> None:
    build = SERVICES[name]["build"]
    assert (ROOT / build["context"] / build["dockerfile"]).is_file()


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_service_command_names_real_code(name: str) -> None:
    check_command(words(SERVICES[name]["command"]))


@pytest.mark.parametrize("name", ["web", "worker"])
def test_health_check_command_names_real_code(name: str) -> None:
    check_command(words(SERVICES[name]["healthcheck"]["test"])[1:])  # drop "CMD"


@pytest.mark.parametrize("name", ["web", "worker", "beat"])
def test_app_services_start_after_migrations_and_healthy_services(name: str) -> None:
    depends = SERVICES[name]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["redis"]["condition"] == "service_healthy"


def test_environment_satisfies_the_production_profile() -> None:
    from project.config import refuse_unsafe_production

    environment = dict(SERVICES["web"]["environment"])
    filled = {
        key: re.sub(r"\$\{[^}]+\}", "x" * 40, str(value)) for key, value in environment.items()
    }

    assert environment["DJANGO_ENV"] == "production"
    refuse_unsafe_production(filled, profile="production")
    assert ":?" in environment["SECRET_KEY"]  # compose refuses to start without one


def test_dockerfile_runs_gunicorn_on_the_wsgi_app_and_checks_health() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    cmd = re.search(r"^CMD \[(.*?)\]", dockerfile, re.S | re.M)

    assert cmd is not None
    check_command([part.strip().strip('"') for part in cmd.group(1).replace("\\\n", "").split(",")])
    assert "/healthz" in dockerfile
    assert "-c constraints.txt" in dockerfile
