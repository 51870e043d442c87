"""Reads of a workspace's catalogue: products, the pipeline and its custom fields."""

from __future__ import annotations

from django.db.models import QuerySet

from crm.models import CustomFieldDefinition, PipelineStage, Product


def products() -> QuerySet[Product]:
    return Product.objects.all()


def pipeline_stages() -> list[PipelineStage]:
    """The pipeline, in order."""
    return list(PipelineStage.objects.order_by("order", "id"))


def custom_fields() -> list[CustomFieldDefinition]:
    return list(CustomFieldDefinition.objects.all())
