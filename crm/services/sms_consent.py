"""SMS consent changed by the lead or the provider: the keywords a lead texts (STOP, START,
HELP) and a number the provider cannot deliver to. A person's change goes through
update_lead like any other field."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.permissions import Action, require
from crm.events import RecordEvent
from crm.models import Lead
from crm.phone_numbers import UnusablePhoneNumber, normalise_phone
from crm.selectors.leads import get_lead
from crm.services.events import diff, record_event, snapshot
from tenants.schemas import current_workspace

# The opt-out and opt-in words US carriers (CTIA) and Twilio's Advanced Opt-Out honour.
OPT_OUT_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP"})
# Whitespace and punctuation around the word do not count ("Stop.", " STOP!! "); anything
# else in the message does ("stop texting me" is a reply, not a keyword), as carriers do.
AROUND_THE_WORD = re.compile(r"^[\W_]+|[\W_]+$")
CONSENT_FIELDS = ["sms_consent", "sms_consent_source", "sms_consent_at", "sms_opted_out_at"]


class InboundKeyword(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    NONE = "none"  # not a keyword: an ordinary reply, for the conversation


@dataclass(frozen=True)
class KeywordOutcome:
    keyword: InboundKeyword
    word: str = ""  # the keyword as matched, upper case
    lead_ids: list[int] = field(default_factory=list)  # the leads whose consent changed
    reply: str = ""  # what to text back, if anything ("" for an ordinary reply)


def keyword_of(body: str) -> tuple[InboundKeyword, str]:
    """Which keyword a whole message is, if any."""
    word = AROUND_THE_WORD.sub("", body).upper()
    if word in OPT_OUT_WORDS:
        return InboundKeyword.OPT_OUT, word
    if word in OPT_IN_WORDS:
        return InboundKeyword.OPT_IN, word
    if word in HELP_WORDS:
        return InboundKeyword.HELP, word
    return InboundKeyword.NONE, ""


def help_text(workspace_name: str) -> str:
    """The answer to HELP (a default for now: workspaces write their own later)."""
    return (
        f"{workspace_name}: you get texts from us because you agreed to. "
        "Reply STOP to opt out, START to opt back in. Msg & data rates may apply."
    )


def _leads_with_number(phone: str) -> QuerySet[Lead]:
    try:
        number = normalise_phone(phone)
    except UnusablePhoneNumber:
        number = phone.strip()  # no lead holds a number that does not parse
    return Lead.objects.select_for_update().filter(phone=number).order_by("id")


def _change_consent(leads: QuerySet[Lead], *, to: str, verb: RecordEvent, word: str) -> list[int]:
    now = timezone.now()
    changed = []
    for lead in leads:
        if lead.sms_consent == to:
            continue
        before = snapshot(lead, CONSENT_FIELDS)
        lead.sms_consent = to
        if to == Lead.SmsConsent.OPTED_OUT:
            lead.sms_opted_out_at = now
        else:
            lead.sms_consent_source = Lead.SmsConsentSource.KEYWORD
            lead.sms_consent_at = now
        lead.updated_at = now
        lead.save(update_fields=[*CONSENT_FIELDS, "updated_at"])
        changes = diff(before, snapshot(lead, CONSENT_FIELDS))
        record_event(actor=None, verb=verb, obj=lead, changes={**changes, "via": f"text {word}"})
        changed.append(lead.pk)
    return changed


@transaction.atomic
def apply_inbound_keyword(*, phone: str, body: str) -> KeywordOutcome:
    """Apply a text from `phone` in the current workspace: an opt-out word opts every lead
    with that number out at once, START/UNSTOP opts them back in (source "keyword"), HELP
    answers with the workspace's help text; any other message changes nothing (NONE). Each
    lead whose consent changed gets an event, in this transaction."""
    keyword, word = keyword_of(body)
    name = current_workspace().name
    if keyword == InboundKeyword.OPT_OUT:
        changed = _change_consent(
            _leads_with_number(phone),
            to=Lead.SmsConsent.OPTED_OUT,
            verb=RecordEvent.SMS_OPTED_OUT,
            word=word,
        )
        reply = f"{name}: you are opted out and will get no more texts. Reply START to opt back in."
        return KeywordOutcome(keyword, word, changed, reply)
    if keyword == InboundKeyword.OPT_IN:
        changed = _change_consent(
            _leads_with_number(phone),
            to=Lead.SmsConsent.OPTED_IN,
            verb=RecordEvent.SMS_OPTED_IN,
            word=word,
        )
        reply = f"{name}: you are opted in to texts again. Reply STOP to opt out."
        return KeywordOutcome(keyword, word, changed, reply)
    if keyword == InboundKeyword.HELP:
        return KeywordOutcome(keyword, word, [], help_text(name))
    return KeywordOutcome(InboundKeyword.NONE)


@transaction.atomic
def mark_phone_undeliverable(*, phone: str, error_code: str) -> list[int]:
    """Record a permanent delivery failure (invalid number, landline, carrier block) on every
    lead with this number, which keeps them out of SMS audiences; returns their ids. A lead
    already marked keeps its first time and gets no second event."""
    now = timezone.now()
    marked = []
    for lead in _leads_with_number(phone).filter(sms_undeliverable_at__isnull=True):
        lead.sms_undeliverable_at = now
        lead.save(update_fields=["sms_undeliverable_at"])
        record_event(
            actor=None,
            verb=RecordEvent.SMS_UNDELIVERABLE,
            obj=lead,
            changes={
                "sms_undeliverable_at": {"before": None, "after": now.isoformat()},
                "reason": error_code,
            },
        )
        marked.append(lead.pk)
    return marked


@transaction.atomic
def clear_phone_undeliverable(*, actor: User | None, lead_id: int) -> Lead:
    """A person says the lead's number works again (a new SIM, a ported number); raises
    NotFound. Nothing changes, and no event is written, for a number not marked."""
    if actor is not None:
        require(actor, Action.MANAGE_LEADS)
    lead = get_lead(lead_id)
    lead = Lead.objects.select_for_update().get(pk=lead.pk)
    if lead.sms_undeliverable_at is None:
        return lead
    before = snapshot(lead, ["sms_undeliverable_at"])
    lead.sms_undeliverable_at = None
    lead.save(update_fields=["sms_undeliverable_at"])
    record_event(
        actor=actor,
        verb=RecordEvent.SMS_DELIVERABLE,
        obj=lead,
        changes=diff(before, {"sms_undeliverable_at": None}),
    )
    return lead
