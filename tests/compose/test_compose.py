"""Offline checks of docker-compose.yml and what it points at.

No Docker engine, no network and no workspace package needed (the module is
self-contained, so `--noconftest` runs it with any Python that has pytest,
pyyaml and jsonschema): the Compose Specification JSON schema is vendored next
to this file (see SCHEMA_SOURCE.md). Every check is a pure
function that returns a list of problems; the positive tests run it on the real
files, and the negative tests run the same function on a deliberately broken
in-memory copy to prove the check can fail.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO_ROOT / ".env.example"
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).resolve().parent / "compose-spec.json"
DOCKERFILE = REPO_ROOT / "deploy" / "Dockerfile"

APP_SERVICES = ("accounts", "planning", "billing", "messaging")
# Only these may bind host ports; the four services must stay scalable.
# The proxy (nginx) is the portal's only door: the gateway behind it publishes nothing.
PUBLISHING_SERVICES = {"proxy", "mailpit", "rabbitmq"}
INITDB_DIR = "/docker-entrypoint-initdb.d"
WILDCARD_IPS = {"", "0.0.0.0", "::", "[::]"}

# The configuration contract every process honours (see .env.example).
CONTRACT_VARIABLES = {
    "ENVIRONMENT", "LOG_FORMAT", "LOG_LEVEL", "AMQP_URL", "EVENTS_EXCHANGE",
    "DELIVERY_LIMIT", "RPC_TIMEOUT_SECONDS", "IDENTITY_SECRET",
    "IDENTITY_TTL_SECONDS", "OUTBOX_POLL_SECONDS",
    *(f"{svc.upper()}_{suffix}" for svc in APP_SERVICES
      for suffix in ("DATABASE_URL", "HTTP_HOST", "HTTP_PORT")),
    "GATEWAY_HTTP_HOST", "GATEWAY_HTTP_PORT", "GATEWAY_ACCOUNTS_URL",
    "GATEWAY_PLANNING_URL", "GATEWAY_BILLING_URL", "GATEWAY_MESSAGING_URL",
    "GATEWAY_UPSTREAM_TIMEOUT_SECONDS", "GATEWAY_SESSION_SECRET",
    "MESSAGING_SMTP_HOST", "MESSAGING_SMTP_PORT", "MESSAGING_MAIL_FROM",
    "MESSAGING_PUBLIC_URL", "ACCOUNTS_PASSWORD_HASH_PROFILE",
}


# ---------------------------------------------------------------------------
# Loading and small helpers
# ---------------------------------------------------------------------------

def load_compose() -> dict[str, Any]:
    # safe_load resolves the anchors and "<<" merge keys used by the file.
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


# An active "KEY=value" line; commented-out lines do not count as documentation.
_ENV_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


def parse_env_file(text: str) -> dict[str, str]:
    """KEY -> raw value of every active assignment line of an .env file."""
    return {m["key"]: m["value"] for m in map(_ENV_LINE.match, text.splitlines()) if m}


def services(compose: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    return compose.get("services") or {}


def iter_strings(node: Any) -> Iterator[str]:
    """Every string value (not key) in a parsed YAML tree."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, Mapping):
        for value in node.values():
            yield from iter_strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_strings(value)


_INTERPOLATION = re.compile(r"\$\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)|\$(?P<bare>[A-Za-z_][A-Za-z0-9_]*)")


def interpolated_names(text: str) -> set[str]:
    """Variable names Compose would interpolate in text ("$$" is a literal "$")."""
    text = text.replace("$$", "")
    return {m["braced"] or m["bare"] for m in _INTERPOLATION.finditer(text)}


_DEFAULTED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^{}]*))?\}")


def interpolate_defaults(text: str) -> str:
    """Text as Compose renders it with an empty environment (defaults applied)."""
    previous = None
    while previous != text:  # inner ${...} first, for nested defaults
        previous = text
        text = _DEFAULTED.sub(lambda m: m.group(2) or "", text)
    return text


