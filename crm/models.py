"""The sales picture of one workspace (tenant schema): leads, stages, products, messages,
tasks, imports, and the event log every change writes. Email marketing lives in outreach."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce, Concat, Lower, Upper
from django.utils import timezone


def lead_search_expression() -> Upper:
    """The text lead search matches; the trigram index is built on this same expression."""
    return Upper(
        Concat(
            Coalesce("first_name", models.Value("")),
            models.Value(" "),
            Coalesce("last_name", models.Value("")),
            models.Value(" "),
            Coalesce("email", models.Value("")),
            models.Value(" "),
            Coalesce("company", models.Value("")),
            output_field=models.TextField(),
        )
    )


class PipelineStage(models.Model):
    name = models.CharField(max_length=60)
    order = models.PositiveIntegerField(default=0)
    win_probability = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="crm_stage_name_ci_unique"),
            models.CheckConstraint(
                condition=Q(win_probability__lte=100), name="crm_stage_probability_max_100"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CustomFieldDefinition(models.Model):
    """A workspace-defined lead field; values live in Lead.custom_fields under `key`."""

    class FieldType(models.TextChoices):
        TEXT = "text", "Text"
        NUMBER = "number", "Number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes/no"
        SELECT = "select", "Choice"

    key = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    field_type = models.CharField(max_length=16, choices=FieldType.choices)
    options = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class Lead(models.Model):
    class Source(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        IMPORT = "import", "Import"
        API = "api", "API"
        REFERRAL = "referral", "Referral"
        SOCIAL = "social", "Social"
        ADS = "ads", "Ads"
        # Made by a payment from an address that was not a lead yet (billing.payments).
        STRIPE = "stripe", "Stripe payment"
        OTHER = "other", "Other"

    class Status(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        QUALIFIED = "qualified", "Qualified"
        CUSTOMER = "customer", "Customer"
        LOST = "lost", "Lost"

    class SmsConsent(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"

    class SmsConsentSource(models.TextChoices):
        """How a lead said yes to texts (carriers and the TCPA ask for it to be kept)."""

        WEB_FORM = "web_form", "Web form"
        CHECKOUT = "checkout", "Checkout"
        IMPORT = "import", "Import"
        API = "api", "API"
        KEYWORD = "keyword", "Texted START"
        WRITTEN = "written", "In writing"
        VERBAL = "verbal", "Verbally"
        OTHER = "other", "Other"

    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    # NULL, not "", for phone-only leads: the unique index on lower(email) ignores NULLs.
    email = models.EmailField(max_length=254, null=True, blank=True)  # noqa: DJ001
    phone = models.CharField(max_length=40, blank=True)
    company = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.OTHER)
    source_detail = models.CharField(max_length=200, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    notes = models.TextField(blank=True)
    custom_fields = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="leads",
    )
    stage = models.ForeignKey(
        PipelineStage, null=True, blank=True, on_delete=models.SET_NULL, related_name="leads"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.NEW)
    consent = models.BooleanField(default=False)
    consent_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    # SMS consent is its own: saying yes to email is not saying yes to texts.
    # Database defaults too: rows written in bulk by SQL (imports, benchmarks) start unknown.
    sms_consent = models.CharField(
        "SMS consent",
        max_length=16,
        choices=SmsConsent.choices,
        default=SmsConsent.UNKNOWN,
        db_default=SmsConsent.UNKNOWN,
    )
    sms_consent_source = models.CharField(
        "SMS consent source",
        max_length=16,
        choices=SmsConsentSource.choices,
        blank=True,
        default="",
        db_default="",
    )
    sms_consent_at = models.DateTimeField(null=True, blank=True)  # when they opted in
    sms_opted_out_at = models.DateTimeField(null=True, blank=True)
    # Set when the provider reports the number permanently undeliverable (landline, invalid).
    sms_undeliverable_at = models.DateTimeField(null=True, blank=True)
    # The lead's own IANA zone when known; texts keep to quiet hours in it (else the zone of
    # the number's region, else the workspace's).
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")
    last_contacted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="crm_lead_email_ci_unique"),
            models.CheckConstraint(
                condition=(Q(email__isnull=False) & ~Q(email="")) | ~Q(phone=""),
                name="crm_lead_email_or_phone",
            ),
            # Opted in means a source and a time; opted out, a time.
            models.CheckConstraint(
                condition=~Q(sms_consent="opted_in")
                | (~Q(sms_consent_source="") & Q(sms_consent_at__isnull=False)),
                name="crm_lead_sms_opt_in_has_source",
            ),
            models.CheckConstraint(
                condition=~Q(sms_consent="opted_out") | Q(sms_opted_out_at__isnull=False),
                name="crm_lead_sms_opt_out_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="crm_lead_created_idx"),
            models.Index(fields=["-updated_at", "-id"], name="crm_lead_updated_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="crm_lead_status_idx"),
            models.Index(fields=["source", "-created_at", "-id"], name="crm_lead_source_idx"),
            models.Index(fields=["stage", "-created_at", "-id"], name="crm_lead_stage_idx"),
            models.Index(fields=["owner", "-created_at", "-id"], name="crm_lead_owner_idx"),
            # The table's other sorts, each (field, id), scanned either way (NULLs at one end).
            models.Index(fields=["last_name", "id"], name="crm_lead_last_name_idx"),
            models.Index(fields=["status", "id"], name="crm_lead_status_sort_idx"),
            models.Index(fields=["stage", "id"], name="crm_lead_stage_sort_idx"),
            models.Index(fields=["owner", "id"], name="crm_lead_owner_sort_idx"),
            models.Index(fields=["last_contacted_at", "id"], name="crm_lead_contacted_idx"),
            # The pipeline board's counts per stage for one owner, as an index-only scan.
            models.Index(fields=["owner", "stage"], name="crm_lead_owner_stage_idx"),
            # The SMS audience and the STOP keyword look leads up by consent and by number.
            models.Index(fields=["sms_consent", "id"], name="crm_lead_sms_consent_idx"),
            models.Index(fields=["phone"], name="crm_lead_phone_idx"),
            GinIndex(fields=["tags"], name="crm_lead_tags_gin"),
            # Custom field filters are containment (custom_fields @> {"key": value}).
            GinIndex(
                fields=["custom_fields"],
                opclasses=["jsonb_path_ops"],
                name="crm_lead_custom_fields_gin",
            ),
            GinIndex(
                OpClass(lead_search_expression(), name="gin_trgm_ops"), name="crm_lead_search_trgm"
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email or self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class LeadTableColumns(models.Model):
    """The columns one member chose for the leads table; each member keeps their own."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lead_table_columns"
    )
    columns = ArrayField(models.CharField(max_length=60), default=list)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"lead columns of user {self.user_id}"


