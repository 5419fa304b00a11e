"""Request and response models of the HTTP API (the route tables document them)."""
