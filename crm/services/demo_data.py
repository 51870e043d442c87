"""Realistic demo data for a workspace: ~2,000 leads with products, messages, tasks, events.

Deterministic (a seeded random generator) and idempotent: a workspace that already has its
demo leads is left as it is.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from crm.events import RecordEvent
from crm.models import EventLog, Lead, Message, PipelineStage, Product, Task
from crm.services.tag_catalogue import remember_tags

DEMO_LEADS = 2000
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Tim",
    "Radia",
    "Barbara",
    "Dennis",
    "Frances",
    "Ken",
    "Hedy",
    "John",
    "Mary",
    "Edsger",
    "Shafi",
    "Donald",
    "Sophie",
    "Yuki",
    "Amara",
    "Mateo",
    "Priya",
    "Noah",
    "Leila",
    "Omar",
    "Ines",
    "Kofi",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Berners-Lee",
    "Perlman",
    "Liskov",
    "Ritchie",
    "Allen",
    "Thompson",
    "Lamarr",
    "McCarthy",
    "Keller",
    "Dijkstra",
    "Goldwasser",
    "Knuth",
    "Wilson",
    "Tanaka",
    "Okafor",
    "Garcia",
    "Patel",
]
COMPANIES = [
    "",
    "",
    "Bright Path Coaching",
    "Studio North",
    "Mindful Leaders",
    "Acme Ltd",
    "Peak Performance",
    "Calm Mornings",
    "Blue Ocean Agency",
    "Freelance",
]
TAGS = [
    "webinar",
    "newsletter",
    "vip",
    "course-buyer",
    "cold",
    "referral",
    "podcast",
    "free-guide",
    "masterclass",
    "waitlist",
]
PRODUCTS = [
    ("Foundations course", "course", "197.00", "one_time", ""),
    ("1:1 coaching, 12 weeks", "coaching", "1800.00", "one_time", ""),
    ("Inner circle membership", "membership", "49.00", "recurring", "month"),
    ("Brand strategy sprint", "service", "2500.00", "one_time", ""),
    ("Annual mastermind", "membership", "4900.00", "recurring", "year"),
]


# Where a lead is on the board says where it is in the sale: the status follows the stage.
STATUS_OF_STAGE = {
    "New": Lead.Status.NEW,
    "Contacted": Lead.Status.CONTACTED,
    "Qualified": Lead.Status.QUALIFIED,
    "Proposal": Lead.Status.QUALIFIED,
    "Won": Lead.Status.CUSTOMER,
    "Lost": Lead.Status.LOST,
}
STAGE_WEIGHTS = {"New": 34, "Contacted": 22, "Qualified": 14, "Proposal": 8, "Won": 12, "Lost": 10}
RECENT_DAYS = 90  # three leads in four arrive within it, more of them lately


def _created_at(rng: random.Random, now: datetime) -> datetime:
    if rng.random() < 0.75:
        days = RECENT_DAYS * rng.random() ** 1.4
    else:
        days = rng.uniform(RECENT_DAYS, 365)
    return now - timedelta(days=days, minutes=rng.uniform(5, 600))


def _task_dates(
    rng: random.Random, now: datetime, created: datetime
) -> tuple[datetime, datetime | None]:
    """A task's due date and, when done, when: overdue, due today, upcoming or done."""
    local_now = timezone.localtime(now)
    day_end = local_now.replace(hour=23, minute=59, second=0, microsecond=0)
    kind = rng.choices(["overdue", "today", "upcoming", "done"], weights=[20, 15, 35, 30])[0]
    if kind == "overdue":
        return now - timedelta(days=rng.uniform(1, 10)), None
    if kind == "today":  # later today, in the workspace's time zone
        earliest = max(now + timedelta(minutes=1), day_end - timedelta(hours=8))
        return earliest + (day_end - earliest) * rng.random(), None
    if kind == "upcoming":
        return now + timedelta(days=rng.uniform(1.5, 21)), None
    due = now - timedelta(days=rng.uniform(0, 20))
    done = max(created, due - timedelta(hours=rng.uniform(0, 48)))
    return due, min(done, now)


