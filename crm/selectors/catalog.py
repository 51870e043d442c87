"""Reads of a workspace's catalogue: products, the pipeline and its custom fields."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from crm.models import CustomFieldDefinition, Lead, PipelineStage, Product


def products() -> QuerySet[Product]:
    return Product.objects.all()


def pipeline_stages() -> list[PipelineStage]:
    """The pipeline, in order."""
    return list(PipelineStage.objects.order_by("order", "id"))


def custom_fields() -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.all())


def stage_lead_counts() -> dict[int, int]:
    """How many leads each stage holds (stages without leads are absent)."""
    rows = (
        Lead.objects.filter(stage__isnull=False)
        .values("stage_id")
        .annotate(leads=Count("id"))
        .values_list("stage_id", "leads")
    )
    return dict(rows)


def leads_with_custom_field(key: str) -> int:
    """How many leads hold a value under a custom field's key."""
    return Lead.objects.filter(custom_fields__has_key=key).count()
