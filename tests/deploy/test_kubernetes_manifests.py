"""deploy/kubernetes: schema-valid for the Kubernetes API, and consistent with each other."""

from __future__ import annotations

import copy
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from tests.deploy.deploy_files import (
    HEALTH_PATH,
    KUBERNETES,
    METRICS_PATH,
    PORT,
    READY_PATH,
    STATE_DIR,
    UID,
    configmap_config,
    container,
    manifest_files,
    manifests,
)

# The oldest Kubernetes release still in wide use, and the newest the schemas know.
VERSIONS = ["1.29", kubernetes_validate.latest_version()]
# Not Kubernetes API objects: kustomize's own file, and a Prometheus Operator CRD
# (checked below against the fields of its CRD that it uses).
NOT_IN_THE_CORE_SCHEMAS = {"Kustomization", "ServiceMonitor"}


def _core_objects() -> list[tuple[str, dict[str, Any]]]:
    return [
        (path.name, document)
        for path in manifest_files()
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document["kind"] not in NOT_IN_THE_CORE_SCHEMAS
    ]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    "document", [document for _, document in _core_objects()], ids=[n for n, _ in _core_objects()]
)
def test_manifest_matches_the_kubernetes_schema(document: dict[str, Any], version: str) -> None:
    # strict: an unknown or misspelt field is an error, as `kubectl apply` would make it.
    kubernetes_validate.validate(document, version, strict=True)


def test_schema_check_rejects_a_misspelt_field() -> None:
    deployment = copy.deepcopy(manifests()["Deployment"])
    security = container({"Deployment": deployment})["securityContext"]
    security["readOnlyRootFileSystem"] = security.pop("readOnlyRootFilesystem")
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFileSystem"):
        kubernetes_validate.validate(deployment, VERSIONS[-1], strict=True)


# Created out of band, so `kubectl apply -k` never overwrites real values with placeholders.
NOT_IN_THE_KUSTOMIZATION = {"secret.yaml"}


def test_kustomization_lists_every_core_manifest_but_the_secret() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    expected = {name for name, _ in _core_objects()} - NOT_IN_THE_KUSTOMIZATION
    assert sorted(kustomization["resources"]) == sorted(expected)


