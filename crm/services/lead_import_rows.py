"""Reading a lead CSV: its header, its mapping to lead fields, and every cell checked against
its column before anything is written.

A cell is checked as the database would take it: the model field's max_length, an email
address Django's validator accepts, one of the field's choices, yes or no, at most MAX_TAGS
tags of the tag length, a custom field's type (number, date, yes/no, choice), and no NUL
character (PostgreSQL stores none). A row that breaks any rule is reported with its number
and every reason, so the write that follows cannot fail on the data."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models

from crm.lead_fields import IMPORTABLE, model_field
from crm.models import CustomFieldDefinition, Lead
from crm.phone_numbers import UnusablePhoneNumber, normalise_phone
from crm.selectors.export import restore_neutralised
from crm.services.leads import MAX_TAGS, custom_field_definitions, custom_field_errors
from project.errors import InvalidInput, field_error

MAX_REPORTED_ERRORS = 1000
PROGRESS_EVERY = 5000
TRUE = {"1", "true", "yes", "y", "on"}
FALSE = {"", "0", "false", "no", "n", "off"}
CUSTOM_PREFIX = "custom_fields."


@dataclass
class CheckedRows:
    good: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0


def read_header(csv_text: str) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(csv_text, newline="")), [])
    except csv.Error as error:
        raise InvalidInput(
            details=[
                field_error("file", "unreadable_header", f"The header row is not CSV: {error}.")
            ]
        ) from None


def resolve_mapping(header: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """CSV column -> lead field. Without a mapping, columns named like fields map to them."""
    if not mapping:
        normalised = {column: column.strip().lower().replace(" ", "_") for column in header}
        return {
            column: name
            for column, name in normalised.items()
            if name in IMPORTABLE or name.startswith(CUSTOM_PREFIX)
        }
    errors = [
        field_error(f"mapping.{column}", "unknown_column", "No such column in the file.")
        for column in mapping
        if column not in header
    ]
    errors += [
        field_error(
            f"mapping.{column}",
            "unknown_field",
            f"Map to one of: {', '.join(IMPORTABLE)} or {CUSTOM_PREFIX}<key>.",
        )
        for column, target in mapping.items()
        if target not in IMPORTABLE and not target.startswith(CUSTOM_PREFIX)
    ]
    if errors:
        raise InvalidInput(details=errors)
    return mapping


# --- One cell ---------------------------------------------------------------------------

# A reader turns one cell into the field's value, adding what is wrong with it to `problems`.
CellReader = Callable[[str, list[str]], Any]
TAG_SEPARATORS = re.compile(r"[;,]")


def _text(name: str, limit: int | None) -> CellReader:
    def read(cell: str, problems: list[str]) -> str:
        if limit is not None and len(cell) > limit:
            problems.append(f"{name}: at most {limit} characters, this one has {len(cell)}")
        return cell

    return read


def _email(name: str, limit: int) -> CellReader:
    def read(cell: str, problems: list[str]) -> str:
        if len(cell) > limit:
            problems.append(f"{name}: at most {limit} characters, this one has {len(cell)}")
        elif cell:
            try:
                validate_email(cell)  # the API's own check
            except ValidationError:
                problems.append(f"{name}: '{cell}' is not a valid email address")
        return cell

    return read


def _phone(name: str, limit: int) -> CellReader:
    def read(cell: str, problems: list[str]) -> str:
        if len(cell) > limit:
            problems.append(f"{name}: at most {limit} characters, this one has {len(cell)}")
            return cell
        try:
            return normalise_phone(cell)  # the API's own check, stored as E.164
        except UnusablePhoneNumber as error:
            problems.append(f"{name}: {error}")
            return cell

    return read


def _choice(name: str, choices: list[str]) -> CellReader:
    def read(cell: str, problems: list[str]) -> str | None:
        word = cell.lower()
        if word and word not in choices:
            problems.append(f"{name}: use one of {', '.join(choices)}")
        return word or None  # empty: the import's default

    return read


def _yes_no(name: str) -> CellReader:
    def read(cell: str, problems: list[str]) -> bool:
        word = cell.lower()
        if word not in TRUE and word not in FALSE:
            problems.append(f"{name}: '{cell}' is not yes or no")
        return word in TRUE

    return read


def _tags(name: str, limit: int) -> CellReader:
    def read(cell: str, problems: list[str]) -> list[str]:
        tags = sorted({tag.strip().lower() for tag in TAG_SEPARATORS.split(cell) if tag.strip()})
        if len(tags) > MAX_TAGS or any(len(tag) > limit for tag in tags):
            problems.append(f"{name}: at most {MAX_TAGS} tags of up to {limit} characters each")
        return tags

    return read


def _no_constant(constant: str) -> None:
    raise ValueError(f"{constant} is not a number JSON can carry")


def _json_object(name: str) -> CellReader:
    def read(cell: str, problems: list[str]) -> dict[str, Any]:
        if not cell:
            return {}
        try:
            parsed = json.loads(cell, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            parsed = None
        if not isinstance(parsed, dict):
            problems.append(f'{name}: give a JSON object like {{"budget": 1200}}')
            return {}
        return parsed

    return read


def _reader_for(name: str) -> CellReader:
    """The reader of a lead field, from the model field's type, length and choices."""
    kind = model_field(name)
    if isinstance(kind, models.EmailField):
        return _email(name, kind.max_length or 254)
    if name == "phone":
        return _phone(name, kind.max_length or 40)
    if kind.choices:
        return _choice(name, [str(value) for value, _ in kind.flatchoices])
    if isinstance(kind, models.BooleanField):
        return _yes_no(name)
    if isinstance(kind, ArrayField):
        return _tags(name, kind.base_field.max_length or 0)
    if isinstance(kind, models.JSONField):
        return _json_object(name)
    return _text(name, kind.max_length)


