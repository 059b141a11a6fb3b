"""deploy/kubernetes: schema-valid (kubernetes-validate, strict) and wired together correctly."""

from __future__ import annotations

import copy
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2] / "deploy" / "kubernetes"
VERSION = "1.30.0"  # oldest version we promise; also checked against the newest bundled schema


def documents() -> dict[str, dict]:
    """Every Kubernetes object under deploy/kubernetes, keyed by 'relative/path:Kind/name'."""
    found = {}
    for path in sorted(ROOT.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for doc in yaml.safe_load_all(path.read_text()):
            found[f"{path.relative_to(ROOT)}:{doc['kind']}/{doc['metadata']['name']}"] = doc
    return found


DOCS = documents()


def by_kind(kind: str) -> list[dict]:
    return [d for d in DOCS.values() if d["kind"] == kind]


@pytest.mark.parametrize("version", [VERSION, kubernetes_validate.latest_version()])
@pytest.mark.parametrize("key", sorted(DOCS))
def test_schema_strict(key: str, version: str) -> None:
    kubernetes_validate.validate(DOCS[key], version, strict=True)


def test_strict_validation_catches_a_typo() -> None:
    broken = copy.deepcopy(DOCS["deployment.yaml:Deployment/earshot"])
    container = broken["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSION, strict=True)


@pytest.mark.parametrize("deployment", by_kind("Deployment"), ids=lambda d: d["metadata"]["name"])
def test_deployments_probe_request_and_run_unprivileged(deployment: dict) -> None:
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert pod["securityContext"]["runAsNonRoot"] and pod["securityContext"]["runAsUser"] == 10001
    assert pod["terminationGracePeriodSeconds"] > 30  # longer than the server's drain timeout
    assert (
        deployment["spec"]["selector"]["matchLabels"].items()
        <= deployment["spec"]["template"]["metadata"]["labels"].items()
    )


def test_gpu_variant_requests_a_gpu_and_cuda() -> None:
    gpu = next(d for d in by_kind("Deployment") if d["metadata"]["name"] == "earshot-gpu")
    (container,) = gpu["spec"]["template"]["spec"]["containers"]
    assert container["resources"]["limits"]["nvidia.com/gpu"] == 1
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["EARSHOT_DEVICE"] == "cuda" and env["EARSHOT_COMPUTE_TYPE"] == "float16"


def test_hpas_scale_existing_deployments_on_cpu() -> None:
    names = {d["metadata"]["name"] for d in by_kind("Deployment")}
    hpas = by_kind("HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas} == names
    for hpa in hpas:
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]


def test_service_selects_every_deployment_and_targets_its_port() -> None:
    (service,) = by_kind("Service")
    for deployment in by_kind("Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert service["spec"]["selector"].items() <= labels.items()
        ports = deployment["spec"]["template"]["spec"]["containers"][0]["ports"]
        assert service["spec"]["ports"][0]["targetPort"] in {p["name"] for p in ports}


@pytest.mark.parametrize("kustomization", sorted(ROOT.rglob("kustomization.yaml")), ids=str)
def test_kustomizations_list_existing_files(kustomization: Path) -> None:
    resources = yaml.safe_load(kustomization.read_text())["resources"]
    assert resources and all((kustomization.parent / r).is_file() for r in resources)
