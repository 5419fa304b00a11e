"""Use cases: one function per thing a user, a staff member or the clock asks for."""

from .deps import Accounts, Clock, system_clock

__all__ = ["Accounts", "Clock", "system_clock"]
