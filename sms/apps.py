from django.apps import AppConfig


class SmsConfig(AppConfig):
    """Tenant schema: the workspace's own Twilio account (credentials encrypted at rest) and
    the SMS gateway that sends through it with the official twilio client."""

    name = "sms"
    verbose_name = "SMS"
