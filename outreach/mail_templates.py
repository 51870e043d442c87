"""Email templates with merge fields, in Liquid: what Kit and Shopify users already write
(`{{ lead.first_name | default: "there" }}`, `{% if lead.company %}...{% endif %}`).

A template is rendered with plain data only: the lead's public fields, the workspace's name
and address, and the unsubscribe link. It never sees model instances, settings or other
leads, so `{{ lead.owner.password }}` or `{{ settings }}` render as nothing. The sandbox it
runs in (outreach.template_sandbox) loads no other template, escapes every merge value in
HTML, and bounds a part's size (1 MB, refused when saved), its output and its loops.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.html import escape, linebreaks
from liquid import BoundTemplate as Template

from crm.models import Lead
from outreach import template_sandbox
from project.errors import InvalidInput

# Fields a template may show; every one is plain data copied off the row.
LEAD_FIELDS = (
    "first_name",
    "last_name",
    "full_name",
    "email",
    "phone",
    "company",
    "source",
    "status",
    "stage",
    "tags",
    "custom_fields",
)
SAMPLE_LEAD: dict[str, Any] = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "full_name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+44 20 7946 0000",
    "company": "Analytical Engines",
    "source": "web_form",
    "status": "qualified",
    "stage": "Discovery call",
    "tags": ["webinar"],
    "custom_fields": {},
}


def compile_template(source: str, *, field: str) -> Template:
    """Compile one part (the HTML part escapes its merge values); InvalidInput names the
    field and, for a syntax error, the line and what is wrong (422). A part over 1 MB is
    refused whole."""
    return template_sandbox.parse(source, field=field, html=field == "html_template")


def nil_if_blank(value: Any) -> Any:
    """In Liquid only nil and false are false, so a blank field is nil: `{% if lead.company %}`
    then means what its author thinks, and `| default:` fills it in."""
    return None if value is None or value == "" else value


def lead_context(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The lead as a template sees it: a copy of its public fields, nothing else."""
    first, last = lead.get("first_name") or "", lead.get("last_name") or ""
    fields = {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        **{name: lead.get(name) for name in ("email", "phone", "company", "source", "status")},
        "stage": lead.get("stage"),
    }
    custom_fields = dict(lead.get("custom_fields") or {})
    return {
        **{name: nil_if_blank(value) for name, value in fields.items()},
        "tags": list(lead.get("tags") or []),
        "custom_fields": {key: nil_if_blank(value) for key, value in custom_fields.items()},
    }


def lead_fields(lead: Lead) -> dict[str, Any]:
    """A lead row's public fields, as templates see them."""
    return {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email or "",
        "phone": lead.phone,
        "company": lead.company,
        "source": lead.source,
        "status": lead.status,
        "tags": lead.tags,
        "custom_fields": lead.custom_fields,
        "stage": lead.stage.name if lead.stage_id and lead.stage else "",
    }


@dataclass(frozen=True)
class Sender:
    """The workspace facts every email carries."""

    name: str
    postal_address: str
    url: str

    def context(self) -> dict[str, str | None]:
        fields = {"name": self.name, "postal_address": self.postal_address, "url": self.url}
        return {name: nil_if_blank(value) for name, value in fields.items()}


def template_values(
    *, lead: Mapping[str, Any], sender: Sender, unsubscribe_url: str
) -> dict[str, Any]:
    """Everything a template can see."""
    return {
        "lead": lead_context(lead),
        "workspace": sender.context(),
        "unsubscribe_url": nil_if_blank(unsubscribe_url),
    }


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


@dataclass(frozen=True)
class CompiledEmail:
    """A subject, text and HTML template, compiled once and rendered per lead. Without an
    HTML part of its own, `html` is the text part compiled to escape its merge values, and
    its output becomes paragraphs."""

    subject: Template
    text: Template
    html: Template
    html_from_text: bool = False

    def render(
        self, *, lead: Mapping[str, Any], sender: Sender, unsubscribe_url: str = ""
    ) -> RenderedEmail:
        """Raises InvalidInput naming the part when a part fails or passes a limit."""
        values = template_values(lead=lead, sender=sender, unsubscribe_url=unsubscribe_url)
        subject = " ".join(self.part("subject", values).split())
        text = self.part("body_template", values)
        html = self.part("html_template", values)
        if self.html_from_text:
            html = f'<div style="font-family:sans-serif;line-height:1.5">{linebreaks(html)}</div>'
        if unsubscribe_url:
            text, html = with_footer(text, html, sender=sender, unsubscribe_url=unsubscribe_url)
        return RenderedEmail(subject=subject[:255], text_body=text, html_body=html)

    def part(self, field: str, values: Mapping[str, Any]) -> str:
        if field == "subject":
            template, what = self.subject, "subject"
        elif field == "body_template":
            template, what = self.text, "text part"
        elif self.html_from_text:
            field, template, what = "body_template", self.html, "HTML made from the text part"
        else:
            template, what = self.html, "HTML part"
        return template_sandbox.render(template, values, field=field, what=what)


