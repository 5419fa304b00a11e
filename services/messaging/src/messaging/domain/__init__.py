"""Messaging's rules: pure functions and values, no I/O (no asyncpg, aio_pika or aiohttp)."""
