"""/api/v1/payment-links: a Checkout session for one lead, or a reusable payment link for a
product, made in the workspace's own Stripe account."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import AnyHttpUrl, ConfigDict

from accounts.authentication import acting_user
from billing.payments.services.links import create_payment_link

router = Router(tags=["payments"])


class PaymentLinkIn(Schema):
    product_id: int
    lead_id: int | None = None
    kind: Literal["payment_link", "checkout_session"] = "payment_link"
    success_url: AnyHttpUrl | None = Field(
        None, description="Where Stripe sends the lead after paying (default: a thank-you page)."
    )
    cancel_url: AnyHttpUrl | None = None
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"product_id": 3, "lead_id": 42, "kind": "checkout_session"}]
        },
    )


class PaymentLinkOut(Schema):
    id: int
    kind: str
    url: str
    product_id: int
    lead_id: int | None
    stripe_id: str
    stripe_price_id: str
    created_at: datetime
    expires_at: datetime | None


@router.post(
    "",
    response={201: PaymentLinkOut},
    summary="Make a payment link or a Checkout session",
    description="409 `payments_not_ready` until the workspace's Stripe account can take "
    "charges; 409 `product_not_sellable` for an archived or free product; 503 "
    "`stripe_unavailable` when Stripe does not answer (nothing is stored).",
)
def post_payment_link(request: HttpRequest, payload: PaymentLinkIn) -> Status:
    link = create_payment_link(
        actor=acting_user(request),
        product_id=payload.product_id,
        lead_id=payload.lead_id,
        kind=payload.kind,
        success_url=str(payload.success_url) if payload.success_url else None,
        cancel_url=str(payload.cancel_url) if payload.cancel_url else None,
    )
    return Status(201, link)