def render_text(
    template: Template, *, lead: Mapping[str, Any], sender: Sender, field: str = "body_template"
) -> str:
    """A compiled plain-text template (a text message) rendered for one lead, trimmed;
    InvalidInput naming `field` when it fails or passes a limit."""
    values = template_values(lead=lead, sender=sender, unsubscribe_url="")
    return template_sandbox.render(template, values, field=field, what="text").strip()


def compile_email(*, subject: str, text: str, html: str = "") -> CompiledEmail:
    """Compile the three parts (an empty HTML part is made from the text); InvalidInput
    lists every part with an error."""
    compiled: dict[str, Template] = {}
    details: list[dict[str, Any]] = []
    for field, source in (("subject", subject), ("body_template", text), ("html_template", html)):
        if field == "html_template" and not source.strip():
            continue
        try:
            compiled[field] = compile_template(source, field=field)
        except InvalidInput as error:
            details += error.details
    if details:
        raise InvalidInput("A template has an error; see details.", details=details)
    if "html_template" in compiled:
        return CompiledEmail(
            compiled["subject"], compiled["body_template"], compiled["html_template"]
        )
    text_as_html = template_sandbox.text_as_html(text)
    return CompiledEmail(
        compiled["subject"], compiled["body_template"], text_as_html, html_from_text=True
    )


def check_renders(email: CompiledEmail) -> None:
    """Render the email once with a sample lead, so a template that fails at send time fails
    now, naming the part."""
    try:
        email.render(
            lead=SAMPLE_LEAD,
            sender=Sender("Sample workspace", "1 Sample Street", "https://example.com"),
            unsubscribe_url="https://example.com/unsubscribe/sample/",
        )
    except InvalidInput as error:
        raise InvalidInput(
            "A template fails when rendered with a sample lead.", details=error.details
        ) from None


def with_footer(text: str, html: str, *, sender: Sender, unsubscribe_url: str) -> tuple[str, str]:
    """Every campaign email ends with who sent it, where they are, and how to stop it."""
    address_line = ", ".join(
        line.strip() for line in sender.postal_address.splitlines() if line.strip()
    )
    text_footer = (
        f"\n\n--\n{sender.name}\n{address_line}\n"
        f"You get this email because you are on {sender.name}'s list. "
        f"Unsubscribe: {unsubscribe_url}\n"
    )
    html_footer = (
        '<hr style="border:none;border-top:1px solid #ddd;margin:24px 0 12px">'
        '<p style="font-family:sans-serif;font-size:12px;color:#666;line-height:1.5">'
        f"{escape(sender.name)}<br>{escape(address_line)}<br>"
        f'<a href="{escape(unsubscribe_url)}" style="color:#666">Unsubscribe</a></p>'
    )
    if "</body>" in html:
        html = html.replace("</body>", f"{html_footer}</body>", 1)
    else:
        html = html + html_footer
    return text.rstrip() + text_footer, html


# Compiled campaign templates, per process. A campaign's templates cannot change once it
# leaves draft, so (workspace schema, campaign id, frozen_at) names one version for good: the
# schema because every workspace numbers its campaigns from 1. The sources are kept beside it
# and compared, so that a key reused by mistake recompiles rather than sends another text.
CompiledKey = tuple[str, int, datetime | None]
_compiled: OrderedDict[CompiledKey, tuple[tuple[str, str, str], CompiledEmail]] = OrderedDict()
_COMPILED_MAX = 64


def compiled_for(key: CompiledKey, *, subject: str, text: str, html: str) -> CompiledEmail:
    """The campaign's email compiled, from this process's cache when it has it."""
    sources = (subject, text, html)
    found = _compiled.get(key)
    if found is not None and found[0] == sources:
        _compiled.move_to_end(key)
        return found[1]
    email = compile_email(subject=subject, text=text, html=html)
    _compiled[key] = (sources, email)
    while len(_compiled) > _COMPILED_MAX:
        _compiled.popitem(last=False)
    return email
