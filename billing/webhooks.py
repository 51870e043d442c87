"""Stripe's webhook endpoint on the apex domain (platform and Connect events alike)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from billing.stripe_events import receive_stripe_event
from project.errors import DomainError, domain_error_response


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Verified with the stripe library (bad signature or stale timestamp: 400, nothing
    changed); each event applied once; a redelivery is acknowledged with 200."""
    try:
        receipt = receive_stripe_event(
            payload=request.body, signature=request.headers.get("Stripe-Signature", "")
        )
    except DomainError as error:
        return domain_error_response(error)
    return JsonResponse({"id": receipt.event_id, "outcome": receipt.outcome})