def environment_of(service: Mapping[str, Any]) -> dict[str, str | None]:
    env = service.get("environment") or {}
    if isinstance(env, Mapping):
        return {str(k): None if v is None else str(v) for k, v in env.items()}
    result: dict[str, str | None] = {}
    for item in env:
        key, sep, value = str(item).partition("=")
        result[key] = value if sep else None
    return result


def build_config(service: Mapping[str, Any]) -> dict[str, Any] | None:
    build = service.get("build")
    if build is None:
        return None
    if isinstance(build, str):
        return {"context": build}
    return dict(build)


def healthcheck_enabled(service: Mapping[str, Any]) -> bool:
    check = service.get("healthcheck")
    if not check or check.get("disable"):
        return False
    test = check.get("test")
    return bool(test) and test not in (["NONE"], "NONE")


def depends_on(service: Mapping[str, Any]) -> dict[str, str]:
    """Dependency name -> condition (the short list form means service_started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: "service_started" for name in deps}
    return {name: (spec or {}).get("condition", "service_started") for name, spec in deps.items()}


# ---------------------------------------------------------------------------
# Checks: each returns a list of human-readable problems
# ---------------------------------------------------------------------------

def schema_problems(compose: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    validator = jsonschema.Draft7Validator(schema)
    problems = []
    for error in validator.iter_errors(compose):
        # For oneOf/anyOf failures, name the most specific sub-error rather than
        # "is not valid under any of the given schemas" on the parent.
        error = jsonschema.exceptions.best_match([error])
        problems.append(f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}")
    return sorted(problems)


def build_problems(compose: Mapping[str, Any], root: Path) -> list[str]:
    problems = []
    for name, service in services(compose).items():
        build = build_config(service)
        if build is None:
            continue
        context = (root / build.get("context", ".")).resolve()
        if not context.is_dir():
            problems.append(f"{name}: build context {build.get('context')!r} is not a directory")
            continue
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        if not dockerfile.is_file():
            problems.append(f"{name}: dockerfile {build.get('dockerfile', 'Dockerfile')!r} not found in context")
    return problems


def _required_build_args(dockerfile_text: str) -> set[str]:
    """ARGs declared without a default value (a build must pass them)."""
    return {m[1] for m in re.finditer(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)\s*$", dockerfile_text, re.M)}


def build_arg_problems(compose: Mapping[str, Any], root: Path) -> list[str]:
    problems = []
    for name, service in services(compose).items():
        build = build_config(service)
        if build is None:
            continue
        dockerfile = (root / build.get("context", ".")) / build.get("dockerfile", "Dockerfile")
        if not dockerfile.is_file():
            continue  # reported by build_problems
        args = build.get("args") or {}
        if isinstance(args, list):
            args = dict(str(item).partition("=")[::2] for item in args)
        for arg in sorted(_required_build_args(dockerfile.read_text(encoding="utf-8"))):
            if not args.get(arg):
                problems.append(f"{name}: build arg {arg} required by {build.get('dockerfile')} is not set")
    return problems


def dockerfile_copy_problems(dockerfile_text: str, context: Path) -> list[str]:
    """COPY sources (from the build context, not from another stage) that do not exist."""
    problems = []
    for match in re.finditer(r"^\s*COPY\s+(?P<args>.+)$", dockerfile_text, re.M):
        words = [w for w in match["args"].split() if not w.startswith("--")]
        if "--from=" in match["args"] or len(words) < 2:
            continue
        for source in words[:-1]:
            if not (context / source).exists():
                problems.append(f"COPY source {source!r} does not exist in the build context")
    return problems


def depends_on_problems(compose: Mapping[str, Any]) -> list[str]:
    problems = []
    all_services = services(compose)
    for name, service in all_services.items():
        for target, condition in depends_on(service).items():
            if target not in all_services:
                problems.append(f"{name}: depends on unknown service {target!r}")
                continue
            if condition == "service_healthy" and not healthcheck_enabled(all_services[target]):
                problems.append(f"{name}: waits for {target} to be healthy but {target} has no healthcheck")
            if condition == "service_completed_successfully":
                restart = str(all_services[target].get("restart", "no"))
                if restart not in ("no", "on-failure") and not restart.startswith("on-failure:"):
                    problems.append(f"{name}: waits for {target} to complete but {target} restarts ({restart})")
    problems.extend(_cycle_problems(all_services))
    return problems


def _cycle_problems(all_services: Mapping[str, Any]) -> list[str]:
    graph = {name: [t for t in depends_on(svc) if t in all_services] for name, svc in all_services.items()}
    visiting: set[str] = set()
    done: set[str] = set()
    problems: list[str] = []

    def visit(node: str, path: list[str]) -> None:
        if node in done:
            return
        if node in visiting:
            problems.append("dependency cycle: " + " -> ".join(path[path.index(node):] + [node]))
            return
        visiting.add(node)
        for target in graph[node]:
            visit(target, path + [node])
        visiting.discard(node)
        done.add(node)

    for name in graph:
        visit(name, [])
    return problems


_SHORT_PORT = re.compile(
    r"^(?:(?P<ip>\[[^\]]*\]|[^:\[\]]*):)?(?P<host>\d+(?:-\d+)?):(?P<container>\d+(?:-\d+)?)(?:/(?P<proto>\w+))?$"
)


def _port_range(text: str) -> range:
    low, _, high = str(text).partition("-")
    return range(int(low), int(high or low) + 1)


def published_ports(service: Mapping[str, Any]) -> list[tuple[str, int, str]]:
    """(host ip, host port, protocol) for every port the service binds on the host."""
    bound = []
    for entry in service.get("ports") or []:
        if isinstance(entry, Mapping):
            if entry.get("published") in (None, ""):
                continue
            ip, proto = str(entry.get("host_ip", "")), str(entry.get("protocol", "tcp"))
            bound += [(ip, port, proto) for port in _port_range(str(entry["published"]))]
            continue
        match = _SHORT_PORT.match(str(entry))
        if match is None:
            continue  # container port only: Docker picks a free host port
        ip, proto = match["ip"] or "", match["proto"] or "tcp"
        bound += [(ip, port, proto) for port in _port_range(match["host"])]
    return bound


def port_problems(compose: Mapping[str, Any]) -> list[str]:
    problems = []
    seen: list[tuple[str, int, str, str]] = []
    for name, service in services(compose).items():
        for ip, port, proto in published_ports(service):
            for other_name, other_ip, other_port, other_proto in seen:
                clash_ip = ip == other_ip or ip in WILDCARD_IPS or other_ip in WILDCARD_IPS
                if port == other_port and proto == other_proto and clash_ip:
                    problems.append(f"host port {port}/{proto} published by both {other_name} and {name}")
            seen.append((name, ip, port, proto))
    return problems


def scaling_problems(compose: Mapping[str, Any]) -> list[str]:
    """Only the allowed services publish host ports; the rest can be scaled."""
    return [
        f"{name}: publishes host ports {published_ports(service)}, so it cannot be scaled"
        for name, service in services(compose).items()
        if name not in PUBLISHING_SERVICES and published_ports(service)
    ]


def env_documentation_problems(compose: Mapping[str, Any], documented: set[str]) -> list[str]:
    problems = []
    for variable in sorted(set().union(*map(interpolated_names, iter_strings(compose)))):
        if variable not in documented:
            problems.append(f"${{{variable}}} is interpolated but not documented in .env.example")
    for name, service in services(compose).items():
        for key in sorted(environment_of(service)):
            if key not in documented:
                problems.append(f"{name}: environment variable {key} is not documented in .env.example")
    return problems


def _volume_mounts(service: Mapping[str, Any]) -> Iterator[tuple[str, str, str]]:
    """(type, source, target) of every volume entry; type is 'volume' or 'bind'."""
    for entry in service.get("volumes") or []:
        if isinstance(entry, Mapping):
            yield str(entry.get("type", "volume")), str(entry.get("source", "")), str(entry.get("target", ""))
            continue
        parts = str(entry).split(":")
        if len(parts) == 1:
            continue  # anonymous volume
        source, target = parts[0], parts[1]
        kind = "bind" if source.startswith((".", "/", "~")) else "volume"
        yield kind, source, target


def named_volume_problems(compose: Mapping[str, Any]) -> list[str]:
    declared = set(compose.get("volumes") or {})
    return [
        f"{name}: named volume {source!r} is not declared under top-level volumes"
        for name, service in services(compose).items()
        for kind, source, _ in _volume_mounts(service)
        if kind == "volume" and source and source not in declared
    ]


def repo_file_problems(compose: Mapping[str, Any], root: Path) -> list[str]:
    """Bind mounts, env_files and file-based configs/secrets must exist in the repository."""
    problems = []
    references: list[tuple[str, str]] = []
    for name, service in services(compose).items():
        references += [(name, source) for kind, source, _ in _volume_mounts(service) if kind == "bind"]
        env_files = service.get("env_file") or []
        for item in [env_files] if isinstance(env_files, str) else env_files:
            path = item if isinstance(item, str) else item.get("path")
            if isinstance(item, str) or item.get("required", True):
                references.append((name, path))
    for section in ("configs", "secrets"):
        for name, spec in (compose.get(section) or {}).items():
            if isinstance(spec, Mapping) and spec.get("file"):
                references.append((f"{section}.{name}", spec["file"]))
    for owner, source in references:
        if source.startswith(("/", "~")):
            problems.append(f"{owner}: mounts host path {source!r} from outside the repository")
        elif not (root / source).exists():
            problems.append(f"{owner}: {source!r} does not exist in the repository")
    return problems


def init_scripts(compose: Mapping[str, Any], root: Path) -> list[Path]:
    """Repository files mounted into the postgres image's init directory."""
    postgres = services(compose).get("postgres") or {}
    return [
        root / source
        for kind, source, target in _volume_mounts(postgres)
        if kind == "bind" and target.startswith(INITDB_DIR)
    ]


