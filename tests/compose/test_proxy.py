"""The reverse proxy in front of the gateway (nginx), checked offline.

``deploy/kubernetes/proxy/nginx.conf`` is the one configuration of both shapes: Compose
mounts it, Kustomize makes the proxy-nginx ConfigMap of it. Checks: the directives that
bound slow and greedy clients, terminate TLS and pass the client's address are there with
sane values (each check returns problems, with a negative test proving it can fail); when
nginx is installed (Debian's nginx-light), ``nginx -t`` accepts the file; and in both
shapes the gateway is reachable through the proxy only and trusts that proxy alone.
"""

from __future__ import annotations

import copy
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = REPO_ROOT / "deploy" / "kubernetes" / "proxy" / "nginx.conf"
K8S_DIR = REPO_ROOT / "deploy" / "kubernetes"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
TLS_DIR = "/etc/nginx/tls/"
# gateway.upstream.MAX_REQUEST_BODY_BYTES: nginx must not let through more than the gateway takes.
GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024


def directives(text: str) -> dict[str, list[str]]:
    """Every ``name value...;`` of the file, comments dropped: name → its values, in order."""
    found: dict[str, list[str]] = {}
    for raw in re.sub(r"#[^\n]*", "", text).replace("{", ";").replace("}", ";").split(";"):
        words = raw.split(None, 1)
        if words:
            found.setdefault(words[0], []).append(words[1].strip() if len(words) > 1 else "")
    return found


def seconds(value: str) -> float:
    match = re.fullmatch(r"(\d+)(ms|s|m)?", value.split()[0])
    assert match, value
    return int(match[1]) * {"ms": 0.001, "s": 1, "m": 60, None: 1}[match[2]]


def size_bytes(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmMgG])?", value)
    assert match, value
    return int(match[1]) * {None: 1, "k": 1024, "m": 1024**2, "g": 1024**3}[(match[2] or "").lower() or None]


def hardening_problems(text: str) -> list[str]:
    d = directives(text)
    problems = []
    for name, most in (
        ("client_header_timeout", 30),
        ("client_body_timeout", 60),
        ("send_timeout", 60),
        ("keepalive_timeout", 75),
    ):
        if name not in d:
            problems.append(f"{name} is missing")
        elif seconds(d[name][0]) > most:
            problems.append(f"{name} {d[name][0]} is over {most} s")
    if "client_max_body_size" not in d:
        problems.append("client_max_body_size is missing")
    elif size_bytes(d["client_max_body_size"][0]) > GATEWAY_MAX_BODY_BYTES:
        problems.append("client_max_body_size lets through more than the gateway accepts")
    for kind in ("limit_conn", "limit_req"):
        zones = {m[1] for v in d.get(f"{kind}_zone", []) if (m := re.search(r"zone=(\w+):", v))}
        used = {m[1] for v in d.get(kind, []) if (m := re.match(r"(?:zone=)?(\w+)", v))}
        if not zones:
            problems.append(f"{kind}_zone is missing")
        problems += [f"{kind} zone {zone} is never applied" for zone in sorted(zones - used)]
    headers = dict(v.split(None, 1) for v in d.get("proxy_set_header", []))
    if headers.get("X-Forwarded-For") != "$remote_addr":
        problems.append("X-Forwarded-For must be the peer's address only ($remote_addr), not a client's chain")
    if headers.get("Host") != "$http_host":
        problems.append("Host must keep its port ($http_host): the gateway's CSRF check compares it with Origin")
    if not any("ssl" in v.split() for v in d.get("listen", [])):
        problems.append("no listen ... ssl: TLS is not terminated here")
    for name in ("ssl_certificate", "ssl_certificate_key"):
        if not d.get(name) or not d[name][0].startswith(TLS_DIR):
            problems.append(f"{name} must be a file of the mounted {TLS_DIR}")
    if d.get("proxy_request_buffering", ["on"])[0] != "on":
        problems.append("proxy_request_buffering off: slow uploads would hold gateway connections")
    if d.get("server_tokens") != ["off"]:
        problems.append("server_tokens must be off")
    for fmt in re.findall(r"log_format\s([^;]*);", re.sub(r"#[^\n]*", "", text)):
        for leaky in (
            "$request ",
            '$request"',
            "$request_uri",
            "$args",
            "$query_string",
            "$http_cookie",
            "$http_authorization",
        ):
            if leaky in fmt:
                variable = leaky.strip(' "')
                problems.append(f"log_format logs {variable} (tokens travel in query strings and headers)")
    if "proxy_pass" not in d or any(v != "http://gateway" for v in d["proxy_pass"]):
        problems.append("every location must pass to the gateway upstream")
    return problems


@pytest.fixture(scope="module")
def conf() -> str:
    return NGINX_CONF.read_text(encoding="utf-8")


