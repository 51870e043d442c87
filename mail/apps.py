from django.apps import AppConfig


class MailConfig(AppConfig):
    """Both schemas: the email gateway (Postmark or the development outbox), the outbox
    itself, and the public pending-send list the delivery sweep reads."""

    name = "mail"
    verbose_name = "Platform mail"
