"""One row by id, or a 404 naming what was asked for: the read every edge shares."""

from __future__ import annotations

from typing import TypeVar

from django.db import models

from project.errors import NotFound

M = TypeVar("M", bound=models.Model)


def get_record(model: type[M], record_id: int) -> M:
    record = model._default_manager.filter(pk=record_id).first()
    if record is None:
        raise NotFound(f"No {model._meta.verbose_name} with this id.")
    return record
