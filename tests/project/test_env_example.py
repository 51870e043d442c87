"""Every environment variable the code reads is documented in .env.example."""

from __future__ import annotations

import re

from tests.support.servers import ROOT

READERS = ["project/settings.py", "project/config.py", "project/devrun.py"]
PATTERN = re.compile(r"""(?:env|environ|os\.environ)(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]+)["']""")
NOT_CONFIGURATION = {"PYTEST_XDIST_WORKER"}


def test_every_variable_read_is_in_env_example() -> None:
    read = set()
    for path in READERS:
        read |= set(PATTERN.findall((ROOT / path).read_text()))
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))

    assert read - NOT_CONFIGURATION, "the pattern found nothing: did the readers move?"
    assert sorted(read - NOT_CONFIGURATION - documented) == []
