"""Platform mail, used by both schemas: the development outbox (each schema keeps the emails
it would have sent) and the public list of sends the beat sweeps (public schema only; see
mail.routers)."""

from __future__ import annotations

from django.db import models


class OutboxEmail(models.Model):
    """Development outbox: with no Postmark token, every email lands here, never dropped."""

    to = models.CharField(max_length=254)
    subject = models.CharField(max_length=255)
    text_body = models.TextField()
    html_body = models.TextField(blank=True)
    stream = models.CharField(max_length=64)
    tag = models.CharField(max_length=64, blank=True)
    from_email = models.CharField(max_length=320, blank=True)
    reply_to = models.CharField(max_length=254, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.to}: {self.subject}"


class PendingSend(models.Model):
    """A campaign (or, with campaign_id 0, the one-off emails) of a workspace that still has
    mail to send. Kept in the public schema so that one periodic sweep finds every due or
    stalled send without visiting each workspace's schema; written in the same transaction
    as the campaign's own change."""

    DIRECT = 0  # campaign_id of a workspace's one-off emails
    DIRECT_SMS = -1  # ... and of its one-off texts

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Waiting for its time"
        ACTIVE = "active", "Sending"
        PAUSED = "paused", "Paused"

    workspace = models.ForeignKey("tenants.Workspace", on_delete=models.CASCADE, related_name="+")
    campaign_id = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=State.choices)
    due_at = models.DateTimeField()  # scheduled: when to start
    heartbeat_at = models.DateTimeField()  # active: the last sign of a sender at work
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "campaign_id"], name="mail_pending_send_unique"
            )
        ]
        indexes = [models.Index(fields=["state", "due_at"], name="mail_pending_send_due")]

    def __str__(self) -> str:
        return f"{self.workspace_id}/{self.campaign_id} {self.state}"


class EmailUsage(models.Model):
    """How many emails (and SMS segments) the workspace queued in one calendar month (UTC),
    against its plan's monthly limits. One row per month in the workspace's schema; written
    in the same transaction that freezes a campaign's audience or queues a one-off message
    (tenants.limits), so the count read for the next check already includes them."""

    month = models.DateField(unique=True)  # the first day of the month
    emails = models.BigIntegerField(default=0)
    sms_segments = models.BigIntegerField(
        default=0, db_default=0
    )  # texts' segments, against the SMS limit

    class Meta:
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}: {self.emails}"
