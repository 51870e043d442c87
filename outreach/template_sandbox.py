"""The Liquid sandbox email templates are parsed and rendered in (internal to
outreach.mail_templates, which is the front door).

Liquid resolves a name only by looking a key up in plain data, never by attribute, so a
template cannot reach an object's internals; on top of that this sandbox:

- loads no other template: no `include` or `render` tag, and an empty loader;
- renders an unknown variable as nothing, as Kit and Shopify do, so a missing merge field
  never stops a send (`| default: "there"` is how a template covers it);
- escapes every value an HTML part outputs and has no `safe` filter to undo that: a lead's
  fields come from web forms and imports, so they are data, never markup;
- bounds what a render may cost: its output, its loop iterations (in one loop, nested, and in
  all the loops of one render together), its nesting, its variables, and the few filters
  whose result can dwarf their input (`replace`, `join`, `times`, `date` widths), which are
  refused before they run.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

from liquid import BoundTemplate, DictLoader, Environment, RenderContext, Undefined
from liquid.exceptions import (
    BlockNestingError,
    ContextDepthError,
    FilterArgumentError,
    LiquidError,
    LocalNamespaceLimitError,
    LoopIterationLimitError,
    OutputStreamLimitError,
    ResourceLimitError,
)
from liquid.token import TOKEN_TAG, Token

from project.errors import InvalidInput, field_error

MAX_PART_BYTES = 1_000_000  # a part's source, and what it renders to
MAX_LOOP_ITERATIONS = 10_000  # per render, all loops together
MAX_CONTEXT_DEPTH = 10  # about six loops inside each other
MAX_BLOCK_NESTING = 20  # tags inside tags, counted when the template is saved
MAX_VARIABLES_BYTES = 100_000  # what `assign` and `capture` hold in one render
MAX_NUMBER_BITS = 14_300  # about 4,300 digits, the most Python turns into text

PART_NAMES = {"subject": "subject", "body_template": "text part", "html_template": "HTML part"}


def part_name(field: str) -> str:
    return PART_NAMES.get(field, field.replace("_", " "))


def megabytes(size: int) -> str:
    """Rounded up, so that a part just over the limit never reads as "1.0 MB"."""
    return f"{math.ceil(size / 100_000) / 10:g} MB"


class SandboxContext(RenderContext):
    """Liquid's loop limit counts the loops nested at one point; this also counts every
    iteration of the render, so a template of many short loops is bounded too."""

    __slots__ = ("iterations",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.iterations = 0

    def raise_for_loop_limit(self, length: int = 1) -> None:
        super().raise_for_loop_limit(length)
        self.iterations += length  # called each time a loop starts, inner loops included
        if self.iterations > MAX_LOOP_ITERATIONS:
            raise LoopIterationLimitError("loop iteration limit reached", token=None)


class SandboxTemplate(BoundTemplate):
    context_class = SandboxContext


def _text(value: object) -> str:
    return "" if value is None or isinstance(value, Undefined) else str(value)


def _items(value: object) -> list[object]:
    """What Liquid's `join` joins: nested arrays flattened, anything else one item."""
    if isinstance(value, list | tuple):
        return [item for part in value for item in _items(part)]
    if isinstance(value, dict | str) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _bits(value: object) -> int:
    if isinstance(value, int):
        return value.bit_length()
    return len(_text(value)) * 4  # a decimal digit is under four bits


def _replace_too_big(value: object, old: object = "", new: object = "", *_: object) -> str:
    text, old_text, new_text = _text(value), _text(old), _text(new)
    size = len(text) + text.count(old_text) * (len(new_text) - len(old_text))
    return f"replace would make {megabytes(size)} of text" if size > MAX_PART_BYTES else ""


def _join_too_big(value: object, separator: object = " ", *_: object, **__: object) -> str:
    items = _items(value)
    size = sum(len(_text(item)) for item in items) + (len(items) - 1) * len(_text(separator))
    return f"join would make {megabytes(size)} of text" if size > MAX_PART_BYTES else ""


def _times_too_big(value: object, other: object = 0, *_: object) -> str:
    too_big = _bits(value) + _bits(other) > MAX_NUMBER_BITS
    return "times would make a number of more than 4,300 digits" if too_big else ""


WIDE_DATE_FIELD = re.compile(r"%[^A-Za-z%]*\d{3}")


def _date_too_big(value: object, fmt: object = "", *_: object, **__: object) -> str:
    wide = WIDE_DATE_FIELD.search(_text(fmt))
    return "date: a field wider than 99 characters is refused" if wide else ""


def bounded(original: Callable[..., Any], too_big: Callable[..., str]) -> Callable[..., Any]:
    """A filter that first checks what it would make (`wraps` keeps the markers that tell
    Liquid to pass the environment or context)."""

    @wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        reason = too_big(*args, **kwargs)
        if reason:
            raise FilterArgumentError(reason, token=None)
        return original(*args, **kwargs)

    return guarded