def init_script_problems(script_text: str, databases: tuple[str, ...] = APP_SERVICES) -> list[str]:
    return [
        f"postgres init script never mentions database {db!r}"
        for db in databases
        if not re.search(rf"\b{re.escape(db)}\b", script_text)
    ]


def database_url_problems(compose: Mapping[str, Any]) -> list[str]:
    """Each service uses its own role on its own database, with the password init.sh was given."""
    problems = []
    all_services = services(compose)
    postgres_env = environment_of(all_services.get("postgres") or {})
    for name, service in all_services.items():
        for key, raw in environment_of(service).items():
            if not key.endswith("_DATABASE_URL") or raw is None:
                continue
            owner = key.removesuffix("_DATABASE_URL").lower()
            url = urlsplit(interpolate_defaults(raw))
            if url.hostname != "postgres":
                problems.append(f"{name}: {key} points at {url.hostname!r}, not the postgres service")
            if url.username != owner or url.path.lstrip("/") != owner:
                problems.append(f"{name}: {key} must use role {owner!r} on database {owner!r}")
            password_key = f"{owner.upper()}_DB_PASSWORD"
            given = postgres_env.get(password_key)
            if given is None:
                problems.append(f"postgres: {password_key} is not passed to the init script")
            elif interpolate_defaults(given) != (url.password or ""):
                problems.append(f"{name}: {key} password differs from postgres' {password_key}")
    return problems


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------