def test_the_proxy_bounds_clients_terminates_tls_and_passes_the_client(conf) -> None:
    assert hardening_problems(conf) == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (("client_body_timeout 20s;", ""), "client_body_timeout is missing"),
        (("client_header_timeout 10s;", "client_header_timeout 5m;"), "client_header_timeout 5m is over 30 s"),
        (("client_max_body_size 10m;", "client_max_body_size 1g;"), "client_max_body_size lets through more"),
        (("X-Forwarded-For $remote_addr;", "X-Forwarded-For $proxy_add_x_forwarded_for;"), "X-Forwarded-For must"),
        (("limit_conn per_client 50;", ""), "limit_conn zone per_client is never applied"),
        (('"path":"$uri"', '"path":"$request_uri"'), "log_format logs $request_uri"),
        (("ssl_certificate /etc/nginx/tls/tls.crt;", "ssl_certificate /srv/cert.pem;"), "ssl_certificate must"),
    ],
)
def test_the_hardening_check_reports_each_fault(conf, change, problem) -> None:
    old, new = change
    assert old in conf
    broken = conf.replace(old, new)
    problems = hardening_problems(broken)
    assert any(p.startswith(problem) for p in problems), problems


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_accepts_the_configuration(conf, tmp_path) -> None:
    """``nginx -t`` on the file, with what only exists in the container made local."""
    tls = tmp_path / "tls"
    tls.mkdir()
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
            str(tls / "tls.key"),
            "-out",
            str(tls / "tls.crt"),
        ],
        check=True,
        capture_output=True,
    )
    # The upstream's name resolves only on the container network; nginx -t resolves it.
    local = conf.replace(TLS_DIR, f"{tls}/").replace("server gateway:8080;", "server 127.0.0.1:8080;")
    assert local != conf
    (tmp_path / "nginx.conf").write_text(local)
    result = subprocess.run(
        ["nginx", "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (apt-get install nginx-light)")
def test_nginx_t_catches_a_broken_file(tmp_path) -> None:
    (tmp_path / "nginx.conf").write_text("events {} http { client_body_timeout; }")
    result = subprocess.run(
        ["nginx", "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0


# --- wiring: the gateway behind the proxy, in both shapes --------------------------------


def compose_problems(compose: dict) -> list[str]:
    services = compose["services"]
    problems = []
    proxy, gateway = services.get("proxy"), services["gateway"]
    if proxy is None:
        return ["no proxy service"]
    if gateway.get("ports"):
        problems.append("the gateway publishes ports: it must be reachable through the proxy only")
    mounts = {v.split(":")[1]: v.split(":")[0] for v in proxy.get("volumes", []) if isinstance(v, str)}
    if mounts.get("/etc/nginx/nginx.conf") != "./deploy/kubernetes/proxy/nginx.conf":
        problems.append("the proxy does not mount deploy/kubernetes/proxy/nginx.conf")
    if "/etc/nginx/tls" not in mounts:
        problems.append("the proxy has no certificate volume at /etc/nginx/tls")
    if not proxy.get("read_only") or "ALL" not in proxy.get("cap_drop", []):
        problems.append("the proxy is not hardened (read_only, cap_drop ALL)")
    shared = set(proxy.get("networks", [])) & set(gateway.get("networks", []))
    trusted = gateway["environment"].get("GATEWAY_TRUSTED_PROXIES", "")
    for network in shared:
        subnets = [c["subnet"] for c in compose["networks"][network]["ipam"]["config"]]
        trusted_nets = [ipaddress.ip_network(t.strip()) for t in trusted.split(",") if t.strip()]
        if not all(any(ipaddress.ip_network(s).subnet_of(t) for t in trusted_nets) for s in subnets):
            problems.append(f"the gateway does not trust the proxy's network {network}")
    if not shared:
        problems.append("the proxy and the gateway share no network")
    return problems


def k8s_docs() -> list[dict]:
    kust = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    docs = []
    for resource in kust["resources"]:
        docs += [d for d in yaml.safe_load_all((K8S_DIR / resource).read_text()) if d]
    return docs


def kubernetes_problems(docs: list[dict], kust: dict) -> list[str]:
    problems = []
    generated = {g["name"]: g.get("files", []) for g in kust.get("configMapGenerator", [])}
    if generated.get("proxy-nginx") != ["nginx.conf=proxy/nginx.conf"]:
        problems.append("proxy-nginx is not generated from proxy/nginx.conf")
    proxy = next((d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "proxy"), None)
    if proxy is None:
        return problems + ["no proxy Deployment"]
    pod = proxy["spec"]["template"]["spec"]
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for c in pod["containers"] for m in c.get("volumeMounts", [])}
    if volumes.get(mounts.get("/etc/nginx/nginx.conf"), {}).get("configMap", {}).get("name") != "proxy-nginx":
        problems.append("the proxy does not mount the proxy-nginx ConfigMap")
    if "secret" not in volumes.get(mounts.get("/etc/nginx/tls"), {}):
        problems.append("the proxy does not mount a TLS Secret at /etc/nginx/tls")
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "gateway-ingress")
    sources = [f for rule in policy["spec"]["ingress"] for f in rule.get("from", [None])]
    if not sources or any(
        s is None or s.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") != "proxy"
        for s in sources
    ):
        problems.append("the gateway accepts traffic from others than the proxy")
    return problems


def test_compose_puts_the_gateway_behind_the_proxy() -> None:
    assert compose_problems(yaml.safe_load(COMPOSE_FILE.read_text())) == []


def test_compose_check_reports_a_gateway_around_the_proxy() -> None:
    broken = copy.deepcopy(yaml.safe_load(COMPOSE_FILE.read_text()))
    broken["services"]["gateway"]["ports"] = ["8080:8080"]
    broken["services"]["gateway"]["environment"]["GATEWAY_TRUSTED_PROXIES"] = "10.9.9.0/24"
    problems = compose_problems(broken)
    assert "the gateway publishes ports: it must be reachable through the proxy only" in problems
    assert "the gateway does not trust the proxy's network edge" in problems


def test_kubernetes_puts_the_gateway_behind_the_proxy() -> None:
    kust = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    assert kubernetes_problems(k8s_docs(), kust) == []


def test_kubernetes_check_reports_an_open_gateway() -> None:
    kust = yaml.safe_load((K8S_DIR / "kustomization.yaml").read_text())
    docs = copy.deepcopy(k8s_docs())
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == "gateway-ingress")
    policy["spec"]["ingress"] = [{"ports": [{"port": "http"}]}]
    assert kubernetes_problems(docs, kust) == ["the gateway accepts traffic from others than the proxy"]
