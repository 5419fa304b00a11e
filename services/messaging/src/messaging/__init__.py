"""Messaging: parents' threads with the town's services, and every outgoing e-mail."""