def test_kubectl_kustomize_renders_every_object_into_the_namespace() -> None:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed here")
    rendered = subprocess.run(
        [kubectl, "kustomize", str(KUBERNETES)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    objects = list(yaml.safe_load_all(rendered))
    assert len(objects) == len(_core_objects()) - len(NOT_IN_THE_KUSTOMIZATION)
    for document in objects:
        if document["kind"] != "Namespace":
            assert document["metadata"]["namespace"] == "wirewatch"
        kubernetes_validate.validate(document, VERSIONS[-1], strict=True)


def test_one_replica_replaced_by_recreate() -> None:
    # One SQLite writer: a rolling update would run two daemons on the store at once.
    spec = manifests()["Deployment"]["spec"]
    assert (spec["replicas"], spec["strategy"]) == (1, {"type": "Recreate"})
    assert manifests()["PersistentVolumeClaim"]["spec"]["accessModes"] == ["ReadWriteOnce"]


def test_pod_runs_non_root_on_a_read_only_root_without_capabilities() -> None:
    objects = manifests()
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    security = container(objects)["securityContext"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == UID  # the image's USER
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert pod["automountServiceAccountToken"] is False


PROBES = [
    ("startupProbe", HEALTH_PATH),
    ("livenessProbe", HEALTH_PATH),
    ("readinessProbe", READY_PATH),
]


@pytest.mark.parametrize(("probe", "path"), PROBES, ids=[probe for probe, _ in PROBES])
def test_probe_asks_the_listener(probe: str, path: str) -> None:
    running = container(manifests())
    (port,) = running["ports"]
    assert running[probe]["httpGet"] == {"path": path, "port": port["name"]}
    assert port["containerPort"] == PORT


def test_container_mounts_config_store_and_tmp() -> None:
    objects = manifests()
    volumes = {v["name"]: v for v in objects["Deployment"]["spec"]["template"]["spec"]["volumes"]}
    mounts = {m["mountPath"]: m for m in container(objects)["volumeMounts"]}
    config, data, tmp = mounts["/etc/wirewatch"], mounts[STATE_DIR], mounts["/tmp"]
    # A subPath mount would never see ConfigMap edits, and a reload would reread old files.
    assert "subPath" not in config and config["readOnly"] is True
    assert volumes[config["name"]]["configMap"]["name"] == objects["ConfigMap"]["metadata"]["name"]
    claim = volumes[data["name"]]["persistentVolumeClaim"]["claimName"]
    assert claim == objects["PersistentVolumeClaim"]["metadata"]["name"]
    assert "emptyDir" in volumes[tmp["name"]]


def test_configmap_points_the_store_and_listener_at_the_pod_layout() -> None:
    objects = manifests()
    config = configmap_config(objects)
    assert Path(config["store"]["path"]).parent == Path(STATE_DIR)
    assert (config["listener"]["host"], config["listener"]["port"]) == ("0.0.0.0", PORT)
    grace = objects["Deployment"]["spec"]["template"]["spec"]["terminationGracePeriodSeconds"]
    assert grace > config["daemon"]["shutdown_timeout"]


def test_configmap_rule_files_are_included_by_the_config() -> None:
    data = manifests()["ConfigMap"]["data"]
    config = tomllib.loads(data["wirewatch.toml"])
    rule_files = [key for key in data if key != "wirewatch.toml"]
    assert rule_files and all(Path(key).match(config["include"][0]) for key in rule_files)


def test_secret_feeds_the_container_environment() -> None:
    objects = manifests()
    (source,) = container(objects)["envFrom"]
    assert source["secretRef"]["name"] == objects["Secret"]["metadata"]["name"]
    assert all(name.startswith("WIREWATCH_") for name in objects["Secret"]["stringData"])


def test_service_selects_the_pod_by_the_named_port() -> None:
    objects = manifests()
    service = objects["Service"]["spec"]
    pod_labels = objects["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert service["selector"].items() <= pod_labels.items()
    (port,) = service["ports"]
    assert port["targetPort"] == container(objects)["ports"][0]["name"]


# The fields of monitoring.coreos.com/v1 ServiceMonitor this file uses, as its CRD types them.
_STRING = {"type": "string"}
_AUTHORIZATION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "type": _STRING,
        "credentials": {
            "type": "object",
            "required": ["key"],
            "properties": {"name": _STRING, "key": _STRING},
        },
    },
}
_ENDPOINT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "port": _STRING,
        "path": _STRING,
        "interval": {"type": "string", "pattern": "^(0|(([0-9]+)(ms|s|m|h))+)$"},
        "authorization": _AUTHORIZATION,
    },
}
_SELECTOR = {
    "type": "object",
    "properties": {"matchLabels": {"type": "object", "additionalProperties": _STRING}},
}
SERVICE_MONITOR_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "monitoring.coreos.com/v1"},
        "kind": {"const": "ServiceMonitor"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["selector", "endpoints"],
            "additionalProperties": False,
            "properties": {
                "selector": _SELECTOR,
                "endpoints": {"type": "array", "minItems": 1, "items": _ENDPOINT},
            },
        },
    },
}


def test_service_monitor_has_the_shape_of_its_crd() -> None:
    jsonschema.validate(manifests()["ServiceMonitor"], SERVICE_MONITOR_SCHEMA)


def test_service_monitor_scrapes_metrics_from_the_service_with_the_token() -> None:
    objects = manifests()
    spec = objects["ServiceMonitor"]["spec"]
    service = objects["Service"]
    assert spec["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    (endpoint,) = spec["endpoints"]
    assert endpoint["port"] in {port["name"] for port in service["spec"]["ports"]}
    assert endpoint["path"] == METRICS_PATH
    credentials = endpoint["authorization"]["credentials"]
    assert credentials["name"] == objects["Secret"]["metadata"]["name"]
    assert credentials["key"] in objects["Secret"]["stringData"]


def test_probes_wait_for_the_listener_and_readiness_for_the_story_index() -> None:
    """/healthz answers once the config is loaded, while the store opens and the story
    index warms (decision 0057): the startup probe covers the config load (30 s on a
    throttled CPU), never the rest, and readiness (/readyz waits for the store and the
    index, seconds from its snapshot) is asked often enough that a ready pod takes traffic
    within 5 s."""
    running = container(manifests())
    startup, ready = running["startupProbe"], running["readinessProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 30
    assert startup["periodSeconds"] <= 1  # the first answer is seen within a second
    assert ready["periodSeconds"] <= 5
    assert "livenessProbe" in running and running["livenessProbe"]["httpGet"]["path"] == "/healthz"
