from django.apps import AppConfig


class BackupsConfig(AppConfig):
    """manage.py backup and restore_workspace; no models of its own."""

    name = "backups"
