"""Accounts: users, credentials, sessions and the family dossiers."""
