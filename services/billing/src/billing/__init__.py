"""Billing: quotients familiaux, tariffs, quotes, payments, credits, invoices, documents."""