class SandboxEnvironment(Environment):
    block_nesting_limit = MAX_BLOCK_NESTING
    context_depth_limit = MAX_CONTEXT_DEPTH
    loop_iteration_limit = MAX_LOOP_ITERATIONS
    local_namespace_limit = MAX_VARIABLES_BYTES
    output_stream_limit = MAX_PART_BYTES
    template_class = SandboxTemplate

    def __init__(self, *, autoescape: bool) -> None:
        super().__init__(
            loader=DictLoader({}), undefined=Undefined, strict_filters=True, autoescape=autoescape
        )

    def setup_tags_and_filters(self, *, extra: bool = False) -> None:
        super().setup_tags_and_filters(extra=False)
        del self.tags["include"], self.tags["render"], self.filters["safe"]
        for name, too_big in (
            ("replace", _replace_too_big),
            ("join", _join_too_big),
            ("times", _times_too_big),
            ("date", _date_too_big),
        ):
            self.filters[name] = bounded(self.filters[name], too_big)

    def error(
        self,
        exc: type[LiquidError] | LiquidError,
        msg: str | None = None,
        token: Token | None = None,
    ) -> None:
        # An error inside an expression carries the expression's own end-of-input token, which
        # has no place in the template: the tag or output statement around it does.
        if (
            isinstance(exc, LiquidError)
            and exc.token is not None
            and exc.token.start_index < 0
            and token is not None
            and token.start_index >= 0
        ):
            exc.token = token
        super().error(exc, msg, token)


TEXT = SandboxEnvironment(autoescape=False)
HTML = SandboxEnvironment(autoescape=True)


def line_of(source: str, index: int) -> int:
    return source.count("\n", 0, index) + 1


def unclosed_block(environment: Environment, source: str) -> tuple[str, int] | None:
    """The innermost block tag the template never closes, and where it opens."""
    opened: list[tuple[str, int]] = []
    for token in environment.tokenizer()(source):
        if token.kind != TOKEN_TAG:
            continue
        tag = environment.tags.get(token.value)
        if tag is not None and getattr(tag, "block", False) and hasattr(tag, "end"):
            opened.append((token.value, token.start_index))
        elif token.value.startswith("end"):
            for position in range(len(opened) - 1, -1, -1):
                if "end" + opened[position][0] == token.value:
                    del opened[position:]
                    break
    return opened[-1] if opened else None


def syntax_error(*, field: str, line: int, message: str) -> InvalidInput:
    return InvalidInput(
        f"The {part_name(field)} has a template error.",
        details=[
            {**field_error(field, "template_syntax", f"line {line}: {message}"), "line": line}
        ],
    )


def explain_syntax_error(
    environment: Environment, source: str, error: LiquidError, *, field: str
) -> InvalidInput:
    message = str(error.message)
    if isinstance(error, BlockNestingError):
        message = f"tags are nested more than {MAX_BLOCK_NESTING} deep"
    where = error.context()
    if where is not None:
        return syntax_error(field=field, line=where[0], message=message)
    unclosed = unclosed_block(environment, source)
    if unclosed is not None:
        name, index = unclosed
        return syntax_error(
            field=field,
            line=line_of(source, index),
            message=f"{{% {name} %}} is never closed: add {{% end{name} %}}",
        )
    return syntax_error(field=field, line=line_of(source, len(source)), message=message)


def check_size(source: str, *, field: str) -> None:
    size = len(source.encode())
    if size > MAX_PART_BYTES:
        message = (
            f"The {part_name(field)} is {megabytes(size)}; the limit is "
            f"{megabytes(MAX_PART_BYTES)}. Link to large images and files instead of "
            "pasting them in."
        )
        raise InvalidInput(message, details=[field_error(field, "template_too_large", message)])


def parse(source: str, *, field: str, html: bool) -> BoundTemplate:
    """A part parsed for rendering as text or as HTML; InvalidInput names the field and,
    for a syntax error or an unknown filter, the line."""
    check_size(source, field=field)
    environment = HTML if html else TEXT
    try:
        template = environment.from_string(source)
    except LiquidError as error:
        raise explain_syntax_error(environment, source, error, field=field) from None
    for name, spans in template.analyze(include_partials=False).filters.items():
        if name not in environment.filters:
            line = min(line_of(source, span.index) for span in spans)
            raise syntax_error(field=field, line=line, message=f"unknown filter '{name}'")
    return template


def text_as_html(source: str) -> BoundTemplate:
    """A text part that `parse` has accepted, parsed again to escape its merge values, for
    the HTML made from it."""
    return HTML.from_string(source)


def limit_reached(error: ResourceLimitError) -> str:
    if isinstance(error, OutputStreamLimitError):
        return f"renders to more than {megabytes(MAX_PART_BYTES)}, the most an email part may be"
    if isinstance(error, LoopIterationLimitError):
        return f"loops more than {MAX_LOOP_ITERATIONS:,} times in one email, the limit"
    if isinstance(error, ContextDepthError):
        return "nests loops too deeply"
    if isinstance(error, LocalNamespaceLimitError):
        return f"keeps more than {MAX_VARIABLES_BYTES // 1000} kB in variables"
    return str(error.message)


def render(template: BoundTemplate, values: Mapping[str, Any], *, field: str, what: str) -> str:
    """One part rendered; InvalidInput names the field and says what went wrong, so a
    template that fails on some lead's data fails for that lead only."""
    try:
        return template.render(values)
    except ResourceLimitError as error:
        message = f"The {what} {limit_reached(error)}."
        raise InvalidInput(
            message, details=[field_error(field, "template_limit", message)]
        ) from None
    except Exception as error:  # any error a filter or tag raises on real data
        reason = error.message if isinstance(error, LiquidError) else str(error)
        where = error.context() if isinstance(error, LiquidError) else None
        message = f"The {what} fails" + (f" on line {where[0]}" if where else "") + f": {reason}"
        raise InvalidInput(
            message, details=[field_error(field, "template_render", message)]
        ) from None
