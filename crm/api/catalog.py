"""/api/v1/products, /pipeline-stages and /custom-fields."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict

from accounts.authentication import acting_user
from crm.models import CustomFieldDefinition, PipelineStage, Product
from crm.selectors.catalog import custom_fields, pipeline_stages, products
from crm.selectors.pagination import MAX_LIMIT, paginate
from crm.selectors.records import get_record
from crm.services.catalog import (
    create_field_definition,
    create_product,
    create_stage,
    delete_field_definition,
    delete_product,
    delete_stage,
    reorder_stages,
    update_field_definition,
    update_product,
    update_stage,
)
from project.inputs import Omittable

products_router = Router(tags=["products"])
stages_router = Router(tags=["pipeline"])
fields_router = Router(tags=["custom fields"])
FORBID = ConfigDict(extra="forbid")


class PageParams(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class ProductOut(Schema):
    id: int
    name: str
    kind: str
    description: str
    price: Decimal
    currency: str
    billing: str
    interval: str
    active: bool
    created_at: datetime
    updated_at: datetime


class ProductIn(Schema):
    name: str
    kind: str = Product.Kind.COURSE
    description: str = ""
    price: Decimal
    currency: str = "USD"
    billing: str = Product.Billing.ONE_TIME
    interval: str = ""
    active: bool = True
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "12-week coaching",
                    "kind": "coaching",
                    "price": "1200.00",
                    "currency": "EUR",
                    "billing": "one_time",
                }
            ]
        },
    )


class ProductPatch(Schema):
    name: Omittable[str] = None
    kind: Omittable[str] = None
    description: Omittable[str] = None
    price: Omittable[Decimal] = None
    currency: Omittable[str] = None
    billing: Omittable[str] = None
    interval: Omittable[str] = None
    active: Omittable[bool] = None
    model_config = FORBID


class ProductPage(Schema):
    items: list[ProductOut]
    next: str | None


class StageOut(Schema):
    id: int
    name: str
    order: int
    win_probability: int


class StageIn(Schema):
    name: str
    order: int | None = None
    win_probability: int = 0
    model_config = FORBID


class StagePatch(Schema):
    name: Omittable[str] = None
    order: Omittable[int] = None
    win_probability: Omittable[int] = None
    model_config = FORBID


class StageOrderIn(Schema):
    ids: list[int]
    model_config = FORBID


class FieldOut(Schema):
    id: int
    key: str
    label: str
    field_type: str
    options: list[Any]
    required: bool


class FieldIn(Schema):
    key: str
    label: str
    field_type: str
    options: list[Any] = []
    required: bool = False
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"key": "budget", "label": "Budget", "field_type": "number"}]
        },
    )


class FieldPatch(Schema):
    label: Omittable[str] = None
    options: Omittable[list[Any]] = None
    required: Omittable[bool] = None
    model_config = FORBID


def _sent(payload: Schema) -> dict[str, Any]:
    return payload.model_dump(exclude_unset=True)


@products_router.get("", response=ProductPage)
def list_products(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    page = paginate(products(), sort="id", limit=params.limit, cursor=params.cursor)
    return {"items": page.items, "next": page.next}


@products_router.post("", response={201: ProductOut})
def post_product(request: HttpRequest, payload: ProductIn) -> Status:
    return Status(201, create_product(actor=acting_user(request), **payload.model_dump()))


@products_router.get("/{int:product_id}", response=ProductOut)
def get_product(request: HttpRequest, product_id: int) -> Product:
    return get_record(Product, product_id)


@products_router.patch("/{int:product_id}", response=ProductOut)
def patch_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Product:
    return update_product(actor=acting_user(request), product_id=product_id, changes=_sent(payload))


@products_router.delete("/{int:product_id}", response={204: None})
def remove_product(request: HttpRequest, product_id: int) -> Status:
    delete_product(actor=acting_user(request), product_id=product_id)
    return Status(204, None)


@stages_router.get("", response=list[StageOut])
def list_stages(request: HttpRequest) -> list[PipelineStage]:
    """The pipeline, in order."""
    return pipeline_stages()


@stages_router.post("", response={201: StageOut})
def post_stage(request: HttpRequest, payload: StageIn) -> Status:
    return Status(201, create_stage(actor=acting_user(request), **payload.model_dump()))


@stages_router.post("/reorder", response=list[StageOut])
def post_stage_order(request: HttpRequest, payload: StageOrderIn) -> list[PipelineStage]:
    """Put every stage in the order of `ids`."""
    return reorder_stages(actor=acting_user(request), stage_ids=payload.ids)


@stages_router.patch("/{int:stage_id}", response=StageOut)
def patch_stage(request: HttpRequest, stage_id: int, payload: StagePatch) -> PipelineStage:
    return update_stage(actor=acting_user(request), stage_id=stage_id, changes=_sent(payload))


@stages_router.delete("/{int:stage_id}", response={204: None})
def remove_stage(request: HttpRequest, stage_id: int) -> Status:
    delete_stage(actor=acting_user(request), stage_id=stage_id)
    return Status(204, None)


@fields_router.get("", response=list[FieldOut])
def list_fields(request: HttpRequest) -> list[CustomFieldDefinition]:
    return custom_fields()


@fields_router.post("", response={201: FieldOut})
def post_field(request: HttpRequest, payload: FieldIn) -> Status:
    return Status(201, create_field_definition(actor=acting_user(request), **payload.model_dump()))


@fields_router.patch("/{int:field_id}", response=FieldOut)
def patch_field(request: HttpRequest, field_id: int, payload: FieldPatch) -> CustomFieldDefinition:
    return update_field_definition(
        actor=acting_user(request), field_id=field_id, changes=_sent(payload)
    )


@fields_router.delete("/{int:field_id}", response={204: None})
def remove_field(request: HttpRequest, field_id: int) -> Status:
    delete_field_definition(actor=acting_user(request), field_id=field_id)
    return Status(204, None)