READERS: dict[str, CellReader] = {name: _reader_for(name) for name in IMPORTABLE}
# What a row says when its file has no such column, or leaves the cell empty.
ROW_DEFAULTS = {"source": Lead.Source.IMPORT.value, "status": Lead.Status.NEW.value}


def _typed_custom(values: dict[str, str], definitions: dict[str, Any]) -> dict[str, Any]:
    """custom_fields.<key> cells as their field's type; a cell that is not one stays text,
    which the type check then reports."""
    typed: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        kind = definition.field_type if definition else None
        typed[key] = value
        if kind == CustomFieldDefinition.FieldType.NUMBER:
            try:
                number: int | float = float(value) if "." in value else int(value)
            except ValueError:
                continue
            if math.isfinite(number):
                typed[key] = number
        elif kind == CustomFieldDefinition.FieldType.BOOLEAN and value.lower() in TRUE | FALSE:
            typed[key] = value.lower() in TRUE
    return typed


# --- Rows -------------------------------------------------------------------------------


def rows_with_nul(csv_text: str) -> list[int]:
    """The numbers of the rows holding a NUL character (none can be stored, not even the
    file itself, so such a file is refused before it is recorded)."""
    if "\x00" not in csv_text:
        return []
    return [
        number
        for number, cells in _records(csv_text)
        if isinstance(cells, list) and any("\x00" in cell for cell in cells)
    ]


def _records(csv_text: str) -> Iterator[tuple[int, list[str] | csv.Error]]:
    """(row number, cells) per record, the header being row 1 as in a spreadsheet; a record
    the csv module cannot read (a cell over its size limit) comes as its error."""
    reader = csv.reader(io.StringIO(csv_text, newline=""))
    number = 0
    while True:
        number += 1
        try:
            yield number, next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield number, error


