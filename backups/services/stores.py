"""Where backups live: a directory or an S3-compatible bucket, behind the same five calls.

A backup is a folder (`<root>/<name>/...`, or keys under `<prefix>/<name>/`) whose name is
its UTC time (`20261201T031500Z`); its manifest is the last file written, so a folder
without one is a backup that never finished.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlparse

import boto3
from boto3.exceptions import Boto3Error
from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from backups.errors import BackupError, BackupNotFound

MANIFEST = "manifest.json"
NAME_FORMAT = "%Y%m%dT%H%M%SZ"


def backup_time(name: str) -> datetime | None:
    """The time a backup's name stands for; None for a name that is not one of ours."""
    try:
        return datetime.strptime(name, NAME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class StoredBackup:
    name: str
    complete: bool  # it has its manifest

    @property
    def taken_at(self) -> datetime:
        taken = backup_time(self.name)
        assert taken is not None  # stores list only names that parse
        return taken


class BackupStore(Protocol):
    location: str

    def put(self, source: Path, *, backup: str, relative: str) -> None: ...
    def get(self, *, backup: str, relative: str, target: Path) -> None: ...
    def backups(self) -> list[StoredBackup]: ...
    def delete(self, backup: str) -> None: ...


class DirectoryStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.location = str(root)

    def put(self, source: Path, *, backup: str, relative: str) -> None:
        target = self.root / backup / relative
        if source.resolve() == target.resolve():
            return  # written in place (take_backup writes straight into the folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)  # a file carries its final name only once complete

    def get(self, *, backup: str, relative: str, target: Path) -> None:
        source = self.root / backup / relative
        if not source.is_file():
            raise BackupNotFound(f"{source} does not exist.")
        shutil.copyfile(source, target)

    def backups(self) -> list[StoredBackup]:
        if not self.root.is_dir():
            return []
        return sorted(
            (
                StoredBackup(entry.name, (entry / MANIFEST).is_file())
                for entry in self.root.iterdir()
                if entry.is_dir() and backup_time(entry.name)
            ),
            key=lambda stored: stored.name,
        )

    def delete(self, backup: str) -> None:
        shutil.rmtree(self.root / backup, ignore_errors=True)


class S3Store:
    """boto3's managed transfers (upload_file switches to multipart for large dumps)."""

    def __init__(self, url: str, *, endpoint_url: str | None) -> None:
        parsed = urlparse(url)
        self.bucket = parsed.netloc
        self.prefix = parsed.path.strip("/")
        self.location = url
        self.client: Any = boto3.client("s3", endpoint_url=endpoint_url)

    def _key(self, backup: str, relative: str = "") -> str:
        return "/".join(part for part in (self.prefix, backup, relative) if part)

    def put(self, source: Path, *, backup: str, relative: str) -> None:
        with _s3_errors(self.location):
            self.client.upload_file(str(source), self.bucket, self._key(backup, relative))

    def get(self, *, backup: str, relative: str, target: Path) -> None:
        key = self._key(backup, relative)
        try:
            self.client.download_file(self.bucket, key, str(target))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey"}:
                raise BackupNotFound(f"s3://{self.bucket}/{key} does not exist.") from None
            raise BackupError(f"S3 ({self.location}): {error}") from None
        except (BotoCoreError, Boto3Error) as error:
            raise BackupError(f"S3 ({self.location}): {error}") from None

    def _keys(self, prefix: str) -> list[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        with _s3_errors(self.location):
            keys: list[str] = [
                item["Key"]
                for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix)
                for item in page.get("Contents", [])
            ]
        return keys

    def backups(self) -> list[StoredBackup]:
        base = self._key("") + "/" if self.prefix else ""
        found: dict[str, bool] = {}
        for key in self._keys(base):
            name, _, rest = key[len(base) :].partition("/")
            if backup_time(name):
                found[name] = found.get(name, False) or rest == MANIFEST
        return [StoredBackup(name, complete) for name, complete in sorted(found.items())]

    def delete(self, backup: str) -> None:
        keys = self._keys(self._key(backup) + "/")
        for start in range(0, len(keys), 1000):  # DeleteObjects takes 1,000 keys a call
            with _s3_errors(self.location):
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in keys[start : start + 1000]]},
                )


@contextmanager
def _s3_errors(location: str) -> Iterator[None]:
    """boto3's errors as a BackupError naming the store (no traceback for an operator's
    wrong bucket or credentials)."""
    try:
        yield
    except (ClientError, BotoCoreError, Boto3Error) as error:
        raise BackupError(
            f"S3 ({location}): {error}. Check the bucket, CRM_BACKUP_S3_ENDPOINT_URL and the "
            "AWS_* credentials."
        ) from None


def configured_store() -> BackupStore:
    """The store the settings name: CRM_BACKUP_URL (s3://) if set, else CRM_BACKUP_DIR."""
    url = settings.CRM_BACKUP_URL
    if url:
        if not url.startswith("s3://") or not urlparse(url).netloc:
            raise BackupError(
                f"CRM_BACKUP_URL={url!r} is not an s3://bucket/prefix address; fix it or "
                "leave it empty to use CRM_BACKUP_DIR."
            )
        return S3Store(url, endpoint_url=settings.CRM_BACKUP_S3_ENDPOINT_URL)
    return DirectoryStore(Path(settings.CRM_BACKUP_DIR))
