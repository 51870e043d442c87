"""Tenant-schema CRM models arrive with the CRM core issue."""
