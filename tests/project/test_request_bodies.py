"""Bodies that cannot be read answer in the error shape, on the API and under /webhooks/:
multipart without a boundary is 400, a body over Django's limit 413."""

from __future__ import annotations

from django.test import Client, override_settings

from tests.support.clients import api

SMALL_LIMIT = override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1_000)


def _error(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert isinstance(error["message"], str)
    assert error["details"] == [] or isinstance(error["details"], list)
    return str(error["code"])


def test_multipart_without_a_boundary_is_400(make_workspace) -> None:
    response = api(make_workspace()).post(
        "/api/v1/leads/import", b"--x\r\n", content_type="multipart/form-data"
    )

    assert _error(response, 400) == "malformed_body"


def test_a_json_body_over_the_limit_is_413(make_workspace) -> None:
    client = api(make_workspace())

    with SMALL_LIMIT:
        response = client.post(
            "/api/v1/leads",
            {"email": "a@x.example", "notes": "x" * 2_000},
            content_type="application/json",
        )

    assert _error(response, 413) == "payload_too_large"


def test_a_webhook_body_over_the_limit_is_413_before_its_password_is_checked(
    make_workspace,
) -> None:
    client = Client(HTTP_HOST=make_workspace().host)

    with SMALL_LIMIT:
        response = client.post(
            "/webhooks/postmark",
            {"RecordType": "Delivery", "Details": "x" * 2_000},
            content_type="application/json",
        )

    assert _error(response, 413) == "payload_too_large"


def test_form_fields_over_the_limit_are_413_on_the_import(make_workspace) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api(make_workspace())
    upload = SimpleUploadedFile("leads.csv", b"email\na@x.example\n" * 200)

    with SMALL_LIMIT:
        big_file = client.post("/api/v1/leads/import", {"file": upload})
        upload.seek(0)
        big_field = client.post("/api/v1/leads/import", {"file": upload, "mapping": "x" * 2_000})

    assert big_file.status_code == 200, big_file.content  # files do not count, as in Django
    assert _error(big_field, 413) == "payload_too_large"


def test_a_page_form_over_the_limit_is_a_413_page(make_workspace) -> None:
    with SMALL_LIMIT:
        response = (
            make_workspace()
            .client()
            .post("/login/", {"email": "a@x.example", "password": "x" * 2_000})
        )

    assert response.status_code == 413
    assert "text/html" in response["Content-Type"]


def test_too_many_query_parameters_are_400(make_workspace) -> None:
    query = "&".join(f"tag={n}" for n in range(1_100))

    response = api(make_workspace()).get(f"/api/v1/leads?{query}")

    assert _error(response, 400) == "too_many_fields"