def check_rows(
    csv_text: str, mapping: dict[str, str], *, progress: Callable[[int], None] | None = None
) -> CheckedRows:
    """Parse and check every row; row numbers count the header as row 1, like a spreadsheet."""
    records = _records(csv_text)
    _, header = next(records, (1, []))
    if isinstance(header, csv.Error):
        header = []
    columns = resolve_mapping(header, mapping)
    positions = [(header.index(column), target) for column, target in columns.items()]
    definitions = custom_field_definitions()
    checked, seen_emails = CheckedRows(), dict[str, int]()
    for number, raw in records:
        if isinstance(raw, csv.Error):
            problems = [f"this row is not readable CSV: {raw}"]
            values: dict[str, Any] = {}
        elif not any(cell.strip() for cell in raw):
            continue
        else:
            values, problems = _check_row(raw, positions, definitions)
        email_key = (values.get("email") or "").lower()
        if email_key and email_key in seen_emails:
            problems.append(f"email: already on row {seen_emails[email_key]} of this file")
        elif email_key:
            seen_emails[email_key] = number
        if problems:
            checked.error_count += 1
            if len(checked.errors) < MAX_REPORTED_ERRORS:
                checked.errors.append({"row": number, "errors": problems})
        else:
            checked.good.append(values)
        if progress is not None and number % PROGRESS_EVERY == 0:
            progress(number - 1)
    return checked


def _check_row(
    raw: list[str], positions: list[tuple[int, str]], definitions: dict[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """One row as lead values, with every problem found in its cells."""
    values: dict[str, Any] = {**ROW_DEFAULTS, "tags": [], "custom_fields": {}}
    problems: list[str] = []
    custom: dict[str, Any] = {}
    custom_cells: dict[str, str] = {}
    for index, target in positions:
        # A cell our export neutralised ('+44 ...) imports as the value it was.
        cell = restore_neutralised(raw[index].strip()).strip() if index < len(raw) else ""
        if target.startswith(CUSTOM_PREFIX):
            if cell:
                custom_cells[target.removeprefix(CUSTOM_PREFIX)] = cell
            continue
        value = READERS[target](cell, problems)
        if target == "custom_fields":
            custom |= value
        elif value is not None:
            values[target] = value
    if not values.get("email") and not values.get("phone"):
        problems.append("email or phone: give at least one")
    problems += _sms_consent_problems(values)
    custom |= _typed_custom(custom_cells, definitions)
    problems += [
        f"{error['field']}: {error['message']}"
        for error in custom_field_errors(custom, definitions)
    ]
    if custom and "\\u0000" in json.dumps(custom):
        problems.append("custom_fields: contains a NUL character, which cannot be stored")
    values["custom_fields"] = custom
    return values, problems


def _sms_consent_problems(values: dict[str, Any]) -> list[str]:
    """An opt-in says how the lead agreed; a source alone says nothing. An empty or
    `unknown` cell leaves a lead's consent as it is (an import never forgets an opt-out)."""
    opted_in = values.get("sms_consent") == Lead.SmsConsent.OPTED_IN
    if opted_in and not values.get("sms_consent_source"):
        return [
            "sms_consent_source: say how this lead agreed to texts, one of "
            + ", ".join(Lead.SmsConsentSource.values)
        ]
    if values.get("sms_consent_source") and not opted_in:
        return ["sms_consent_source: a consent source goes with sms_consent opted_in"]
    return []


@dataclass
class SampleRow:
    number: int  # as in a spreadsheet: the header is row 1
    values: dict[str, Any]
    problems: list[str]


def sample_rows(csv_text: str, mapping: dict[str, str], *, limit: int) -> list[SampleRow]:
    """The first `limit` non-empty rows as they would be imported, each with its problems
    (the cell checks of check_rows; a duplicate further down the file is not looked for)."""
    records = _records(csv_text)
    _, header = next(records, (1, []))
    if isinstance(header, csv.Error):
        return []
    columns = resolve_mapping(header, mapping)
    positions = [(header.index(column), target) for column, target in columns.items()]
    definitions = custom_field_definitions()
    sample: list[SampleRow] = []
    for number, raw in records:
        if len(sample) >= limit:
            break
        if isinstance(raw, csv.Error):
            sample.append(SampleRow(number, {}, [f"this row is not readable CSV: {raw}"]))
        elif any(cell.strip() for cell in raw):
            values, problems = _check_row(raw, positions, definitions)
            sample.append(SampleRow(number, values, problems))
    return sample
