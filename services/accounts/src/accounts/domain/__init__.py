"""Accounts rules, free of I/O."""
