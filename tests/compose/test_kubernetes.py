"""Offline consistency checks of deploy/kubernetes (no cluster, no kubectl, no network).

The manifests are a Kustomize base: per-process files plus patches shared by
every Deployment and Job. These tests read the files as written and check the
references between them; like test_compose.py, each check is a function that
returns problems, with a negative test proving it can fail.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = REPO_ROOT / "deploy" / "kubernetes"
PORTS = {"gateway": 8080, "accounts": 8081, "planning": 8082, "billing": 8083, "messaging": 8084}
APP_SERVICES = ("accounts", "planning", "billing", "messaging")

Doc = dict[str, Any]


def load_docs(path: Path) -> list[Doc]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def kustomization() -> Doc:
    return load_docs(K8S_DIR / "kustomization.yaml")[0]


def base_docs() -> list[Doc]:
    return [doc for resource in kustomization()["resources"] for doc in load_docs(K8S_DIR / resource)]


def find(docs: Iterable[Doc], kind: str, name: str) -> Doc | None:
    return next((d for d in docs if d["kind"] == kind and d["metadata"]["name"] == name), None)


def selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def pod_containers(doc: Doc) -> list[Doc]:
    return doc["spec"]["template"]["spec"]["containers"]


# ---------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------

def reference_problems(docs: list[Doc], secret_names: set[str]) -> list[str]:
    """envFrom names exist: ConfigMaps in the base, Secrets in the template."""
    configmaps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    problems = []
    for doc in docs:
        if doc["kind"] not in ("Deployment", "Job"):
            continue
        for container in pod_containers(doc):
            for source in container.get("envFrom", []):
                if "configMapRef" in source and source["configMapRef"]["name"] not in configmaps:
                    problems.append(f"{doc['metadata']['name']}: unknown ConfigMap {source['configMapRef']['name']}")
                if "secretRef" in source and source["secretRef"]["name"] not in secret_names:
                    problems.append(f"{doc['metadata']['name']}: unknown Secret {source['secretRef']['name']}")
    return problems


def routing_problems(docs: list[Doc]) -> list[str]:
    """Each Service reaches its Deployment's pods, on its port, and no Job pod."""
    problems = []
    jobs = [d for d in docs if d["kind"] == "Job"]
    for service in (d for d in docs if d["kind"] == "Service"):
        name, selector = service["metadata"]["name"], service["spec"]["selector"]
        deployment = find(docs, "Deployment", name)
        if deployment is None:
            problems.append(f"Service {name}: no Deployment of the same name")
            continue
        if not selects(selector, deployment["spec"]["template"]["metadata"]["labels"]):
            problems.append(f"Service {name}: selector does not match the Deployment's pods")
        for job in jobs:
            if selects(selector, job["spec"]["template"]["metadata"]["labels"]):
                problems.append(f"Service {name}: selector also matches the pods of Job {job['metadata']['name']}")
        named_ports = {p["name"]: p["containerPort"] for c in pod_containers(deployment) for p in c.get("ports", [])}
        for port in service["spec"]["ports"]:
            if port["targetPort"] not in named_ports and port["targetPort"] not in named_ports.values():
                problems.append(f"Service {name}: targetPort {port['targetPort']} is not a container port")
    return problems


# ---------------------------------------------------------------------------
# Positive tests
# ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def docs() -> list[Doc]:
    return base_docs()


@pytest.fixture(scope="module")
def secret_template() -> list[Doc]:
    return load_docs(K8S_DIR / "secret.template.yaml")


@pytest.fixture(scope="module")
def documented_variables() -> set[str]:
    """Keys of the active KEY=value lines of .env.example."""
    text = (REPO_ROOT / ".env.example").read_text(encoding="utf-8")
    return {m[1] for m in re.finditer(r"^([A-Za-z_][A-Za-z0-9_]*)=", text, re.M)}


def test_kustomization_lists_existing_files_and_no_secret() -> None:
    kust = kustomization()
    for path in kust["resources"] + [p["path"] for p in kust.get("patches", [])]:
        assert (K8S_DIR / path).is_file(), path
    assert "secret.template.yaml" not in kust["resources"]
    assert (K8S_DIR / "README.md").is_file()


def test_every_document_is_well_formed(docs, secret_template) -> None:
    for doc in docs + secret_template:
        assert {"apiVersion", "kind", "metadata"} <= doc.keys()
        assert doc["metadata"].get("name")


def test_every_image_is_pinned_by_the_kustomization(docs) -> None:
    pinned = {image["name"] for image in kustomization()["images"]}
    used = {c["image"] for d in docs if d["kind"] in ("Deployment", "Job") for c in pod_containers(d)}
    assert used == pinned


