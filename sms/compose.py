"""What every marketing text carries: the opt-out line carriers ask for, added unless the
text already says how to opt out. Pure functions: the composer's preview and the delivery
engine's rendering both use them, so the lead gets what the member saw."""

from __future__ import annotations

import re

OPT_OUT_LINE = "Reply STOP to opt out"
# "Reply STOP", "Text STOP to ...", "STOP to unsubscribe", "txt stop": any mention of STOP as
# an instruction counts as the text having its own line.
HAS_OPT_OUT = re.compile(
    r"\b(reply|text|txt|send)\s+stop\b|\bstop\s+to\s+(opt|unsub|end|quit)", re.I
)


def has_opt_out_line(text: str) -> bool:
    return bool(HAS_OPT_OUT.search(text))


def with_opt_out_line(text: str) -> str:
    """The text as sent: its own words, then the opt-out line on a line of its own unless
    it already has one."""
    body = text.rstrip()
    if not body or has_opt_out_line(body):
        return body
    return f"{body}\n{OPT_OUT_LINE}"
