"""Email marketing in one workspace (tenant schema): campaigns, the delivery engine's state
of each outbound message, the suppression list, the provider webhook calls already applied,
and the workspace's sender settings."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from crm.models import Lead, Message


class Campaign(models.Model):
    """An email to an audience. Its counters are kept by the sending job and the Postmark
    webhooks, each in the transaction that changes the messages it counts."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Sending"
        PAUSED = "paused", "Paused"
        SENT = "sent", "Sent"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, default="email")
    subject = models.CharField(max_length=255, blank=True)
    body_template = models.TextField(blank=True)  # the plain-text part
    html_template = models.TextField(blank=True)  # the HTML part; made from the text if empty
    audience = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(null=True, blank=True)  # when its messages were written
    finished_at = models.DateTimeField(null=True, blank=True)
    audience_size = models.PositiveIntegerField(default=0)
    sent_count = models.PositiveIntegerField(default=0)
    delivered_count = models.PositiveIntegerField(default=0)
    opened_count = models.PositiveIntegerField(default=0)
    clicked_count = models.PositiveIntegerField(default=0)
    bounced_count = models.PositiveIntegerField(default=0)
    unsubscribed_count = models.PositiveIntegerField(default=0)
    complained_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    suppressed_count = models.PositiveIntegerField(default=0)
    # SMS: replies to the campaign's texts (opt-outs count in unsubscribed_count) and the
    # segments its texts took, as Twilio billed them.
    replied_count = models.PositiveIntegerField(default=0, db_default=0)
    segments_used = models.PositiveIntegerField(default=0, db_default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """The delivery engine's hold on one outbound message (`crm.Message` stays the lead's
    record: its status, address and outcome are what a person reads).

    Written in the statement that first claims the message and kept after it settles. A
    message is held by an attempt while it is `sending` and its row carries that attempt's
    `batch_key`; `lease_until` is set only while held, and once it has run out the attempt
    is reconciled with the provider by that key before anything is sent again. Nothing here
    is particular to email: another channel's transport claims and settles the same rows.
    """

    message = models.OneToOneField(
        Message, primary_key=True, on_delete=models.CASCADE, related_name="delivery"
    )
    batch_key = models.UUIDField(null=True, blank=True)  # the latest attempt, sent as metadata
    lease_until = models.DateTimeField(null=True, blank=True)  # held until; then reconcile it
    attempts = models.PositiveSmallIntegerField(default=1)  # claims, this one included
    attempted_at = models.DateTimeField(null=True, blank=True)  # the latest claim

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            # Reconciliation finds the attempts whose lease ran out; settled rows carry none.
            models.Index(
                fields=["lease_until"],
                condition=Q(lease_until__isnull=False),
                name="outreach_delivery_lease_idx",
            ),
            # ... and settles each of them by its batch key.
            models.Index(fields=["batch_key"], name="outreach_delivery_batch_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery of message {self.message_id} (attempt {self.attempts})"


class Suppression(models.Model):
    """An address this workspace never emails: unsubscribed, hard-bounced, complained, or
    refused by Postmark as inactive. Only the lead can lift an unsubscribe (its link)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        SPAM_COMPLAINT = "spam_complaint", "Spam complaint"
        INACTIVE = "inactive", "Inactive at Postmark"
        MANUAL = "manual", "Added by the team"

    email = models.CharField(max_length=254)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.SET_NULL, related_name="suppressions"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="outreach_suppression_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class PostmarkEvent(models.Model):
    """A webhook call already applied: the same payload again is acknowledged, not re-applied."""

    payload_hash = models.CharField(max_length=64, unique=True)
    record_type = models.CharField(max_length=32)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.record_type} {self.payload_hash[:12]}"


class EmailSettings(models.Model):
    """The workspace's sender facts (one row): the postal address every campaign email
    carries, the From name and address, a reply-to address, and the hash of the Postmark
    webhook password."""

    postal_address = models.TextField(blank=True)
    reply_to = models.EmailField(max_length=254, blank=True)
    from_name = models.CharField(max_length=100, blank=True)  # empty: the workspace's name
    from_email = models.EmailField(max_length=254, blank=True)
    webhook_secret_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "email settings"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="outreach_email_settings_single")
        ]

    def __str__(self) -> str:
        return "email settings"


class SendingDomain(models.Model):
    """The workspace's own domain, registered with Postmark (one row): the DNS records to add
    and what Postmark found when last asked. Email goes From the workspace's address only once
    DKIM is verified; before, From the platform's address with the workspace's as Reply-To."""

    name = models.CharField(max_length=253)
    postmark_id = models.BigIntegerField()
    dkim_host = models.CharField(max_length=255, blank=True)
    dkim_value = models.TextField(blank=True)
    dkim_verified = models.BooleanField(default=False)
    return_path_host = models.CharField(max_length=255, blank=True)
    return_path_value = models.CharField(max_length=255, blank=True)
    return_path_verified = models.BooleanField(default=False)
    checked_at = models.DateTimeField(null=True, blank=True)  # the last Verify
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="outreach_sending_domain_single")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def verified(self) -> bool:
        """What Postmark asks before it sends From an address of the domain."""
        return self.dkim_verified