def test_each_process_has_deployment_service_and_budget(docs) -> None:
    for name, port in PORTS.items():
        deployment = find(docs, "Deployment", name)
        assert deployment is not None, name
        assert deployment["spec"]["replicas"] >= 2
        (container,) = pod_containers(deployment)
        assert container["name"] == "app"  # the shared patch matches containers by name
        assert container["image"] == f"portail-famille/{name}"
        assert container["args"] == ["serve"]
        expected_ports = [{"name": "http", "containerPort": port}]
        if name == "gateway":  # /metrics on its own port, never the public one
            expected_ports.append({"name": "metrics", "containerPort": 9090})
        assert container["ports"] == expected_ports
        assert find(docs, "Service", name)["spec"]["ports"][0]["port"] == port
        budget = find(docs, "PodDisruptionBudget", name)
        assert selects(budget["spec"]["selector"]["matchLabels"], deployment["spec"]["template"]["metadata"]["labels"])


def test_each_service_has_a_migration_job(docs) -> None:
    for name in APP_SERVICES:
        job = find(docs, "Job", f"{name}-migrate")
        assert job is not None, name
        (container,) = pod_containers(job)
        assert (container["name"], container["image"], container["args"]) == (
            "migrate", f"portail-famille/{name}", ["migrate"])
        assert pod_containers(job)[0]["envFrom"] == pod_containers(find(docs, "Deployment", name))[0]["envFrom"]


def test_references_and_routing_are_consistent(docs, secret_template) -> None:
    assert reference_problems(docs, {d["metadata"]["name"] for d in secret_template}) == []
    assert routing_problems(docs) == []


def test_configuration_is_complete_and_documented(docs, secret_template, documented_variables) -> None:
    config = find(docs, "ConfigMap", "portail-config")["data"]
    # Environment Secrets only: the proxy's TLS Secret is mounted as files.
    secrets = {
        d["metadata"]["name"]: set(d["stringData"]) for d in secret_template if d.get("type") != "kubernetes.io/tls"
    }
    for key in set(config) | set().union(*secrets.values()):
        assert key in documented_variables, f"{key} is not documented in .env.example"
    for name, port in PORTS.items():
        env = set(config) | secrets["portail-common"] | secrets[f"portail-{name}"]
        required = {"AMQP_URL", "IDENTITY_SECRET", f"{name.upper()}_HTTP_HOST", f"{name.upper()}_HTTP_PORT"}
        required |= {"GATEWAY_SESSION_SECRET"} if name == "gateway" else {f"{name.upper()}_DATABASE_URL"}
        assert required <= env, name
        assert config[f"{name.upper()}_HTTP_PORT"] == str(port)
        if name != "gateway":
            assert config[f"GATEWAY_{name.upper()}_URL"] == f"http://{name}:{port}"
    assert config["ENVIRONMENT"] == "production" and config["LOG_FORMAT"] == "json"


def test_shared_patches_harden_and_probe_every_pod() -> None:
    (server,) = load_docs(K8S_DIR / "patches" / "server-defaults.yaml")
    (migration,) = load_docs(K8S_DIR / "patches" / "migration-defaults.yaml")
    for patch, container_name in ((server, "app"), (migration, "migrate")):
        pod = patch["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == 10001
        (container,) = pod["containers"]
        assert container["name"] == container_name
        assert container["securityContext"] == {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        assert container["resources"]["requests"] and container["resources"]["limits"]["memory"]
    (app,) = server["spec"]["template"]["spec"]["containers"]
    assert app["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    assert app["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}


# ---------------------------------------------------------------------------
# Negative tests
# ---------------------------------------------------------------------------

def test_reference_check_reports_unknown_config_and_secret(docs, secret_template) -> None:
    broken = copy.deepcopy(docs)
    container = pod_containers(find(broken, "Deployment", "billing"))[0]
    container["envFrom"] = [{"configMapRef": {"name": "billing-config"}}, {"secretRef": {"name": "billing-keys"}}]
    assert reference_problems(broken, {d["metadata"]["name"] for d in secret_template}) == [
        "billing: unknown ConfigMap billing-config",
        "billing: unknown Secret billing-keys",
    ]


def test_routing_check_reports_selector_faults(docs) -> None:
    broken = copy.deepcopy(docs)
    find(broken, "Service", "planning")["spec"]["selector"] = {"app.kubernetes.io/name": "planning"}
    find(broken, "Service", "billing")["spec"]["selector"] = {"app.kubernetes.io/name": "invoices"}
    find(broken, "Service", "gateway")["spec"]["ports"][0]["targetPort"] = "web"
    problems = routing_problems(broken)
    assert "Service planning: selector also matches the pods of Job planning-migrate" in problems
    assert "Service billing: selector does not match the Deployment's pods" in problems
    assert "Service gateway: targetPort web is not a container port" in problems
