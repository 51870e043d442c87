"""The CSV import pages: upload a file, map its columns, see a dry run of every row, then
import with a progress bar that updates itself, and the list of past imports.

Every step works on one LeadImport row through crm.services.lead_import_steps, which runs the
API's import engine: the file is kept in the workspace's own schema, never in the session,
and a confirmed import is tied to its row, so a refresh or a second click imports nothing
twice."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.authentication import signed_in_user
from accounts.permissions import Action, can
from crm.errors import ImportStillChecking
from crm.models import LeadImport
from crm.pages.common import workspace_page
from crm.selectors.imports import (
    column_examples,
    field_choices,
    find_import,
    guess_mapping,
    import_step,
    imported_leads,
    recent_imports,
    row_errors,
)
from crm.selectors.pagination import paginate
from crm.services.lead_import import MAX_IMPORT_BYTES
from crm.services.lead_import_rows import read_header, sample_rows
from crm.services.lead_import_steps import confirm_import, preview_import, upload_import
from project.errors import Forbidden, InvalidInput
from project.pages import add_domain_errors

SAMPLE_ROWS = 10
MAX_SHOWN_ERRORS = 1000  # the engine keeps the first 1,000; the count says how many more
LIMIT_TEXT = f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB"
# Files that are not text: what they are, by their first bytes, to say so instead of garbage.
NOT_CSV = {
    b"PK\x03\x04": "an Excel or other zipped file",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) file",
    b"%PDF": "a PDF",
}
CSV_NAMES = (".csv", ".txt")


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=f"UTF-8 CSV with a header row, up to {LIMIT_TEXT}.",
        error_messages={"required": "Choose a CSV file to upload.", "empty": "The file is empty."},
    )

    def clean_file(self) -> str:
        """The file's text; anything that is not a UTF-8 CSV is refused here, saying why."""
        upload: UploadedFile = self.cleaned_data["file"]
        if upload.size and upload.size > MAX_IMPORT_BYTES:
            size = upload.size / (1024 * 1024)
            raise forms.ValidationError(
                f"This file is {size:.0f} MB; the limit is {LIMIT_TEXT}. Split it into "
                "smaller files and import each."
            )
        head = upload.read(8)
        upload.seek(0)
        kind = next((name for magic, name in NOT_CSV.items() if head.startswith(magic)), None)
        if kind is not None or not (upload.name or "").lower().endswith(CSV_NAMES):
            raise forms.ValidationError(
                f"This is {kind or 'not a CSV file'}. In your spreadsheet choose File > "
                "Save as (or Download) > CSV UTF-8, then upload that file."
            )
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise forms.ValidationError(
                "This file is saved as UTF-16 text. Save it as CSV UTF-8 and upload it again."
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise forms.ValidationError(
                "This file is not UTF-8 text. Save it as CSV UTF-8 and upload it again."
            ) from None


NO_IMPORT = ("", "Don't import")


class MappingForm(forms.Form):
    on_duplicate = forms.ChoiceField(
        label="When a lead with the same email exists",
        choices=[
            (LeadImport.OnDuplicate.SKIP, "Keep the existing lead as it is (skip the row)"),
            (LeadImport.OnDuplicate.UPDATE, "Update the existing lead with the file's values"),
        ],
        initial=LeadImport.OnDuplicate.SKIP,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, header: list[str], mapping: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = field_choices()
        self.labels = dict(choices)
        # A second column with the same name cannot be told apart in a mapping: the first wins.
        self.columns = list(dict.fromkeys(header))
        for index, column in enumerate(self.columns):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=column or f"Column {index + 1}",
                choices=[NO_IMPORT, *choices],
                required=False,
                initial=mapping.get(column, ""),
            )

    def column_fields(self) -> list[forms.BoundField]:
        return [self[f"column_{index}"] for index in range(len(self.columns))]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        chosen: dict[str, str] = {}
        for index, column in enumerate(self.columns):
            target = data.get(f"column_{index}") or ""
            if not target:
                continue
            if target in chosen:
                self.add_error(
                    f"column_{index}",
                    f"{self.labels[target]} is already filled from “{chosen[target]}”: choose "
                    "one column for it.",
                )
            chosen[target] = column
        if not chosen:
            raise forms.ValidationError("Choose a lead field for at least one column.")
        if "email" not in chosen and "phone" not in chosen:
            raise forms.ValidationError(
                "Choose the column that holds the email (or the phone number): every lead "
                "needs one of them."
            )
        return data

    def mapping(self) -> dict[str, str]:
        return {
            column: self.cleaned_data[f"column_{index}"]
            for index, column in enumerate(self.columns)
            if self.cleaned_data.get(f"column_{index}")
        }


@workspace_page
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    allowed = can(user, Action.MANAGE_LEADS)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not allowed:
            raise Forbidden(f"Your role ({user.role}) cannot manage leads.")
        if form.is_valid():
            try:
                lead_import = upload_import(actor=user, csv_text=form.cleaned_data["file"])
            except InvalidInput as error:
                add_domain_errors(form, error.details)
            else:
                return redirect("lead_import_mapping", lead_import.pk)
    status = 422 if form.errors else 200
    context = {"form": form, "imports": recent_imports(), "can_manage": allowed}
    return render(request, "crm/imports/upload.html", context, status=status)


@workspace_page
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = find_import(import_id, with_file=True)
    if import_step(lead_import) == "import":
        return redirect("lead_import_detail", lead_import.pk)
    header = read_header(lead_import.csv_text)
    form = MappingForm(
        request.POST or None,
        header=header,
        mapping=lead_import.mapping or guess_mapping(header),
        initial={"on_duplicate": lead_import.on_duplicate},
    )
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            preview_import(
                actor=signed_in_user(request),
                import_id=lead_import.pk,
                mapping=form.mapping(),
                on_duplicate=form.cleaned_data["on_duplicate"],
            )
        except InvalidInput as error:
            add_domain_errors(form, error.details)
        except ImportStillChecking as error:
            form.add_error(None, error.message)
            conflict = True
        else:
            return redirect("lead_import_detail", lead_import.pk)
    status = 409 if conflict else 422 if form.errors else 200
    examples = column_examples(lead_import.csv_text)
    context = {
        "lead_import": lead_import,
        "form": form,
        "columns": list(
            zip(
                form.column_fields(),
                [examples.get(column, "") for column in form.columns],
                strict=True,
            )
        ),
    }
    return render(request, "crm/imports/mapping.html", context, status=status)


@workspace_page
@require_GET
def import_detail(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = find_import(import_id)
    step = import_step(lead_import)
    if step == "mapping":
        return redirect("lead_import_mapping", lead_import.pk)
    context = _status_context(lead_import)
    if step == "preview" and context["finished"]:
        context["sample"] = _sample(find_import(import_id, with_file=True))
    return render(request, f"crm/imports/{step}.html", context)


@workspace_page
@require_GET
def import_status(request: HttpRequest, import_id: int) -> HttpResponse:
    """The live part of a preview or an import, polled by htmx until it finishes; when it
    has, the whole page reloads (a preview has its rows to show)."""
    lead_import = find_import(import_id)
    context = _status_context(lead_import)
    response = render(request, "crm/imports/_status.html", context)
    if context["finished"] and import_step(lead_import) == "preview":
        response["HX-Refresh"] = "true"
    return response


@workspace_page
@require_POST
def import_run(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = find_import(import_id)
    already = not lead_import.dry_run
    lead_import = confirm_import(
        actor=signed_in_user(request),
        import_id=lead_import.pk,
        skip_bad_rows=request.POST.get("skip_bad_rows") == "1",
    )
    if already:
        messages.info(request, "This import had already started; it runs only once.")
    return redirect("lead_import_detail", lead_import.pk)


@workspace_page
@require_GET
def import_leads(request: HttpRequest, import_id: int) -> HttpResponse:
    lead_import = find_import(import_id)
    found = paginate(
        imported_leads(lead_import),
        sort="-created_at",
        limit=50,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "lead_import": lead_import,
        "leads": found.items,
        # The import counted what it wrote; counting the leads again would cost a scan.
        "total": lead_import.created_count + lead_import.updated_count,
        "next": found.next,
        "first_page": not request.GET.get("cursor"),
    }
    return render(request, "crm/imports/leads.html", context)


def _status_context(lead_import: LeadImport) -> dict[str, Any]:
    finished = lead_import.status in (LeadImport.Status.DONE, LeadImport.Status.FAILED)
    total = max(lead_import.total_rows, 1)
    if finished:
        percent = 100.0
    elif lead_import.status == LeadImport.Status.WRITING:
        percent = 95.0
    else:  # checking the rows is most of the time; writing them is one statement
        percent = min(90.0, 90.0 * lead_import.processed_rows / total)
    bad_skipped = lead_import.error_count if lead_import.skip_bad_rows else 0
    errors = row_errors(lead_import)
    return {
        "lead_import": lead_import,
        "finished": finished,
        "percent": percent,
        "good_rows": max(0, lead_import.total_rows - lead_import.error_count),
        "kept": max(0, lead_import.skipped_count - bad_skipped),
        "written": lead_import.created_count + lead_import.updated_count,
        "refused": finished
        and not lead_import.dry_run
        and lead_import.error_count > 0
        and not lead_import.skip_bad_rows,
        "errors": errors[:MAX_SHOWN_ERRORS],
        "unlisted_errors": max(0, lead_import.error_count - len(lead_import.errors)),
    }


def _sample(lead_import: LeadImport) -> dict[str, Any]:
    """The first rows as they will be imported, under the file's column names."""
    labels = dict(field_choices())
    # The stored mapping is JSON, whose keys keep no order: show the file's column order.
    header = read_header(lead_import.csv_text)
    targets = [
        (column, lead_import.mapping[column]) for column in header if column in lead_import.mapping
    ]
    rows = []
    for row in sample_rows(lead_import.csv_text, lead_import.mapping, limit=SAMPLE_ROWS):
        cells = []
        for _, target in targets:
            if target.startswith("custom_fields."):
                value: Any = row.values.get("custom_fields", {}).get(target.split(".", 1)[1], "")
            else:
                value = row.values.get(target, "")
            if isinstance(value, bool):
                value = "yes" if value else "no"
            elif isinstance(value, list):
                value = ", ".join(value)
            elif isinstance(value, dict):
                value = ", ".join(f"{key}: {item}" for key, item in value.items())
            cells.append("" if value is None else str(value))
        rows.append({"number": row.number, "cells": cells, "problems": row.problems})
    columns = [
        {"column": column, "field": labels.get(target, target)} for column, target in targets
    ]
    return {"columns": columns, "rows": rows}
