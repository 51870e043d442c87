"""Provisioning: POST /api/workspaces, the service and the command, all or nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test import Client, override_settings
from django_tenants.utils import schema_context

from crm.models import PipelineStage
from project.errors import InvalidInput
from tenants.models import Domain, Workspace
from tenants.services.provisioning import SlugTaken, create_workspace
from tenants.services.template import migrate_new_schema, template_is_current, template_schema
from tests.support.clients import OWNER_PASSWORD

VALID: dict[str, Any] = {
    "name": "Acme Coaching",
    "slug": "acme",
    "owner_email": "ada@acme.example",
    "owner_password": OWNER_PASSWORD,
}


def schema_exists(name: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [name])
        return cursor.fetchone() is not None


def post_workspace(client: Client, body: object, **extra: Any):
    return client.post("/api/workspaces", body, content_type="application/json", **extra)


def test_signup_api_creates_a_workspace_whose_owner_can_sign_in(apex_client) -> None:
    response = post_workspace(apex_client, VALID)

    assert response.status_code == 201
    body = response.json()
    assert body["slug"] == "acme"
    assert body["url"] == "http://acme.localhost:8000"
    assert Workspace.objects.get(pk=body["id"]).schema_name == "ws_acme"
    assert schema_exists("ws_acme")
    signed_in = Client(HTTP_HOST="acme.localhost").post(
        "/login/", {"email": "ADA@acme.example", "password": OWNER_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_taken_slug_is_409_and_changes_nothing(apex_client, make_workspace) -> None:
    make_workspace("acme")

    response = post_workspace(apex_client, {**VALID, "owner_email": "other@x.example"})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "slug_taken"
    assert Workspace.objects.filter(slug="acme").count() == 1


def test_slug_is_lower_cased_and_trimmed(apex_client) -> None:
    response = post_workspace(apex_client, {**VALID, "slug": "  Acme-Studio "})

    assert response.status_code == 201
    assert response.json()["slug"] == "acme-studio"
    assert Workspace.objects.get(slug="acme-studio").schema_name == "ws_acme_studio"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("name", "", "required"),
        ("name", "   ", "required"),
        ("name", "x" * 101, "too_long"),
        ("slug", "ab", "invalid_length"),
        ("slug", "a" * 41, "invalid_length"),
        ("slug", "-acme", "invalid_slug"),
        ("slug", "acme-", "invalid_slug"),
        ("slug", "ac--me", "invalid_slug"),
        ("slug", "ac_me", "invalid_slug"),
        ("slug", "ac.me", "invalid_slug"),
        ("slug", "acmé", "invalid_slug"),
        ("owner_email", "not-an-email", "invalid_email"),
        ("owner_email", "", "invalid_email"),
        ("owner_password", "short", "weak_password"),
        ("owner_password", "12345678901", "weak_password"),
        ("owner_password", "password123", "weak_password"),
    ],
)
def test_invalid_field_is_422_naming_it(apex_client, field: str, value: str, code: str) -> None:
    response = post_workspace(apex_client, {**VALID, field: value})

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert {"field": field, "code": code} in [
        {"field": d["field"], "code": d["code"]} for d in error["details"]
    ]
    assert not Workspace.objects.exclude(schema_name="public").exists()


@pytest.mark.parametrize(
    "slug",
    [
        "www",
        "api",
        "app",
        "admin",
        "console",
        "mail",
        "static",
        "media",
        "status",
        "help",
        "docs",
        "billing",
    ],
)
def test_reserved_slug_is_422(apex_client, slug: str) -> None:
    response = post_workspace(apex_client, {**VALID, "slug": slug})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "reserved_slug"


def test_every_invalid_field_is_reported_at_once(apex_client) -> None:
    response = post_workspace(
        apex_client, {"name": "", "slug": "x", "owner_email": "no", "owner_password": "1"}
    )

    fields = {detail["field"] for detail in response.json()["error"]["details"]}
    assert fields == {"name", "slug", "owner_email", "owner_password"}


def test_missing_field_is_422_naming_it(apex_client) -> None:
    body = {key: value for key, value in VALID.items() if key != "owner_email"}

    response = post_workspace(apex_client, body)

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "owner_email"


def test_unknown_field_is_422(apex_client) -> None:
    response = post_workspace(apex_client, {**VALID, "plan": "free"})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "plan"


def test_wrong_type_is_422(apex_client) -> None:
    response = post_workspace(apex_client, {**VALID, "slug": 42})

    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "slug"


def test_malformed_json_is_400(apex_client) -> None:
    response = post_workspace(apex_client, "{not json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


def test_signup_is_not_served_on_a_workspace_domain(make_workspace) -> None:
    response = post_workspace(make_workspace().client(), VALID)

    assert response.status_code == 404
    assert not Workspace.objects.filter(slug="acme").exists()


@override_settings(CRM_SIGNUP_RATE="2/m")
def test_signup_is_rate_limited_per_ip(apex_client) -> None:
    for slug in ("first", "second"):
        assert post_workspace(apex_client, {**VALID, "slug": slug}).status_code == 201

    limited = post_workspace(apex_client, {**VALID, "slug": "third"})
    other_ip = post_workspace(apex_client, {**VALID, "slug": "fourth"}, REMOTE_ADDR="10.0.0.9")

    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert not Workspace.objects.filter(slug="third").exists()
    assert other_ip.status_code == 201


def test_failure_after_the_schema_is_made_leaves_nothing_behind(db) -> None:
    # A real database failure at the last step (the domain insert), after the schema,
    # the workspace row and the owner account were written.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION public.refuse_domain() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$;
            CREATE TRIGGER refuse_domain BEFORE INSERT ON public.tenants_domain
            FOR EACH ROW EXECUTE FUNCTION public.refuse_domain();
            """
        )

    with pytest.raises(DatabaseError, match="injected failure"):
        create_workspace(**VALID)

    assert not schema_exists("ws_acme")
    assert not Workspace.objects.filter(slug="acme").exists()
    assert not Domain.objects.filter(domain="acme.localhost").exists()


