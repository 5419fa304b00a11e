"""Typed clients of the services: one thin function per call, over ``upstream.open_upstream``."""
