"""gunicorn's settings for crm-web (systemd) and for deploy/release without systemd.

Started from <prefix>/current, never from a release directory, so that a graceful reload
(HUP) runs the release `current` points at NOW: gunicorn re-reads this file on HUP and
changes into `chdir` again before it forks the new workers, and `chdir` is the symlink's
path, not the directory it resolved to at start. The app is never preloaded in the master
(preload would pin the old code); nor does this file import it (below).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

# <prefix>/current/deploy/gunicorn.conf.py -> <prefix>/current, the symlink left unresolved.
_current = Path(os.path.abspath(__file__)).parent.parent

wsgi_app = "project.wsgi:application"
chdir = str(_current)
# With systemd socket activation (crm-web.socket) gunicorn takes the socket from systemd
# and ignores `bind`; the socket then outlives restarts, so none drops a connection.
bind = [os.environ.get("CRM_WEB_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("CRM_WEB_WORKERS", "3"))
timeout = int(os.environ.get("CRM_WEB_TIMEOUT", "60"))
# A reload or stop lets each worker finish the request it is serving for this long.
graceful_timeout = int(os.environ.get("CRM_WEB_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
preload_app = False
accesslog = "-"
errorlog = "-"
# Behind the reverse proxy on the same host only.
forwarded_allow_ips = os.environ.get("CRM_WEB_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "crm-web"


# prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR; project/metrics.py has the
# same two steps for other servers). Written here rather than imported from project.metrics:
# whatever of our app the master imports, every worker it forks after a reload inherits, so
# the master must never import it, or a reload would mix the old release with the new.
_METRICS_FILE = re.compile(r"_(\d+)\.db$")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def on_starting(server: object) -> None:
    """Make the metrics directory, and remove the files of processes that are gone."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return
    Path(directory).mkdir(parents=True, exist_ok=True)
    for db_file in Path(directory).glob("*.db"):
        found = _METRICS_FILE.search(db_file.name)
        if found is None or not _alive(int(found.group(1))):
            db_file.unlink(missing_ok=True)


def child_exit(server: object, worker: object) -> None:
    """A worker ended: its live gauges leave the sum (counters stay)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client.multiprocess import mark_process_dead

        mark_process_dead(worker.pid)  # type: ignore[attr-defined]
