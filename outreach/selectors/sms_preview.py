"""An SMS campaign's text as one lead gets it: its template rendered for the lead, the
opt-out line added when the text has none, and the segments that makes. The composer's
preview, the audience total and the test send read it, so what the member sees is what
is counted and sent."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from crm.models import Lead
from outreach import template_sandbox
from outreach.mail_templates import (
    SAMPLE_LEAD,
    Sender,
    compile_template,
    lead_fields,
    template_values,
)
from outreach.selectors.audience import campaign_audience
from outreach.sms_segments import SegmentCount, count_segments
from sms.compose import with_opt_out_line
from tenants.schemas import current_workspace


@dataclass(frozen=True)
class SmsPreview:
    lead_id: int | None  # None: the sample lead
    to: str  # the lead's number as stored
    text: str  # as sent: rendered, with the opt-out line
    count: SegmentCount


def render_sms(template: str, lead: Mapping[str, Any]) -> str:
    """The text one lead gets. Raises InvalidInput naming `body_template` when the template
    does not compile or fails to render."""
    compiled = compile_template(template, field="body_template")
    workspace = current_workspace()
    sender = Sender(workspace.name, "", workspace.url)
    values = template_values(lead=lead, sender=sender, unsubscribe_url="")
    text = template_sandbox.render(compiled, values, field="body_template", what="message")
    return with_opt_out_line(text)


def preview_sms(template: str, audience: dict[str, Any] | None = None) -> SmsPreview:
    """The text as the audience's first textable lead gets it, or a sample lead when the
    audience has none (or none is given)."""
    first = None
    if audience is not None:
        first = campaign_audience("sms", audience).select_related("stage").order_by("id").first()
    lead: dict[str, Any] = lead_fields(first) if isinstance(first, Lead) else dict(SAMPLE_LEAD)
    if first is None:
        lead["phone"] = "+14155550100"
    text = render_sms(template, lead)
    return SmsPreview(
        lead_id=first.pk if first is not None else None,
        to=str(lead.get("phone") or ""),
        text=text,
        count=count_segments(text),
    )
