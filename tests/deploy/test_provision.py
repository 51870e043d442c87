"""deploy/provision rendered into a temporary root (--root DIR --files-only: every file it
would install, no system command), then each rendered config checked by the real tool that
reads it on the server: nginx -t, sshd -t, fail2ban-client --test."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import ROOT

PROVISION = ROOT / "deploy" / "provision"
DOMAIN = "crm.example.test"
KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ0lq7cHgXn1oR4mEe0rDq3Zb0pJ9y3k5ZfC2hX1yT8b ops@laptop"
OTHER_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHb2y7Qw1kG8mN3pR5sT7uV9xZ0aB2cD4eF6gH8iJ0kL ci@runner"
)
ENV = f"""# production
DJANGO_ENV=production
SECRET_KEY=3c9f0d1e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e
DATABASE_URL=postgres://crm:secret@db.example.net:5432/crm?sslmode=verify-full
REDIS_URL=redis://127.0.0.1:6379/0
CRM_BASE_DOMAIN={DOMAIN}
CRM_CLIENT_IP_META_KEY=HTTP_X_REAL_IP
CRM_FIELD_ENCRYPTION_KEY=Z2VuZXJhdGVkLWZvci10ZXN0cy1vbmx5LTMyYnl0ZXM=
"""


def _provision(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["bash", str(PROVISION), *args], capture_output=True, text=True, timeout=60, check=False
    )
    if check:
        assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass
class Rendered:
    root: Path
    tmp: Path
    env: Path
    args: list[str]
    first: subprocess.CompletedProcess[str]


@pytest.fixture
def rendered(tmp_path: Path) -> Rendered:
    """One first run into tmp_path/root with a self-signed certificate for the TLS site."""
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1",
         "-subj", f"/CN={DOMAIN}", "-addext", f"subjectAltName=DNS:{DOMAIN},DNS:*.{DOMAIN}",
         "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    env_file = tmp_path / "production.env"
    env_file.write_text(ENV)
    root = tmp_path / "root"
    args = ["--root", str(root), "--files-only", "--domain", DOMAIN, "--ssh-key", KEY,
            "--env-file", str(env_file), "--tls-cert-dir", str(certs)]  # fmt: skip
    return Rendered(root=root, tmp=tmp_path, env=env_file, args=args, first=_provision(*args))


def _snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every path under root: kind, mode, modification time and content (or link target)."""
    state: dict[str, tuple[object, ...]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if path.is_symlink():
            state[str(path.relative_to(root))] = ("link", os.readlink(path))
        elif path.is_dir():
            state[str(path.relative_to(root))] = ("dir", oct(info.st_mode), info.st_mtime_ns)
        else:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            state[str(path.relative_to(root))] = (
                "file", oct(info.st_mode), info.st_mtime_ns, digest)  # fmt: skip
    return state


def test_shellcheck_passes() -> None:
    result = subprocess.run(
        ["shellcheck", str(PROVISION)], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stdout


def test_a_second_run_changes_nothing_and_says_so(rendered: Rendered) -> None:
    root: Path = rendered.root
    assert "0 changed" not in rendered.first.stdout
    before = _snapshot(root)

    second = _provision(*rendered.args)

    assert "provision: 0 changed," in second.stdout
    assert "provision: changed" not in second.stdout
    assert _snapshot(root) == before
    expected = {
        "etc/crm/env", "etc/ssh/sshd_config.d/01-crm-hardening.conf", "etc/sudoers.d/crm-deploy",
        "etc/fail2ban/jail.d/crm.local", "etc/fail2ban/filter.d/crm-sign-in.conf",
        "etc/nginx/sites-available/crm.conf", "etc/apt/apt.conf.d/52crm-unattended-upgrades",
        "etc/apt/apt.conf.d/20auto-upgrades", "home/deploy/.ssh/authorized_keys",
        "etc/systemd/system/crm-web.service", "etc/systemd/system/crm-backup.timer",
        "etc/systemd/system/crm-web.service.d/10-needs-release.conf",
        "srv/crm/releases", "var/lib/crm", "var/backups/crm",
    }  # fmt: skip
    assert expected <= set(before)
    assert before["etc/crm/env"][1] == oct(0o100600)
    assert before["etc/nginx/sites-enabled/crm.conf"] == (
        "link", "/etc/nginx/sites-available/crm.conf")  # fmt: skip
    # The units are installed exactly as deploy/systemd has them.
    for unit in (ROOT / "deploy" / "systemd").iterdir():
        assert (root / "etc/systemd/system" / unit.name).read_bytes() == unit.read_bytes()


def test_nginx_accepts_the_rendered_site(rendered: Rendered) -> None:
    tmp: Path = rendered.tmp
    site = rendered.root / "etc/nginx/sites-available/crm.conf"
    text = site.read_text()
    for header in ("Host $host", "X-Real-IP $remote_addr", "X-Forwarded-Proto $scheme"):
        assert f"proxy_set_header {header};" in text
    assert f"server_name {DOMAIN} *.{DOMAIN};" in text
    assert "alias /srv/crm/current/staticfiles/;" in text
    # Debian's nginx.conf around the site, with the run-time paths moved into tmp.
    temp = tmp / "nginx-temp"
    temp.mkdir()
    conf = tmp / "nginx.conf"
    conf.write_text(
        f"pid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\nevents {{}}\nhttp {{\n"
        "  include /etc/nginx/mime.types;\n  access_log off;\n"
        + "".join(f"  {kind}_temp_path {temp}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"  include {site};\n}}\n"
    )  # fmt: skip

    result = subprocess.run(
        ["/usr/sbin/nginx", "-t", "-c", str(conf), "-e", str(tmp / "nginx-error.log")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_sshd_accepts_the_drop_in_and_it_turns_root_and_passwords_off(rendered: Rendered) -> None:
    tmp: Path = rendered.tmp
    assert Path("/run/sshd").is_dir(), "sshd -t needs /run/sshd: run .ci/run, or mkdir /run/sshd"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp / "host_key")],
        check=True, timeout=60,
    )  # fmt: skip
    config = tmp / "sshd_config"
    # The drop-in included first, as Debian's sshd_config does, then a contrary setting
    # that must lose (first value wins, like a cloud image's 50-cloud-init.conf).
    config.write_text(
        f"Include {rendered.root}/etc/ssh/sshd_config.d/*.conf\n"
        "PasswordAuthentication yes\nPermitRootLogin yes\n"
        f"HostKey {tmp}/host_key\nPidFile {tmp}/sshd.pid\n"
    )
    sshd = ["/usr/sbin/sshd", "-f", str(config)]

    assert subprocess.run([*sshd, "-t"], capture_output=True, text=True, timeout=60).returncode == 0
    effective = subprocess.run(
        [*sshd, "-T", "-C", "user=root,host=attacker,addr=203.0.113.9"],
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip
    for line in ("permitrootlogin no", "passwordauthentication no",
                 "kbdinteractiveauthentication no", "authenticationmethods publickey"):  # fmt: skip
        assert line in effective


def test_fail2ban_accepts_the_jails_on_sshd_and_the_sign_in_journal(rendered: Rendered) -> None:
    config = rendered.tmp / "fail2ban"
    shutil.copytree("/etc/fail2ban", config)
    for part in ("jail.d", "filter.d"):
        for rendered_file in (rendered.root / "etc/fail2ban" / part).iterdir():
            shutil.copy(rendered_file, config / part / rendered_file.name)
    client = ["fail2ban-client", "-c", str(config)]

    test = subprocess.run([*client, "--test"], capture_output=True, text=True, timeout=60)
    dump = subprocess.run([*client, "-d"], capture_output=True, text=True, timeout=60)

    assert test.returncode == 0, test.stderr
    assert "['add', 'sshd', 'systemd']" in dump.stdout
    assert "['add', 'crm-sign-in', 'systemd']" in dump.stdout
    assert (
        "['set', 'crm-sign-in', 'addjournalmatch', '_SYSTEMD_UNIT=crm-web.service']" in dump.stdout
    )


# What Debian's and Ubuntu's unattended-upgrades packages install: all of it must be cleared.
DISTRIBUTION_DEFAULTS = """Unattended-Upgrade::Origins-Pattern {
        "origin=Debian,codename=${distro_codename},label=Debian";
        "origin=Debian,codename=${distro_codename}-security,label=Debian-Security";
};
Unattended-Upgrade::Allowed-Origins {
        "${distro_id}:${distro_codename}";
        "${distro_id}:${distro_codename}-security";
        "${distro_id}ESMApps:${distro_codename}-apps-security";
};
Unattended-Upgrade::Automatic-Reboot "true";
"""


def test_apt_reads_security_upgrades_only_over_the_distribution_defaults(
    rendered: Rendered,
) -> None:
    parts = rendered.tmp / "apt.conf.d"
    shutil.copytree(rendered.root / "etc/apt/apt.conf.d", parts)
    (parts / "50unattended-upgrades").write_text(DISTRIBUTION_DEFAULTS)
    main = rendered.tmp / "apt.conf"
    main.write_text(f'Dir::Etc::parts "{parts}";\n')

    dump = subprocess.run(
        ["apt-config", "dump"], env={**os.environ, "APT_CONFIG": str(main)},
        capture_output=True, text=True, timeout=60, check=True,
    ).stdout.splitlines()  # fmt: skip

    origins = [line for line in dump if "Origins" in line and line.endswith(";")]
    assert [line for line in origins if not line.endswith('"";')] == [
        'Unattended-Upgrade::Origins-Pattern:: '
        '"origin=Debian,codename=${distro_codename}-security,label=Debian-Security";',
        'Unattended-Upgrade::Origins-Pattern:: '
        '"origin=Ubuntu,archive=${distro_codename}-security";',
    ]  # fmt: skip
    assert 'APT::Periodic::Unattended-Upgrade "1";' in dump
    assert 'Unattended-Upgrade::Automatic-Reboot "false";' in dump


def test_sudo_accepts_the_release_rules(rendered: Rendered) -> None:
    rules = rendered.root / "etc/sudoers.d/crm-deploy"

    result = subprocess.run(
        ["/usr/sbin/visudo", "-c", "-f", str(rules)], capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert oct(rules.stat().st_mode) == oct(0o100440)
    assert "deploy ALL=(root) NOPASSWD: CRM_RELEASE, CRM_SERVICES" in rules.read_text()


def test_a_new_key_is_added_once_and_the_old_one_kept(rendered: Rendered) -> None:
    keys = rendered.root / "home/deploy/.ssh/authorized_keys"
    args = [arg if arg != KEY else OTHER_KEY for arg in rendered.args]

    _provision(*args)
    _provision(*args)

    assert keys.read_text() == f"{KEY}\n{OTHER_KEY}\n"


def test_a_different_env_file_is_refused_and_nothing_changes_until_replace_env(
    rendered: Rendered,
) -> None:
    root: Path = rendered.root
    changed_env = rendered.tmp / "changed.env"
    changed_env.write_text(
        ENV.replace("secret@", "rotated@") + "SENTRY_DSN=https://k@o.example/1\n"
    )
    args = [arg if arg != str(rendered.env) else str(changed_env) for arg in rendered.args]
    before = _snapshot(root)

    refused = _provision(*args, check=False)

    assert refused.returncode == 1
    assert "/etc/crm/env exists and differs" in refused.stderr
    assert "new variables: SENTRY_DSN" in refused.stderr
    assert "--replace-env" in refused.stderr
    assert "rotated" not in refused.stderr  # names only: values are secrets
    assert _snapshot(root) == before

    replaced = _provision(*args, "--replace-env")

    assert (root / "etc/crm/env").read_text() == changed_env.read_text()
    kept = list((root / "etc/crm").glob("env.replaced-*"))
    assert [path.read_text() for path in kept] == [ENV]
    assert "changed    /etc/crm/env" in replaced.stdout


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (["--domain", "https://crm.example.test"], "is not a domain name"),
        (["--ssh-key", "not a key"], "--ssh-key is not one OpenSSH public key line"),
        (["--frobnicate"], "unknown option: --frobnicate"),
        (["--env-file", "/nonexistent.env"], "cannot read --env-file"),
        (["--domain", "other.example.test"], "CRM_BASE_DOMAIN=crm.example.test but --domain is"),
        (["--env-file", "WITHOUT_SECRET"], "does not set SECRET_KEY"),
        (["--env-file", "WITHOUT_FIELD_KEY"], "does not set CRM_FIELD_ENCRYPTION_KEY"),
        (["--root", ""], "--root needs a value"),
    ],
)
def test_bad_input_is_a_clear_message_and_no_change(tmp_path: Path, change, message) -> None:
    env_file = tmp_path / "production.env"
    env_file.write_text(ENV)
    (tmp_path / "WITHOUT_SECRET").write_text(ENV.replace("SECRET_KEY=", "# SECRET_KEY="))
    (tmp_path / "WITHOUT_FIELD_KEY").write_text(
        ENV.replace("CRM_FIELD_ENCRYPTION_KEY=", "# CRM_FIELD_ENCRYPTION_KEY=")
    )
    options = {"--root": str(tmp_path / "root"), "--domain": DOMAIN, "--ssh-key": KEY,
               "--env-file": str(env_file)}  # fmt: skip
    if change[0] in options and len(change) == 2:
        value = change[1]
        options[change[0]] = str(tmp_path / value) if value.startswith("WITHOUT_") else value
        extra: list[str] = []
    else:
        extra = change
    args = [item for pair in options.items() for item in pair] + ["--files-only", *extra]

    result = _provision(*args, check=False)

    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr and "line " not in result.stderr.split("error:")[0]
    assert not any(path.is_file() for path in (tmp_path / "root").rglob("*"))


def test_the_first_run_without_a_key_refuses_before_passwords_go_off(tmp_path: Path) -> None:
    result = _provision("--root", str(tmp_path / "root"), "--files-only", "--domain", DOMAIN,
                        check=False)  # fmt: skip

    assert result.returncode == 1
    assert "the deploy user has no SSH key yet" in result.stderr
    assert not (tmp_path / "root/etc/ssh").exists()
