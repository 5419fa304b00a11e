"""The portal's real processes for the system and browser tests (on pytest's pythonpath).

A package of its own, imported by absolute name: ``tests`` is also the name of the gateway's
test package, so relative imports between ``tests/system`` and ``tests/e2e`` depend on the
order pytest collects them in.
"""
