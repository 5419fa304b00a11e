# A package on purpose: without it pytest's importlib mode names these modules
# "gateway.tests.*" and registers the gateway/ folder as the "gateway" package,
# shadowing the real one in gateway/src.
