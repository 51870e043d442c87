"""deploy/release and deploy/rollback, run for real into a temporary prefix: real venvs, real
gunicorn and Celery processes (started by the script from their pidfiles), a database of the
test's own, and a load generator over loopback that must see no failed request while the
site switches release (a new migration), rolls back, and switches to a release with a new
lock (a new venv, so a new gunicorn master)."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support.migrations import additive_migration
from tests.support.servers import ROOT, free_port, gunicorn_app

RELEASE = ROOT / "deploy" / "release"
ROLLBACK = ROOT / "deploy" / "rollback"
BASE_DOMAIN = "release.test"
WORKSPACES = ["north", "south", "east"]
PROBE = additive_migration("release_note")
BROKEN = """from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("payments", "{last}")]
    operations = [migrations.RunSQL("SELECT 1 / 0")]
"""
SKIP = shutil.ignore_patterns(
    ".git", ".venv", ".data", "node_modules", "build", "staticfiles", "__pycache__",
    ".mypy_cache", ".ruff_cache", ".pytest_cache", "test-artifacts", "*.egg-info", ".env",
)  # fmt: skip


def admin(sql: str) -> None:
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as db:
        db.execute(sql)


def script_env() -> dict[str, str]:
    """This machine's environment without the test run's Django settings: the app's come from
    the env file, as on a server."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CRM_", "DJANGO_", "PYTEST_", "DATABASE_", "REDIS_"))
    }