@pytest.fixture()
def compose() -> dict[str, Any]:
    # A fresh parse per test: negative tests mutate their copy freely.
    return load_compose()


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return load_schema()


@pytest.fixture(scope="module")
def env_example_text() -> str:
    return ENV_EXAMPLE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def documented_variables(env_example_text: str) -> dict[str, str]:
    return parse_env_file(env_example_text)


# ---------------------------------------------------------------------------
# Positive tests: the real files pass every check
# ---------------------------------------------------------------------------

def test_vendored_schema_is_a_draft7_compose_schema(schema: dict[str, Any]) -> None:
    assert "draft-07" in schema["$schema"]
    jsonschema.Draft7Validator.check_schema(schema)
    assert {"services", "volumes", "include"} <= set(schema["properties"])


def test_compose_file_matches_the_compose_specification(compose, schema) -> None:
    assert "version" not in compose, "the Compose Specification has no version key"
    assert schema_problems(compose, schema) == []


def test_builds_have_dockerfile_and_context(compose) -> None:
    assert build_problems(compose, REPO_ROOT) == []
    assert build_arg_problems(compose, REPO_ROOT) == []


def test_dockerfile_copies_only_existing_paths() -> None:
    assert dockerfile_copy_problems(DOCKERFILE.read_text(encoding="utf-8"), REPO_ROOT) == []


