from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tenants.services.template import refresh_template, template_schema


class Command(BaseCommand):
    help = "Bring the schema new workspaces are cloned from up to the latest migrations."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = refresh_template()
        state = "rebuilt" if changed else "already current"
        self.stdout.write(f"Workspace template {template_schema()}: {state}.")
