"""Email templates with merge fields, rendered in a sandbox.

A template is Django template language limited to a safe set of tags and filters (no
`load`, `include`, `extends`, `url`, `debug`, `csrf_token` ...), compiled by an engine that
loads no files and knows no libraries, and rendered with plain data only: the lead's public
fields, the workspace's name and address, and the unsubscribe link. It never sees model
instances, settings or other leads, so `{{ lead.owner.password }}` or `{{ settings }}` render
as nothing.

This module is also the `register` library the sandbox engine loads as its only builtins.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.template import (
    Context,
    Engine,
    Library,
    Template,
    TemplateSyntaxError,
    defaultfilters,
    defaulttags,
)
from django.utils.html import escape, linebreaks

from crm.models import Lead
from project.errors import InvalidInput, field_error

SAFE_TAGS = (
    "autoescape",
    "comment",
    "cycle",
    "filter",
    "firstof",
    "for",
    "if",
    "ifchanged",
    "now",
    "spaceless",
    "templatetag",
    "verbatim",
    "widthratio",
    "with",
)
SAFE_FILTERS = (
    "add",
    "capfirst",
    "center",
    "cut",
    "date",
    "default",
    "default_if_none",
    "divisibleby",
    "escape",
    "first",
    "floatformat",
    "join",
    "last",
    "length",
    "linebreaks",
    "linebreaksbr",
    "ljust",
    "lower",
    "pluralize",
    "random",
    "rjust",
    "slice",
    "slugify",
    "striptags",
    "time",
    "timesince",
    "timeuntil",
    "title",
    "truncatechars",
    "truncatewords",
    "upper",
    "urlencode",
    "urlize",
    "wordcount",
    "wordwrap",
    "yesno",
)

register = Library()
for _name in SAFE_TAGS:
    register.tags[_name] = defaulttags.register.tags[_name]
for _name in SAFE_FILTERS:
    register.filters[_name] = defaultfilters.register.filters[_name]


class SandboxEngine(Engine):
    default_builtins: list[str] = []  # not Django's tags and filters: only ours below


_engine = SandboxEngine(
    dirs=[],
    app_dirs=False,
    loaders=[],
    libraries={},
    builtins=["outreach.mail_templates"],
    string_if_invalid="",
    debug=True,  # compile errors carry their line
)

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
    """Compile a template; InvalidInput names the field, the line and what is wrong."""
    try:
        return _engine.from_string(source)
    except TemplateSyntaxError as error:
        debug = getattr(error, "template_debug", None) or {}
        line = debug.get("line")
        where = f"line {line}: " if line else ""
        raise InvalidInput(
            f"The {field.replace('_', ' ')} has a template error.",
            details=[
                {
                    **field_error(field, "template_syntax", f"{where}{error}"),
                    "line": line,
                }
            ],
        ) from None


def lead_context(lead: Mapping[str, Any]) -> dict[str, Any]:
    """The lead as a template sees it: a copy of its public fields, nothing else."""
    first, last = lead.get("first_name") or "", lead.get("last_name") or ""
    return {
        "first_name": first,
        "last_name": last,
        "full_name": f"{first} {last}".strip(),
        "email": lead.get("email") or "",
        "phone": lead.get("phone") or "",
        "company": lead.get("company") or "",
        "source": lead.get("source") or "",
        "status": lead.get("status") or "",
        "stage": lead.get("stage") or "",
        "tags": list(lead.get("tags") or []),
        "custom_fields": dict(lead.get("custom_fields") or {}),
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

    def context(self) -> dict[str, str]:
        return {"name": self.name, "postal_address": self.postal_address, "url": self.url}


def template_values(
    *, lead: Mapping[str, Any], sender: Sender, unsubscribe_url: str
) -> dict[str, Any]:
    """Everything a template can see."""
    return {
        "lead": lead_context(lead),
        "workspace": sender.context(),
        "unsubscribe_url": unsubscribe_url,
    }


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text_body: str
    html_body: str


@dataclass(frozen=True)
class CompiledEmail:
    """A subject, text and (optional) HTML template, compiled once and rendered per lead."""

    subject: Template
    text: Template
    html: Template | None

    def render(
        self, *, lead: Mapping[str, Any], sender: Sender, unsubscribe_url: str = ""
    ) -> RenderedEmail:
        values = template_values(lead=lead, sender=sender, unsubscribe_url=unsubscribe_url)
        subject = " ".join(self.subject.render(Context(values, autoescape=False)).split())
        text = str(self.text.render(Context(values, autoescape=False)))
        html: str
        if self.html is not None:
            html = str(self.html.render(Context(values, autoescape=True)))
        else:
            html = f'<div style="font-family:sans-serif;line-height:1.5">{linebreaks(text)}</div>'
        if unsubscribe_url:
            text, html = with_footer(text, html, sender=sender, unsubscribe_url=unsubscribe_url)
        return RenderedEmail(subject=subject[:255], text_body=text, html_body=html)


def compile_email(*, subject: str, text: str, html: str = "") -> CompiledEmail:
    """Compile the three parts; InvalidInput lists every part with an error."""
    compiled: dict[str, Template | None] = {}
    details: list[dict[str, Any]] = []
    for field, source in (("subject", subject), ("body_template", text), ("html_template", html)):
        if field == "html_template" and not source.strip():
            compiled[field] = None
            continue
        try:
            compiled[field] = compile_template(source, field=field)
        except InvalidInput as error:
            details += error.details
    if details:
        raise InvalidInput("A template has an error; see details.", details=details)
    subject_template, text_template = compiled["subject"], compiled["body_template"]
    assert subject_template is not None and text_template is not None
    return CompiledEmail(
        subject=subject_template, text=text_template, html=compiled["html_template"]
    )


def check_renders(email: CompiledEmail) -> None:
    """Render each part once with a sample lead, so a template that fails at send time fails
    now, naming the part."""
    values = template_values(
        lead=SAMPLE_LEAD,
        sender=Sender("Sample workspace", "1 Sample Street", "https://example.com"),
        unsubscribe_url="https://example.com/unsubscribe/sample/",
    )
    parts = (
        ("subject", email.subject),
        ("body_template", email.text),
        ("html_template", email.html),
    )
    for field, template in parts:
        if template is None:
            continue
        try:
            template.render(Context(values, autoescape=field == "html_template"))
        except Exception as error:  # any error a filter or tag raises on real data
            raise InvalidInput(
                "A template fails when rendered with a sample lead.",
                details=[field_error(field, "template_render", str(error))],
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


# Compiled campaign templates, per process: a campaign's templates cannot change once it
# leaves draft, so (id, updated_at) names one version for good.
_compiled: OrderedDict[tuple[int, datetime | None], CompiledEmail] = OrderedDict()
_COMPILED_MAX = 64


def compiled_for(
    key: tuple[int, datetime | None], *, subject: str, text: str, html: str
) -> CompiledEmail:
    found = _compiled.get(key)
    if found is None:
        found = compile_email(subject=subject, text=text, html=html)
        _compiled[key] = found
        while len(_compiled) > _COMPILED_MAX:
            _compiled.popitem(last=False)
    return found