def test_dependencies_exist_and_are_checkable(compose) -> None:
    assert depends_on_problems(compose) == []


def test_published_host_ports_are_unique(compose) -> None:
    assert port_problems(compose) == []


def test_application_services_publish_no_host_port(compose) -> None:
    assert scaling_problems(compose) == []
    assert {"proxy", "mailpit", "rabbitmq"} == {
        name for name, svc in services(compose).items() if published_ports(svc)
    }


def test_every_variable_is_documented_in_env_example(compose, documented_variables) -> None:
    assert env_documentation_problems(compose, set(documented_variables)) == []


def test_env_example_lists_the_whole_contract(documented_variables, env_example_text) -> None:
    assert CONTRACT_VARIABLES - set(documented_variables) == set()
    keys = [line.split("=", 1)[0] for line in env_example_text.splitlines() if re.match(r"^[A-Z_]+=", line)]
    assert len(keys) == len(set(keys)), "a variable is listed twice"
    # Every assignment carries a one-line comment right above it.
    lines = env_example_text.splitlines()
    for index, line in enumerate(lines):
        if re.match(r"^[A-Z_]+=", line):
            assert index > 0 and lines[index - 1].startswith("#"), f"no comment above {line}"


def test_env_example_defaults_match_the_contract(documented_variables) -> None:
    expected = {
        "ENVIRONMENT": "development", "LOG_FORMAT": "console", "LOG_LEVEL": "INFO",
        "AMQP_URL": "amqp://guest:guest@127.0.0.1:5672/", "EVENTS_EXCHANGE": "portail.events",
        "DELIVERY_LIMIT": "5", "RPC_TIMEOUT_SECONDS": "5",
        "IDENTITY_SECRET": "dev-only-identity-secret-change-me", "IDENTITY_TTL_SECONDS": "60",
        "OUTBOX_POLL_SECONDS": "2", "GATEWAY_HTTP_PORT": "8080",
        "ACCOUNTS_HTTP_PORT": "8081", "PLANNING_HTTP_PORT": "8082",
        "BILLING_HTTP_PORT": "8083", "MESSAGING_HTTP_PORT": "8084",
        "GATEWAY_SESSION_SECRET": "dev-only-session-secret-change-me",
        "MESSAGING_SMTP_PORT": "1025", "MESSAGING_PUBLIC_URL": "http://127.0.0.1:8080",
        "MESSAGING_MAIL_FROM": '"Portail Famille <ne-pas-repondre@portail-famille.local>"',
        "ACCOUNTS_PASSWORD_HASH_PROFILE": "production",
        "GATEWAY_UPSTREAM_TIMEOUT_SECONDS": "10",
    }
    for svc in APP_SERVICES:
        expected[f"{svc.upper()}_DATABASE_URL"] = f"postgresql://postgres@127.0.0.1:5432/{svc}"
    assert {k: documented_variables.get(k) for k in expected} == expected


def test_named_volumes_are_declared(compose) -> None:
    assert named_volume_problems(compose) == []


def test_mounted_repository_files_exist(compose) -> None:
    assert repo_file_problems(compose, REPO_ROOT) == []


def test_postgres_init_script_creates_every_database(compose) -> None:
    scripts = init_scripts(compose, REPO_ROOT)
    assert scripts, "no init script mounted into the postgres container"
    text = "\n".join(path.read_text(encoding="utf-8") for path in scripts)
    assert init_script_problems(text) == []


def test_each_service_uses_its_own_role_and_database(compose) -> None:
    assert database_url_problems(compose) == []


