"""The gateway: the only door for browsers and API clients."""