def test_missing_template_is_rebuilt_by_provisioning(db) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA "{template_schema()}" CASCADE')
    assert not template_is_current()

    workspace = create_workspace(**VALID)

    assert template_is_current()
    assert schema_exists(workspace.schema_name)


def test_template_behind_the_migrations_is_rebuilt_by_provisioning(db) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM \"{template_schema()}\".django_migrations WHERE app = 'accounts'"
        )
    assert not template_is_current()

    create_workspace(**VALID)

    assert template_is_current()
    response = Client(HTTP_HOST="acme.localhost").post(
        "/login/", {"email": VALID["owner_email"], "password": OWNER_PASSWORD}
    )
    assert response.status_code == 302


def test_service_raises_slug_taken_for_a_taken_slug(make_workspace) -> None:
    make_workspace("acme")

    with pytest.raises(SlugTaken):
        create_workspace(**{**VALID, "owner_email": "x@y.example"})


def test_service_validation_error_carries_field_details(db) -> None:
    with pytest.raises(InvalidInput) as raised:
        create_workspace(**{**VALID, "slug": "admin"})

    assert raised.value.details[0]["field"] == "slug"


def test_create_workspace_command(db, capsys) -> None:
    call_command(
        "create_workspace",
        "cli-made",
        name="CLI Made",
        owner_email="cli@x.example",
        owner_password=OWNER_PASSWORD,
    )

    assert "Created cli-made at http://cli-made.localhost:8000" in capsys.readouterr().out
    assert Domain.objects.get(domain="cli-made.localhost").tenant.slug == "cli-made"


def test_create_workspace_command_explains_invalid_input(db) -> None:
    with pytest.raises(CommandError, match="slug: 'www' is reserved"):
        call_command(
            "create_workspace", "www", name="X", owner_email="a@b.example", owner_password="x"
        )


def schema_shape(schema: str) -> dict[str, set]:
    """Tables, columns, indexes and constraints of a schema, with its name taken out."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name, column_name, data_type, is_nullable, is_identity "
            "FROM information_schema.columns WHERE table_schema = %s",
            [schema],
        )
        columns = set(cursor.fetchall())
        cursor.execute(
            "SELECT tablename, replace(indexdef, %s, '') FROM pg_indexes WHERE schemaname = %s",
            [f"{schema}.", schema],
        )
        indexes = set(cursor.fetchall())
        cursor.execute(
            "SELECT cl.relname, con.contype, pg_get_constraintdef(con.oid) "
            "FROM pg_constraint con JOIN pg_class cl ON cl.oid = con.conrelid "
            "JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = %s",
            [schema],
        )
        constraints = {
            (table, kind, definition.replace(f"{schema}.", ""))
            for table, kind, definition in cursor.fetchall()
        }
    return {"columns": columns, "indexes": indexes, "constraints": constraints}


def test_a_cloned_schema_has_exactly_the_shape_of_a_migrated_one(db) -> None:
    cloned = create_workspace(**VALID)
    migrated = create_workspace(**{**VALID, "slug": "migrated"}, build_schema=migrate_new_schema)

    clone_shape, migrate_shape = (
        schema_shape(cloned.schema_name),
        schema_shape(migrated.schema_name),
    )

    assert clone_shape["columns"] == migrate_shape["columns"]
    assert clone_shape["indexes"] == migrate_shape["indexes"]
    assert clone_shape["constraints"] == migrate_shape["constraints"]
    assert any(kind == "f" for _, kind, _ in clone_shape["constraints"])


def test_a_cloned_schema_continues_the_template_rows_and_their_ids(db) -> None:
    workspace = create_workspace(**VALID)

    with schema_context(workspace.schema_name):
        stages = list(PipelineStage.objects.values_list("name", flat=True))
        added = PipelineStage.objects.create(name="Onboarding", order=9)
        assert ContentType.objects.filter(app_label="crm", model="lead").exists()

    assert stages == ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]
    assert added.pk == 7
