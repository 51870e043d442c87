"""Every domain error crm raises, with its stable code (the HTTP status comes from the base
classes in project.errors)."""

from __future__ import annotations

from project.errors import Conflict, DomainError


class LeadEmailTaken(Conflict):
    code = "lead_email_taken"

    def __init__(self, existing_id: int):
        super().__init__(
            "A lead with this email already exists.",
            details=[
                {
                    "field": "email",
                    "code": "taken",
                    "existing_id": existing_id,
                    "message": f"Lead {existing_id} already has this email.",
                }
            ],
        )
        self.existing_id = existing_id


class MalformedCursor(DomainError):
    code = "malformed_cursor"
    status = 400
    default_message = "The cursor is not one we gave out; start again without it."


class ImportAlreadyStarted(Conflict):
    code = "import_already_started"
    default_message = "This import has been started: upload the file again to change it."


class ImportStillChecking(Conflict):
    code = "import_still_checking"
    default_message = "The file is still being checked: wait for the preview, then try again."