class Product(models.Model):
    class Kind(models.TextChoices):
        COURSE = "course", "Course"
        COACHING = "coaching", "Coaching"
        SERVICE = "service", "Service"
        MEMBERSHIP = "membership", "Membership"
        OTHER = "other", "Other"

    class Billing(models.TextChoices):
        ONE_TIME = "one_time", "One-time"
        RECURRING = "recurring", "Recurring"

    class Interval(models.TextChoices):
        MONTH = "month", "Monthly"
        YEAR = "year", "Yearly"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.COURSE)
    description = models.TextField(blank=True)
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    currency = models.CharField(max_length=3, default="USD")
    billing = models.CharField(max_length=16, choices=Billing.choices, default=Billing.ONE_TIME)
    interval = models.CharField(max_length=8, choices=Interval.choices, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(price__gte=0), name="crm_product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(billing="one_time", interval="")
                | (Q(billing="recurring") & ~Q(interval="")),
                name="crm_product_interval_matches_billing",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Message(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        CALL = "call", "Call"
        MEETING = "meeting", "Meeting"
        NOTE = "note", "Note"
        CHAT = "chat", "Chat"

    class Direction(models.TextChoices):
        OUTBOUND = "outbound", "Outbound"
        INBOUND = "inbound", "Inbound"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        OPENED = "opened", "Opened"
        CLICKED = "clicked", "Clicked"
        BOUNCED = "bounced", "Bounced"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Not sent: suppressed"
        CANCELLED = "cancelled", "Not sent: cancelled"
        RECEIVED = "received", "Received"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(
        max_length=16, choices=Direction.choices, default=Direction.OUTBOUND
    )
    subject = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SENT)
    provider_id = models.CharField(max_length=100, blank=True)
    campaign = models.ForeignKey(
        "outreach.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    # The outcome of outbound email as a person reads it (campaigns and one-off emails to a
    # lead); the sending engine's own state of each attempt lives with it, in outreach.
    to_email = models.CharField(max_length=254, blank=True)  # the address it went to
    to_phone = models.CharField(
        max_length=16, blank=True, default="", db_default=""
    )  # the number a text went to (E.164)
    segments = models.PositiveSmallIntegerField(
        default=0, db_default=0
    )  # a text's billed parts, as sent
    # The zone a campaign text keeps quiet hours in, chosen when the audience was frozen.
    time_zone = models.CharField(max_length=64, blank=True, default="", db_default="")
    error_code = models.PositiveIntegerField(default=0)  # Postmark's ErrorCode when refused
    error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    complained_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    open_count = models.PositiveIntegerField(default=0)
    click_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["lead", "-occurred_at"], name="crm_message_lead_idx"),
            # Claiming the next batch, progress by status, and a campaign's message list.
            models.Index(fields=["campaign", "status", "id"], name="crm_message_outgoing_idx"),
            # Webhooks find their message by Postmark's id.
            models.Index(
                fields=["provider_id"],
                condition=~Q(provider_id=""),
                name="crm_message_provider_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "lead"],
                condition=Q(campaign__isnull=False),
                name="crm_message_one_per_campaign_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.direction} to lead {self.lead_id}"


class Task(models.Model):
    title = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tasks",
    )
    lead = models.ForeignKey(
        Lead, null=True, blank=True, on_delete=models.CASCADE, related_name="tasks"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(
                fields=["due_at"], condition=Q(done_at__isnull=True), name="crm_task_open_due_idx"
            ),
            models.Index(fields=["lead", "-created_at"], name="crm_task_lead_idx"),
            # The dashboard's "my open tasks" and a member's task list.
            models.Index(
                fields=["assignee", "due_at"],
                condition=Q(done_at__isnull=True),
                name="crm_task_open_assignee_idx",
            ),
            # A lead's open tasks, soonest due first (its page's Open tasks).
            models.Index(
                fields=["lead", "due_at"],
                condition=Q(done_at__isnull=True),
                name="crm_task_lead_open_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EventLog(models.Model):
    """One row per change, written by the service in the change's own transaction."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verb = models.CharField(max_length=32)
    object_type = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    changes = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id", "-at"], name="crm_event_object_idx"),
            models.Index(fields=["-at", "-id"], name="crm_event_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.object_type} {self.object_id}"


class LeadImport(models.Model):
    """One CSV import: its options, its file, its progress and its per-row report."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for a worker"
        VALIDATING = "validating", "Checking rows"
        WRITING = "writing", "Writing leads"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class OnDuplicate(models.TextChoices):
        UPDATE = "update", "Update the existing lead"
        SKIP = "skip", "Keep the existing lead"

    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    csv_text = models.TextField()
    mapping = models.JSONField(default=dict, blank=True)
    on_duplicate = models.CharField(
        max_length=8, choices=OnDuplicate.choices, default=OnDuplicate.SKIP
    )
    dry_run = models.BooleanField(default=False)
    skip_bad_rows = models.BooleanField(default=False)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    failure = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"import {self.pk} ({self.status})"


class LeadTally(models.Model):
    """How many leads were created in each UTC hour by source, and how many of those are
    customers now.

    Kept by the database itself (trigger crm_lead_tally, migration crm.0005) in the same
    transaction as every insert, update, delete or COPY of leads, so the dashboard reads a
    few thousand rows instead of counting a million. Never written by Python code.
    """

    hour = models.DateTimeField()
    source = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)
    customers = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hour", "source"], name="crm_leadtally_bucket_unique")
        ]

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}h {self.source}: {self.count} ({self.customers})"


class LeadStageTally(models.Model):
    """How many leads there are now in each stage (0: none), by source and status; kept
    by the same trigger as LeadTally. A few hundred rows at most: totals come from here."""

    stage_id = models.BigIntegerField()  # not a foreign key: a deleted stage's row goes to 0
    source = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stage_id", "source", "status"], name="crm_leadstagetally_unique"
            )
        ]

    def __str__(self) -> str:
        return f"stage {self.stage_id} {self.source}/{self.status}: {self.count}"


class LeadTag(models.Model):
    """The workspace's tag catalogue: every tag a lead has been given, kept by the services
    that write tags, so suggestions read a few hundred rows rather than unnest every lead."""

    name = models.CharField(max_length=50, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [
            # Suggestions match a prefix (LIKE 'we%'), which needs the pattern operator class.
            models.Index(
                fields=["name"], name="crm_leadtag_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return self.name
