"""The workspace's Twilio account: one row per workspace schema."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from project.encryption import decrypt

MAX_SEND_RATE = 1000  # messages per second; Twilio's own ceiling for a short code or service


class SmsAccount(models.Model):
    """The workspace's own Twilio account (one row): its SID, the auth token and/or an API key
    (SID and secret), each secret Fernet-encrypted with only its last four characters kept in
    clear, the sender (an E.164 number or a messaging service), and messages per second.

    Calls use the API key when there is one, else the auth token. Twilio signs its callbacks
    with the auth token only, so callbacks can be verified only when it is stored."""

    account_sid = models.CharField(max_length=34)
    auth_token_encrypted = models.TextField(blank=True)
    auth_token_last4 = models.CharField(max_length=4, blank=True)
    api_key_sid = models.CharField(max_length=34, blank=True)
    api_key_secret_encrypted = models.TextField(blank=True)
    api_key_secret_last4 = models.CharField(max_length=4, blank=True)
    phone_number = models.CharField(max_length=16, blank=True)  # E.164
    messaging_service_sid = models.CharField(max_length=34, blank=True)
    send_rate = models.PositiveIntegerField(default=1)  # messages per second
    friendly_name = models.CharField(max_length=200, blank=True)  # as Twilio names the account
    # What a lead who texts HELP gets back; empty: a default naming the workspace.
    help_text = models.CharField(max_length=320, blank=True, default="", db_default="")
    verified_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="sms_account_single"),
            models.CheckConstraint(
                condition=(Q(phone_number="") & ~Q(messaging_service_sid=""))
                | (~Q(phone_number="") & Q(messaging_service_sid="")),
                name="sms_account_one_sender",
            ),
            models.CheckConstraint(
                condition=~Q(auth_token_encrypted="") | ~Q(api_key_secret_encrypted=""),
                name="sms_account_has_credentials",
            ),
            models.CheckConstraint(
                condition=Q(send_rate__gte=1, send_rate__lte=MAX_SEND_RATE),
                name="sms_account_send_rate_range",
            ),
        ]

    def __str__(self) -> str:
        return f"Twilio account ending {self.account_sid[-4:]}"

    @property
    def auth_token(self) -> str:
        return decrypt(self.auth_token_encrypted) if self.auth_token_encrypted else ""

    @property
    def api_key_secret(self) -> str:
        return decrypt(self.api_key_secret_encrypted) if self.api_key_secret_encrypted else ""


class TwilioEvent(models.Model):
    """A status callback or inbound message already applied: Twilio retries a callback it
    got no answer to, and the same one again is acknowledged, not applied twice. The key is
    the message SID with the status it reports (inbound: the SID alone)."""

    key = models.CharField(max_length=80, unique=True)
    kind = models.CharField(max_length=16)  # status | inbound
    message_id = models.BigIntegerField(null=True, blank=True)  # crm.Message, when one matched
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"
