"""Stripe events from the workspaces' own (Connect) accounts: their sales to their leads."""

from __future__ import annotations