@transaction.atomic
def seed_demo_crm(*, owner: User, members: list[User]) -> int:
    """Fill the current workspace with demo CRM data; returns how many leads it created."""
    if Lead.objects.filter(email__endswith="@demo-leads.example").count() >= DEMO_LEADS:
        return 0
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    now = timezone.now()
    stages = [stage for stage in PipelineStage.objects.order_by("order")]
    weights = [STAGE_WEIGHTS.get(stage.name, 5) for stage in stages]
    if not Product.objects.exists():
        Product.objects.bulk_create(
            Product(
                name=name,
                kind=kind,
                price=Decimal(price),
                currency="USD",
                billing=billing,
                interval=interval,
            )
            for name, kind, price, billing, interval in PRODUCTS
        )
    people = [owner, *members]
    leads = []
    for index in range(DEMO_LEADS):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = _created_at(rng, now)
        stage = rng.choices(stages, weights=weights)[0] if stages else None
        status = STATUS_OF_STAGE.get(stage.name, Lead.Status.NEW) if stage else Lead.Status.NEW
        leads.append(
            Lead(
                first_name=first,
                last_name=last,
                email=f"{first.lower()}.{last.lower()}.{index}@demo-leads.example",
                phone=f"+1202555{100 + index % 100:04d}" if rng.random() < 0.4 else "",
                company=rng.choice(COMPANIES),
                source=rng.choices(
                    ["web_form", "import", "api", "referral", "social", "ads", "other"],
                    weights=[30, 15, 5, 15, 15, 15, 5],
                )[0],
                tags=sorted(set(rng.sample(TAGS, k=rng.randint(0, 3)))),
                owner=rng.choice(people),
                stage=stage,
                status=status,
                consent=rng.random() < 0.8,
                created_at=created,
                updated_at=created,
            )
        )
    Lead.objects.bulk_create(leads, batch_size=1000)
    remember_tags(tag for lead in leads for tag in lead.tags)
    messages, tasks, events = [], [], []
    for lead in leads:
        events.append(
            EventLog(
                actor=lead.owner,
                verb=RecordEvent.CREATED,
                object_type="lead",
                object_id=lead.pk,
                changes={"demo": True},
                at=lead.created_at,
            )
        )
        for _ in range(rng.randint(0, 3)):
            channel = rng.choice(["email", "call", "meeting", "note", "chat"])
            messages.append(
                Message(
                    lead=lead,
                    channel=channel,
                    direction=rng.choice(["outbound", "inbound"]),
                    subject="Following up" if channel == "email" else "",
                    body=rng.choice(
                        [
                            "Asked about the spring cohort.",
                            "Sent the syllabus.",
                            "Booked a discovery call.",
                            "Interested in coaching.",
                        ]
                    ),
                    author=lead.owner,
                    status="sent",
                    # Contact happens after the lead arrives and never in the future.
                    occurred_at=lead.created_at
                    + min(timedelta(days=20), now - lead.created_at) * rng.random(),
                )
            )
        if rng.random() < 0.25 and lead.status not in (Lead.Status.LOST,):
            due_at, done_at = _task_dates(rng, now, lead.created_at)
            tasks.append(
                Task(
                    title=rng.choice(["Call back", "Send proposal", "Check in"]),
                    lead=lead,
                    assignee=lead.owner,
                    due_at=due_at,
                    done_at=done_at,
                )
            )
    Message.objects.bulk_create(messages, batch_size=2000)
    Task.objects.bulk_create(tasks, batch_size=2000)
    EventLog.objects.bulk_create(events, batch_size=2000)
    last_contact = {
        message.lead_id: message.occurred_at
        for message in sorted(messages, key=lambda m: m.occurred_at)
    }
    for lead in leads:
        lead.last_contacted_at = last_contact.get(lead.pk)
    Lead.objects.bulk_update(leads, ["last_contacted_at"], batch_size=1000)
    return len(leads)