def test_process_layout(compose) -> None:
    """Migrations (schema and queue) run once before each service; the gateway waits for all four."""
    all_services = services(compose)
    for svc in APP_SERVICES:
        migrate, server = all_services[f"{svc}-migrate"], all_services[svc]
        assert build_config(migrate)["args"]["PACKAGE"] == f"portail-{svc}"
        assert build_config(server)["args"]["PACKAGE"] == f"portail-{svc}"
        assert migrate["command"] == ["migrate"]
        # Migrating also declares the queue on the broker (servicekit.service.declare_topology).
        assert depends_on(migrate) == {"postgres": "service_healthy", "rabbitmq": "service_healthy"}
        assert server["command"] == ["serve"]
        assert server["restart"] == "unless-stopped"
        assert healthcheck_enabled(server)
        assert environment_of(server)[f"{svc.upper()}_HTTP_HOST"] == "0.0.0.0"
        assert depends_on(server)[f"{svc}-migrate"] == "service_completed_successfully"
        assert depends_on(server)["postgres"] == depends_on(server)["rabbitmq"] == "service_healthy"
    gateway = all_services["gateway"]
    assert build_config(gateway)["args"]["PACKAGE"] == "portail-gateway"
    assert {svc: "service_healthy" for svc in APP_SERVICES}.items() <= depends_on(gateway).items()
    assert environment_of(all_services["messaging"])["MESSAGING_SMTP_HOST"] == "mailpit"


def test_dockerfile_runs_unprivileged_with_a_healthcheck() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^USER\s+10001", text, re.M)
    assert re.search(r"^HEALTHCHECK\s", text, re.M)
    assert re.search(r"uv sync --frozen --no-dev --no-editable --package", text)
    assert (REPO_ROOT / "deploy" / "Dockerfile.dockerignore").is_file()


# ---------------------------------------------------------------------------
# Negative tests: each check reports a deliberately introduced fault
# ---------------------------------------------------------------------------

def test_schema_check_reports_a_violation(compose, schema) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["gateway"]["port"] = 8080  # "ports" misspelt
    broken["services"]["gateway"]["depends_on"]["accounts"]["condition"] = "service_ready"
    problems = schema_problems(broken, schema)
    assert any(p.startswith("services/gateway:") and "'port'" in p for p in problems)
    assert any(p.startswith("services/gateway/depends_on/accounts/condition") for p in problems)