@dataclass
class Site:
    prefix: Path
    env_file: Path
    database: str
    port: int

    def run(self, script: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(script), "--prefix", str(self.prefix), "--env-file", str(self.env_file),
             "--services", "pidfiles", "--processes", "2", *args],
            env=script_env(), capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip

    def release(self, *args: str) -> str:
        done = self.run(RELEASE, *args)
        assert done.returncode == 0, done.stdout + done.stderr
        return re.findall(r"^release: released (\S+);", done.stdout, re.M)[-1]

    def manage(self, *args: str) -> str:
        env = {**script_env(), **dotenv(self.env_file)}
        current = self.prefix / "current"
        done = subprocess.run(
            [str(current / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=current, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def health(self, host: str = BASE_DOMAIN) -> dict[str, str]:
        answer = httpx.get(f"http://127.0.0.1:{self.port}/healthz", headers={"Host": host})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def pid(self, name: str) -> int:
        return int((self.prefix / "run" / f"{name}.pid").read_text())

    def cwd_of_workers(self) -> set[str]:
        master = self.pid("web")
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        return {os.readlink(f"/proc/{child}/cwd") for child in children}

    def query(self, sql: str) -> list[tuple]:
        url = f"postgresql://postgres@127.0.0.1:5432/{self.database}"
        with psycopg.connect(url) as db:
            return db.execute(sql).fetchall()


def dotenv(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def stop_services(run_dir: Path) -> None:
    """Every process group the script started (each in its own session), then anything left."""
    groups = set()
    for pid_file in run_dir.glob("*.pid*"):
        try:
            groups.add(os.getpgid(int(pid_file.read_text())))
        except (ValueError, ProcessLookupError):
            continue
    for group in groups:
        try:
            os.killpg(group, signal.SIGTERM)
        except ProcessLookupError:
            continue
    deadline = time.monotonic() + 20
    for group in groups:
        while time.monotonic() < deadline:
            try:
                os.killpg(group, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(group, signal.SIGKILL)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    database = f"crm_release_{secrets.token_hex(4)}"
    admin(f"CREATE DATABASE {database}")
    port = free_port()
    env_file = tmp_path / "env"
    env_file.write_text(
        "\n".join(
            [
                "DJANGO_ENV=production",
                "DEBUG=false",
                f"SECRET_KEY={secrets.token_urlsafe(50)}",
                f"DATABASE_URL=postgres://postgres@127.0.0.1:5432/{database}",
                "REDIS_URL=redis://127.0.0.1:6379/4",
                f"CRM_BASE_DOMAIN={BASE_DOMAIN}",
                "CRM_FIELD_ENCRYPTION_KEY=Z2VuZXJhdGVkLWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM=",
                f"CRM_WEB_BIND=127.0.0.1:{port}",
                "CRM_WEB_WORKERS=2",
                f"CRM_CELERY_QUEUE=release-{database}",
                "CRM_DATABASE_CONNECT_TIMEOUT=15",
                "CRM_WORKER_CONCURRENCY=1",
                "",
            ]
        )
    )
    env_file.chmod(0o600)
    prefix = tmp_path / "srv"
    try:
        yield Site(prefix, env_file, database, port)
    finally:
        stop_services(prefix / "run")
        admin(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


class Load:
    """Threads asking a page and /healthz on the apex and on a workspace, over and over,
    from entering the block until a second after it ends."""

    TARGETS = [
        (BASE_DOMAIN, "/healthz"),
        (BASE_DOMAIN, "/"),
        (f"{WORKSPACES[0]}.{BASE_DOMAIN}", "/healthz"),
        (f"{WORKSPACES[0]}.{BASE_DOMAIN}", "/login/"),
    ]

    def __init__(self, port: int) -> None:
        self.port = port
        self.failures: list[str] = []
        self.releases: list[str] = []
        self.requests = 0
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.hit, args=target, daemon=True) for target in self.TARGETS
        ]

    def hit(self, host: str, path: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{self.port}", timeout=60) as client:
            while not self.stop.is_set():
                try:
                    # As nginx sends them: production redirects a request that did not come
                    # over https (only /healthz and /metrics are exempt).
                    answer = client.get(path, headers={"Host": host, "X-Forwarded-Proto": "https"})
                except httpx.HTTPError as error:
                    self.failures.append(f"{host}{path}: {type(error).__name__} {error}")
                    continue
                self.requests += 1
                if answer.status_code != 200:
                    self.failures.append(f"{host}{path}: {answer.status_code}")
                elif path == "/healthz":
                    self.releases.append(answer.json()["release"])

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(1)  # requests after the switch too
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


def source_with(tmp_path: Path, name: str, migration: str, *, lock_note: str = "") -> Path:
    """A copy of this repository plus the payments migration `migration` (named after the
    constant), and with `lock_note` a changed lock file."""
    source = tmp_path / name
    shutil.copytree(ROOT, source, ignore=SKIP)
    migrations = source / "billing" / "payments" / "migrations"
    last = sorted(path.stem for path in migrations.glob("0[0-8]*.py"))[-1]
    label = "broken" if migration == BROKEN else "probe"
    (migrations / f"0999_{label}.py").write_text(migration.format(last=last))
    if lock_note:
        with (source / "constraints.txt").open("a") as lock:
            lock.write(f"# {lock_note}\n")
    return source


def committed(repo: Path) -> str:
    """Make `repo` a git repository with everything in it committed on main: its sha."""
    git = ["git", "-C", str(repo), "-c", "user.name=Release test", "-c", "user.email=t@example"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "release candidate"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return head.stdout.strip()


def seed_old_releases(prefix: Path) -> None:
    """Six releases from before, each on a venv of its own, for the pruning to find."""
    for n in range(1, 7):
        release = prefix / "releases" / f"20200101T00000{n}Z-old{n}"
        release.mkdir(parents=True)
        (prefix / "venvs" / f"old{n}").mkdir(parents=True)
        (release / ".venv").symlink_to(f"../../venvs/old{n}")


def test_release_switch_and_rollback_drop_no_request(site: Site, tmp_path: Path) -> None:
    seed_old_releases(site.prefix)
    first = site.release("--source", str(ROOT))
    assert site.health()["release"] == first
    kept = sorted(path.name for path in (site.prefix / "releases").iterdir())
    assert kept == ["20200101T000003Z-old3", "20200101T000004Z-old4", "20200101T000005Z-old5",
                    "20200101T000006Z-old6", first]  # fmt: skip
    old_venvs = [p.name for p in (site.prefix / "venvs").iterdir() if p.name.startswith("old")]
    assert sorted(old_venvs) == ["old3", "old4", "old5", "old6"]
    for slug in WORKSPACES:
        site.manage(
            *("create_workspace", slug, "--name", slug.title()),
            *("--owner-email", f"owner@{slug}.example", "--owner-password", "Sturdy-pass-42"),
        )
    web_master, worker = site.pid("web"), site.pid("worker")

    # A release whose migration fails changes nothing: current and the site stay on the first.
    broken = site.run(RELEASE, "--source", str(source_with(tmp_path, "broken", BROKEN)))
    assert broken.returncode != 0
    assert "FAILED while migrating" in broken.stderr
    assert "division by zero" in broken.stdout + broken.stderr
    assert site.health()["release"] == first
    assert not [p for p in (site.prefix / "releases").iterdir() if p.name > first]

    with Load(site.port) as load:
        second = site.release("--source", str(source_with(tmp_path, "probe", PROBE)))
    assert load.failures == [] and load.requests > 20, load.failures[:5]
    assert load.releases[0] == first and load.releases[-1] == second
    assert site.health(f"{WORKSPACES[1]}.{BASE_DOMAIN}")["release"] == second
    assert site.pid("web") == web_master  # reloaded, not restarted
    assert site.cwd_of_workers() == {str(site.prefix / "releases" / second)}
    assert site.pid("worker") != worker and not Path(f"/proc/{worker}").exists()
    assert os.readlink(f"/proc/{site.pid('worker')}/cwd") == str(site.prefix / "releases" / second)
    schemas = [f"ws_{slug}" for slug in WORKSPACES] + ["workspace_template"]
    for schema in schemas:
        assert site.query(
            "SELECT count(*) FROM information_schema.columns WHERE table_schema = "
            f"'{schema}' AND table_name = 'payments_payment' AND column_name = 'release_note'"
        ) == [(1,)], schema
        assert site.query(
            f"SELECT count(*) FROM {schema}.django_migrations WHERE name = '0999_probe'"
        ) == [(1,)], schema
    # The workspaces' own data went through untouched: each owner is still its own.
    for slug in WORKSPACES:
        assert site.query(f"SELECT email FROM ws_{slug}.accounts_user") == [
            (f"owner@{slug}.example",)
        ]

    with Load(site.port) as load:
        rolled = site.run(ROLLBACK)
    assert rolled.returncode == 0, rolled.stdout + rolled.stderr
    assert f"rollback: rolled back to {first}" in rolled.stdout
    assert load.failures == [] and load.requests > 10, load.failures[:5]
    assert load.releases[-1] == first
    assert os.readlink(site.prefix / "current") == f"releases/{first}"
    releases = site.prefix / "releases"
    assert not (releases / second).exists() and (releases / f".rolled-back-{second}").is_dir()
    assert site.cwd_of_workers() == {str(site.prefix / "releases" / first)}

    # A new lock: a new venv, so the web gets a new gunicorn master (USR2) from it. This one
    # from a git ref (git archive), named after its commit.
    repo = source_with(tmp_path, "lock", PROBE, lock_note="new")
    commit = committed(repo)
    with Load(site.port) as load:
        third = site.release("--repo", str(repo), "--ref", "main")
    assert third.endswith(f"-{commit[:8]}")
    assert load.failures == [] and load.requests > 10, load.failures[:5]
    assert load.releases[-1] == third
    assert site.pid("web") != web_master and not Path(f"/proc/{web_master}").exists()
    assert len({os.readlink(releases / r / ".venv") for r in (first, third)}) == 2
    assert not (releases / f".rolled-back-{second}").exists()  # the release after removes it
    assert_units_verify_against(site.prefix, tmp_path / "units")


def assert_units_verify_against(prefix: Path, units: Path) -> None:
    """systemd's own checker on our units, their /srv/crm put at `prefix` as deploy/release
    installs them: every command and path they name exists in the release just made."""
    units.mkdir()
    names = ["crm-web.socket", "crm-web.service", "crm-worker.service", "crm-beat.service"]
    for name in names:
        text = (ROOT / "deploy" / "systemd" / name).read_text()
        (units / name).write_text(text.replace("/srv/crm", str(prefix)))
    web = (units / "crm-web.service").read_text()
    assert "ExecStartPre" not in web and "ExecReload=/bin/kill -s HUP $MAINPID" in web

    checked = subprocess.run(
        ["systemd-analyze", "verify", *(str(units / name) for name in names)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr


@pytest.fixture
def dry(tmp_path: Path) -> Site:
    env_file = tmp_path / "env"
    env_file.write_text("DJANGO_ENV=production\n")
    env_file.chmod(0o600)
    return Site(tmp_path / "srv", env_file, "unused", free_port())


@pytest.mark.parametrize(
    ("script", "args", "message"),
    [
        (RELEASE, ["--ref", "no-such-ref"], "no commit 'no-such-ref'"),
        (RELEASE, ["--source", "/nonexistent"], "is not a checkout of the app"),
        (RELEASE, ["--ref", "HEAD", "--source", "."], "give --ref or --source, not both"),
        (RELEASE, ["--keep", "1"], "--keep must be a whole number, 2 or more"),
        (RELEASE, ["--services", "upstart"], "--services must be systemd, pidfiles or none"),
        (RELEASE, ["--bogus"], "unknown argument '--bogus'"),
        (ROLLBACK, [], "nothing to roll back from"),
    ],
)
def test_bad_input_is_refused_clearly_and_builds_nothing(
    dry: Site, script: Path, args: list[str], message: str
) -> None:
    done = dry.run(script, *args)

    assert done.returncode != 0
    assert message in done.stderr and "Traceback" not in done.stderr
    releases = dry.prefix / "releases"
    assert not releases.exists() or list(releases.iterdir()) == []


def test_a_missing_env_file_is_named(dry: Site) -> None:
    dry.env_file.unlink()

    done = dry.run(RELEASE)

    assert done.returncode != 0
    assert f"no readable environment file at {dry.env_file}" in done.stderr


def test_a_rollback_with_no_release_before_says_so_and_keeps_current(dry: Site) -> None:
    only = dry.prefix / "releases" / "20260101T000000Z-only"
    only.mkdir(parents=True)
    (dry.prefix / "current").symlink_to("releases/20260101T000000Z-only")

    done = dry.run(ROLLBACK)

    assert done.returncode != 0
    assert "no release older than 20260101T000000Z-only" in done.stderr
    assert os.readlink(dry.prefix / "current") == "releases/20260101T000000Z-only"


def test_gunicorn_config_clears_metrics_files_of_gone_processes_only(tmp_path: Path) -> None:
    metrics = tmp_path / "metrics"
    metrics.mkdir()
    gone = metrics / "counter_4194321.db"  # above Linux's largest pid: no such process
    live = metrics / f"counter_{os.getpid()}.db"
    gone.write_bytes(b"")
    live.write_bytes(b"")
    env = {
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
        "REDIS_URL": "redis://127.0.0.1:6379/4",
    }
    config = ["--config", str(ROOT / "deploy" / "gunicorn.conf.py")]

    with gunicorn_app(env, log_path=tmp_path / "web.log", args=config) as base_url:
        assert httpx.get(f"{base_url}/healthz", headers={"Host": "localhost"}).status_code == 200

    assert live.exists() and not gone.exists()
