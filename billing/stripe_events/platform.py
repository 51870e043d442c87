"""Stripe events from the platform's own account: a workspace's subscription and invoices."""

from __future__ import annotations