def test_build_check_reports_missing_dockerfile_and_context(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["billing"]["build"] = {**build_config(broken["services"]["billing"]),
                                              "dockerfile": "deploy/Missing.Dockerfile"}
    broken["services"]["planning"]["build"] = "no-such-directory"
    problems = build_problems(broken, REPO_ROOT)
    assert any(p.startswith("billing:") and "Missing.Dockerfile" in p for p in problems)
    assert any(p.startswith("planning:") and "context" in p for p in problems)


def test_build_arg_check_reports_a_missing_package(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["gateway"]["build"] = {**build_config(broken["services"]["gateway"]), "args": {}}
    assert build_arg_problems(broken, REPO_ROOT) == [
        "gateway: build arg PACKAGE required by deploy/Dockerfile is not set"
    ]


def test_copy_check_reports_a_missing_source(tmp_path: Path) -> None:
    (tmp_path / "present.txt").write_text("x")
    text = "FROM scratch AS a\nCOPY present.txt absent/ /dst/\nCOPY --from=a /venv /venv\n"
    assert dockerfile_copy_problems(text, tmp_path) == [
        "COPY source 'absent/' does not exist in the build context"
    ]


def test_dependency_check_reports_each_fault(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["gateway"]["depends_on"]["payments"] = {"condition": "service_started"}
    del broken["services"]["rabbitmq"]["healthcheck"]
    broken["services"]["billing-migrate"]["restart"] = "unless-stopped"
    broken["services"]["postgres"]["depends_on"] = {"gateway": {"condition": "service_started"}}
    problems = depends_on_problems(broken)
    assert "gateway: depends on unknown service 'payments'" in problems
    assert any("rabbitmq has no healthcheck" in p for p in problems)
    assert any("billing-migrate restarts" in p for p in problems)
    assert any(p.startswith("dependency cycle:") and "postgres" in p for p in problems)


def test_port_check_reports_a_duplicate(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["mailpit"]["ports"].append("8080:80")
    broken["services"]["rabbitmq"]["ports"].append({"target": 80, "published": "8024-8026"})
    problems = port_problems(broken)
    # Services are visited in file order: rabbitmq, mailpit, ..., proxy.
    assert sorted(problems) == [
        "host port 8025/tcp published by both rabbitmq and mailpit",
        "host port 8080/tcp published by both mailpit and proxy",
    ]


def test_port_check_allows_the_same_port_on_distinct_addresses(compose) -> None:
    fine = copy.deepcopy(compose)
    fine["services"]["mailpit"]["ports"].append("127.0.0.2:8080:80")
    assert port_problems(fine) == []


def test_scaling_check_reports_a_published_service_port(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["planning"]["ports"] = ["8082:8082"]
    assert [p.split(":")[0] for p in scaling_problems(broken)] == ["planning"]


def test_env_check_reports_undocumented_variables(compose, documented_variables) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["billing"]["environment"] = {
        **broken["services"]["billing"]["environment"],
        "BILLING_PAYMENT_PROVIDER_KEY": "${PAYMENT_PROVIDER_KEY:-${PAYMENT_FALLBACK}}",
        "LITERAL_DOLLAR": "$$NOT_A_VARIABLE",
    }
    problems = env_documentation_problems(broken, set(documented_variables))
    assert "${PAYMENT_PROVIDER_KEY} is interpolated but not documented in .env.example" in problems
    assert "${PAYMENT_FALLBACK} is interpolated but not documented in .env.example" in problems
    assert "billing: environment variable BILLING_PAYMENT_PROVIDER_KEY is not documented in .env.example" in problems
    assert not any("NOT_A_VARIABLE" in p for p in problems)


def test_volume_check_reports_an_undeclared_volume(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["messaging"]["volumes"] = ["attachments:/var/lib/attachments"]
    assert named_volume_problems(broken) == [
        "messaging: named volume 'attachments' is not declared under top-level volumes"
    ]


def test_file_check_reports_missing_and_outside_mounts(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["rabbitmq"]["volumes"].append("./deploy/rabbitmq/missing.conf:/etc/rabbitmq/x.conf:ro")
    broken["services"]["mailpit"]["volumes"] = [{"type": "bind", "source": "/etc/passwd", "target": "/x"}]
    broken["services"]["gateway"]["env_file"] = ["deploy/gateway.env"]
    problems = repo_file_problems(broken, REPO_ROOT)
    assert "rabbitmq: './deploy/rabbitmq/missing.conf' does not exist in the repository" in problems
    assert "mailpit: mounts host path '/etc/passwd' from outside the repository" in problems
    assert "gateway: 'deploy/gateway.env' does not exist in the repository" in problems


def test_init_script_check_reports_a_missing_database() -> None:
    text = "for db in accounts planning messaging; do createdb \"$db\"; done"
    assert init_script_problems(text) == ["postgres init script never mentions database 'billing'"]


def test_database_url_check_reports_shared_or_mismatched_credentials(compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["planning"]["environment"] = {
        **broken["services"]["planning"]["environment"],
        "PLANNING_DATABASE_URL": "postgresql://postgres:x@db:5432/planning",
    }
    broken["services"]["postgres"]["environment"]["BILLING_DB_PASSWORD"] = "${BILLING_DB_PASSWORD:-other}"
    problems = database_url_problems(broken)
    assert "planning: PLANNING_DATABASE_URL points at 'db', not the postgres service" in problems
    assert "planning: PLANNING_DATABASE_URL must use role 'planning' on database 'planning'" in problems
    assert "billing: BILLING_DATABASE_URL password differs from postgres' BILLING_DB_PASSWORD" in problems


def test_interpolation_helpers() -> None:
    assert interpolated_names("a ${A} $B ${C:-x} $$D ${E:-${F}}") == {"A", "B", "C", "E", "F"}
    assert interpolate_defaults("u:${P:-secret}@h/${D:-${E:-db}}") == "u:secret@h/db"
