"""The files under deploy/, read the way their tools read them, for the deploy tests.

No Docker engine or cluster runs where the suite runs, so each file is checked with the
parser or schema its tool uses: the Dockerfile with BuildKit's parser (the ``dockerfile``
package), the compose file against the compose-spec schema, manifests against the
Kubernetes API schemas, the systemd unit with ``systemd-analyze`` when present.
"""

from __future__ import annotations

import json
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

import dockerfile
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
UNIT_PATH = DEPLOY / "wirewatch.service"
DOCKERFILE_PATH = DEPLOY / "Dockerfile"
COMPOSE_PATH = DEPLOY / "docker-compose.yml"
DASHBOARD_PATH = DEPLOY / "grafana" / "wirewatch-dashboard.json"

# What every file must agree on: the listener's port and the paths the probes use.
PORT = 8787
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
METRICS_PATH = "/metrics"
STATE_DIR = "/var/lib/wirewatch"
CONFIG_PATH = "/etc/wirewatch/wirewatch.toml"
UID = 10001


def parse_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit as section → key → values (keys may repeat, as systemd allows)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = defaultdict(list)
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], defaultdict(list))
            continue
        key, _, value = line.partition("=")
        current[key.strip()].append(value.strip())
    return sections


def unit() -> dict[str, dict[str, list[str]]]:
    return parse_unit(UNIT_PATH.read_text(encoding="utf-8"))


def seconds(value: str) -> float:
    """A systemd or compose duration such as ``45s``, ``1min`` or ``30s``."""
    units = {"min": 60.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
    for suffix, scale in units.items():
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * scale
    return float(value)


def dockerfile_stages() -> list[list[dockerfile.Command]]:
    """The Dockerfile's instructions, one list per build stage (each starts with FROM)."""
    stages: list[list[dockerfile.Command]] = []
    for command in dockerfile.parse_file(str(DOCKERFILE_PATH)):
        if command.cmd == "FROM":
            stages.append([])
        if stages:
            stages[-1].append(command)
    return stages


def instructions(stage: list[dockerfile.Command], name: str) -> list[dockerfile.Command]:
    return [command for command in stage if command.cmd == name]


def mapping(value: object, source: Path) -> dict[str, Any]:
    """A parsed file's top level, which must be a mapping (a JSON object, a YAML mapping)."""
    assert isinstance(value, dict), f"{source.name}: not a mapping at the top level"
    return value


def compose() -> dict[str, Any]:
    return mapping(yaml.safe_load(COMPOSE_PATH.read_text(encoding="utf-8")), COMPOSE_PATH)


def manifest_files() -> list[Path]:
    return sorted(KUBERNETES.glob("*.yaml"))


def manifests() -> dict[str, dict[str, Any]]:
    """Every Kubernetes object under deploy/kubernetes by kind (one object of each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in manifest_files():
        for parsed in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            document = mapping(parsed, path)
            assert document["kind"] not in found, f"second {document['kind']} in {path.name}"
            found[document["kind"]] = document
    return found


def container(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = objects["Deployment"]["spec"]["template"]["spec"]["containers"]
    assert isinstance(only, dict), only
    return only


def configmap_config(objects: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return tomllib.loads(objects["ConfigMap"]["data"]["wirewatch.toml"])


def dashboard() -> dict[str, Any]:
    return mapping(json.loads(DASHBOARD_PATH.read_text(encoding="utf-8")), DASHBOARD_PATH)


def dashboard_exprs(board: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query of every panel, rows included."""
    exprs: list[tuple[str, str]] = []
    for panel in board["panels"]:
        for inner in [panel, *panel.get("panels", [])]:
            exprs.extend((inner["title"], target["expr"]) for target in inner.get("targets", []))
    return exprs
