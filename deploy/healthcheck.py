#!/usr/bin/env python3
"""Container liveness probe for every Portail Famille process.

Exit 0 when GET http://127.0.0.1:<port>/health answers 2xx, 1 otherwise.
Used by the image HEALTHCHECK and by docker-compose.yml; Kubernetes uses its own
httpGet probes instead.

The port is read from the process's own ``<NAME>_HTTP_PORT`` (NAME comes from
``PORTAIL_PACKAGE``, baked into the image at build time), so overriding the port
at run time cannot leave the probe knocking on the wrong door. Standard library
only: it must run even if the application's virtualenv is broken.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

# Contract defaults, used when the process does not override its port.
DEFAULT_PORTS = {
    "gateway": 8080,
    "accounts": 8081,
    "planning": 8082,
    "billing": 8083,
    "messaging": 8084,
}
TIMEOUT_SECONDS = 2.0


def probe_url(environ: dict[str, str]) -> str:
    name = environ.get("PORTAIL_PACKAGE", "").removeprefix("portail-")
    if name not in DEFAULT_PORTS:
        raise ValueError(f"PORTAIL_PACKAGE={environ.get('PORTAIL_PACKAGE')!r} is not a known process")
    port = environ.get(f"{name.upper()}_HTTP_PORT") or str(DEFAULT_PORTS[name])
    return f"http://127.0.0.1:{port}/health"


def main() -> int:
    try:
        url = probe_url(dict(os.environ))
    except ValueError as exc:
        print(f"healthcheck misconfigured: {exc}", file=sys.stderr)
        return 1
    # An HTTP(S)_PROXY set for outbound calls must never capture the loopback probe.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=TIMEOUT_SECONDS) as response:
            return 0 if 200 <= response.status < 300 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
