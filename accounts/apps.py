from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Users: installed in the public schema (platform staff) and every workspace schema."""

    name = "accounts"
