"""The delivery engine: what turns a campaign (or a one-off email or text) into exactly one
message per lead at the provider, whatever happens to the workers.

The front door is here; everything else in the package is internal. Email (Postmark) and
SMS (Twilio) are two transports (`transports`) on the same path, not copies: both claim and
settle the same `outreach.Delivery` rows (batch key, lease, attempts) beside the lead's
`crm.Message`; what differs is the claim's rule (address, who is blocked, quiet hours) and
how the provider is called, answers and is searched after a lost answer.

- `start_campaign`: freeze a sending campaign's audience (once) and dispatch its senders.
- `deliver`: claim, send and settle batches until nothing is left (safe to run in parallel).
- `sweep`: restart due and stalled sends across workspaces (the beat, public schema).
- `after_commit_*`, `cancel_queued`, `has_in_flight`, `has_unsettled`: what the campaign
  services need from the queue.
"""

from outreach.delivery.sender import DeliveryRun, deliver
from outreach.delivery.start import (
    after_commit_deliver,
    after_commit_deliver_direct,
    after_commit_start,
    cancel_queued,
    has_in_flight,
    has_unsettled,
    start_campaign,
)
from outreach.delivery.sweep import sweep

__all__ = [
    "DeliveryRun",
    "after_commit_deliver",
    "after_commit_deliver_direct",
    "after_commit_start",
    "cancel_queued",
    "deliver",
    "has_in_flight",
    "has_unsettled",
    "start_campaign",
    "sweep",
]
