"""Where a page needs more than the site-wide Content-Security-Policy (settings), and why.

The policy itself is CONTENT_SECURITY_POLICY in settings; this module holds the few
view-level additions, each with the reason it is needed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update

ViewT = TypeVar("ViewT", bound=Callable[..., Any])

# An email's HTML is written with inline styles (that is how email is styled) and may show
# images from anywhere on https.
EMAIL_HTML_DIRECTIVES: dict[str, list[str]] = {
    "style-src": [UNSAFE_INLINE],
    "img-src": ["https:"],
}


def shows_email_html(view: ViewT) -> ViewT:
    """For a page that shows an email's HTML in a sandboxed srcdoc iframe: such a frame
    takes the policy of its page, so the page allows the email's inline styles and https
    images. Scripts stay refused (and the sandbox runs none anyway)."""
    return cast(ViewT, csp_update(EMAIL_HTML_DIRECTIVES)(view))
