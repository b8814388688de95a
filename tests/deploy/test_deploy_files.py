"""deploy/: the systemd unit, the Dockerfile and the compose file, checked offline."""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from monitor.cli.main import main
from monitor.config.feeds import ListenerSettings
from monitor.config.settings import DaemonSettings, Settings, load_config
from notifiers import REGISTRY
from tests.deploy.deploy_files import (
    CONFIG_PATH,
    HEALTH_PATH,
    PORT,
    ROOT,
    STATE_DIR,
    UID,
    UNIT_PATH,
    compose,
    configmap_config,
    container,
    dockerfile_stages,
    instructions,
    manifests,
    parse_unit,
    seconds,
    unit,
)

SHUTDOWN_TIMEOUT = DaemonSettings().shutdown_timeout

# ---------------------------------------------------------------------------- systemd unit

HARDENING = [
    ("DynamicUser", "yes"),
    ("ProtectSystem", "strict"),
    ("StateDirectory", "wirewatch"),
    ("ProtectHome", "yes"),
    ("PrivateTmp", "yes"),
    ("PrivateDevices", "yes"),
    ("NoNewPrivileges", "yes"),
    ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
    ("SystemCallFilter", "@system-service"),
    ("CapabilityBoundingSet", ""),
    ("MemoryDenyWriteExecute", "yes"),
    ("LockPersonality", "yes"),
    ("RestrictSUIDSGID", "yes"),
    ("Restart", "on-failure"),
    ("ExecReload", "/bin/kill -HUP $MAINPID"),
]


@pytest.mark.parametrize(("key", "value"), HARDENING, ids=[key for key, _ in HARDENING])
def test_unit_sets(key: str, value: str) -> None:
    assert value in unit()["Service"][key]


def test_unit_reload_checks_the_config_before_signalling() -> None:
    reloads = unit()["Service"]["ExecReload"]
    assert reloads[0].endswith(f"wirewatch check --config {CONFIG_PATH}")
    assert reloads[-1] == "/bin/kill -HUP $MAINPID"


def test_unit_stop_timeout_outlasts_the_daemons_shutdown_deadline() -> None:
    (timeout,) = unit()["Service"]["TimeoutStopSec"]
    assert seconds(timeout) > SHUTDOWN_TIMEOUT


def test_unit_sends_sigterm_to_the_daemon_not_to_its_parse_workers() -> None:
    """The daemon stops its worker processes after the polls in flight are parsed; with
    the default control-group mode they would get SIGTERM too, and die under those polls."""
    assert unit()["Service"]["KillMode"] == ["mixed"]


def test_unit_keeps_the_store_in_its_state_directory() -> None:
    environment = unit()["Service"]["Environment"]
    assert "WIREWATCH_STORE__PATH=%S/wirewatch/wirewatch.db" in environment


def _runnable_unit(tmp_path: Path) -> Path:
    """The unit with its wirewatch commands pointing at this venv's script, which exists
    (systemd-analyze refuses a command that is not executable on this machine)."""
    script = Path(sys.executable).with_name("wirewatch")
    text = UNIT_PATH.read_text(encoding="utf-8").replace("/usr/local/bin/wirewatch", str(script))
    copy = tmp_path / UNIT_PATH.name
    copy.write_text(text, encoding="utf-8")
    return copy


def _systemd_analyze(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("systemd-analyze")
    if binary is None:
        pytest.skip("systemd-analyze is not installed here")
    return subprocess.run([binary, *args], capture_output=True, text=True, timeout=60, check=False)


def test_systemd_analyze_verify_finds_nothing_wrong(tmp_path: Path) -> None:
    copy = _runnable_unit(tmp_path)
    result = _systemd_analyze("verify", "--man=no", str(copy))
    # verify exits 0 on unknown keys and bad values too; it only says so on stderr.
    complaints = [line for line in result.stderr.splitlines() if copy.name in line]
    assert (result.returncode, complaints) == (0, [])


def test_systemd_analyze_verify_catches_a_mistyped_key(tmp_path: Path) -> None:
    copy = _runnable_unit(tmp_path)
    copy.write_text(copy.read_text().replace("ProtectSystem=", "ProtectSystm="))
    result = _systemd_analyze("verify", "--man=no", str(copy))
    assert "Unknown key 'ProtectSystm'" in result.stderr


def test_systemd_analyze_security_rates_the_unit_ok(tmp_path: Path) -> None:
    copy = _runnable_unit(tmp_path)
    # Exposure on systemd's 0-10 scale, times ten: 2.0 and below is rated "OK".
    result = _systemd_analyze("security", "--offline=true", "--threshold=20", str(copy))
    if "--offline" in result.stderr:
        pytest.skip("this systemd-analyze cannot rate a unit file offline")
    assert result.returncode == 0, result.stdout[-2000:]


# ------------------------------------------------------------------------------ Dockerfile


def test_dockerfile_is_multi_stage_and_the_runtime_copies_the_builders_venv() -> None:
    builder, runtime = dockerfile_stages()
    assert builder[0].value[1:] == ("AS", "builder")
    assert runtime[0].value[1:] == ("AS", "runtime")
    # The venv's interpreter links to the base image's: both stages must share it.
    assert builder[0].value[0] == runtime[0].value[0]
    copies = instructions(runtime, "COPY")
    assert [command.value for command in copies if "--from=builder" in command.flags] == [
        ("/opt/wirewatch", "/opt/wirewatch")
    ]
    assert not any("pip " in command.value[0] for command in instructions(runtime, "RUN"))


def test_dockerfile_runs_as_a_numeric_non_root_user() -> None:
    (user,) = instructions(dockerfile_stages()[-1], "USER")
    uid, _, gid = user.value[0].partition(":")
    assert (int(uid), int(gid)) == (UID, UID)


def test_dockerfile_healthcheck_asks_the_listener_for_healthz() -> None:
    (check,) = instructions(dockerfile_stages()[-1], "HEALTHCHECK")
    assert check.json, "exec form: no shell needed in the image"
    form, program, flag, code = check.value
    assert (form, program, flag) == ("CMD", "python", "-c")
    assert f"'http://127.0.0.1:{PORT}{HEALTH_PATH}'" in code
    compile(code, "HEALTHCHECK", "exec")  # a typo in the probe would mark every container sick
    # The request gives up before Docker kills the probe, so a hung daemon reads as unhealthy.
    (limit,) = [flag for flag in check.flags if flag.startswith("--timeout=")]
    (timeout,) = re.findall(r"timeout=(\d+)\)", code)
    assert float(timeout) < seconds(limit.removeprefix("--timeout="))


def test_dockerfile_healthcheck_start_period_covers_the_config_load_only() -> None:
    """/healthz answers once the config is loaded, while the store opens and the story
    index warms (decision 0057; the warm-up took over a minute at 400,000 articles without
    a snapshot): the start period need not cover those, and a longer one only hides a
    daemon that cannot start."""
    (check,) = instructions(dockerfile_stages()[-1], "HEALTHCHECK")
    (start,) = [flag for flag in check.flags if flag.startswith("--start-period=")]
    assert seconds(start.removeprefix("--start-period=")) == 10


def test_dockerfile_fetches_nothing_with_add() -> None:
    for stage in dockerfile_stages():
        for command in instructions(stage, "ADD"):
            assert not any(re.match(r"(https?|git)[:@]", part) for part in command.value)


def test_dockerfile_copies_only_files_that_exist_in_the_build_context() -> None:
    builder = dockerfile_stages()[0]
    for command in instructions(builder, "COPY"):
        for source in command.value[:-1]:
            assert (ROOT / source).exists(), source


def test_dockerfile_runtime_layout() -> None:
    runtime = dockerfile_stages()[-1]
    (expose,) = instructions(runtime, "EXPOSE")
    (volume,) = instructions(runtime, "VOLUME")
    (cmd,) = instructions(runtime, "CMD")
    assert expose.value == (str(PORT),)
    assert volume.value == (STATE_DIR,)
    assert cmd.value == ("wirewatch", "run", "--config", CONFIG_PATH)


def test_the_example_store_path_lands_in_the_state_directory() -> None:
    """The example's [store] path is relative to the working directory: run from a clone it
    sits beside the config; in the image and under the unit, on the state volume."""
    example = tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8"))
    working = {
        "Dockerfile WORKDIR": instructions(dockerfile_stages()[-1], "WORKDIR")[0].value[0],
        "unit WorkingDirectory": unit()["Service"]["WorkingDirectory"][0].replace("%S", "/var/lib"),
    }
    for where, directory in working.items():
        assert (Path(directory) / example["store"]["path"]).parent == Path(STATE_DIR), where


def _dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for command in instructions(dockerfile_stages()[-1], "ENV"):
        pairs = command.value
        env.update(zip(pairs[::2], pairs[1::2], strict=True))
    return env


def test_dockerfile_listener_leaves_loopback() -> None:
    assert _dockerfile_env()["WIREWATCH_LISTENER__HOST"] == "0.0.0.0"


# ---------------------------------------------------------------------------- compose file


def _compose_schema() -> dict[str, Any]:
    # check-jsonschema (a dev dependency) ships the compose-spec schema with its licence.
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    schema = json.loads((vendor / "compose-spec.json").read_text(encoding="utf-8"))
    assert isinstance(schema, dict), "the compose-spec schema is not a JSON object"
    return schema


def test_compose_file_matches_the_compose_spec() -> None:
    jsonschema.validate(compose(), _compose_schema())


def test_compose_schema_check_rejects_an_unknown_service_key() -> None:
    document = compose()
    document["services"]["wirewatch"]["restart_policy"] = "always"
    with pytest.raises(jsonschema.ValidationError, match="restart_policy"):
        jsonschema.validate(document, _compose_schema())


def test_compose_daemon_is_locked_down_and_keeps_its_store_on_a_volume() -> None:
    document = compose()
    service = document["services"]["wirewatch"]
    assert "profiles" not in service
    assert (service["read_only"], service["cap_drop"]) == (True, ["ALL"])
    assert "no-new-privileges:true" in service["security_opt"]
    assert f"wirewatch-data:{STATE_DIR}" in service["volumes"]
    assert "wirewatch-data" in document["volumes"]
    assert seconds(service["stop_grace_period"]) > SHUTDOWN_TIMEOUT


def test_compose_postgres_profile_runs_the_scale_out_daemon_against_postgres() -> None:
    services = compose()["services"]
    daemon = services["wirewatch-scaleout"]
    assert services["postgres"]["profiles"] == daemon["profiles"] == ["postgres"]
    assert daemon["environment"]["WIREWATCH_STORE__URL"].startswith("postgresql://")
    assert daemon["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "ports" not in services["postgres"]


# --------------------------------------------------- what the files must agree on


def _published_ports() -> dict[str, int]:
    objects = manifests()
    ports = {
        "Dockerfile EXPOSE": int(instructions(dockerfile_stages()[-1], "EXPOSE")[0].value[0]),
        "ListenerSettings default": ListenerSettings().port,
        "config.example.toml": tomllib.loads((ROOT / "config.example.toml").read_text())[
            "listener"
        ]["port"],
        "ConfigMap [listener]": configmap_config(objects)["listener"]["port"],
        "container port": container(objects)["ports"][0]["containerPort"],
        "Service port": objects["Service"]["spec"]["ports"][0]["port"],
    }
    for name, service in compose()["services"].items():
        for mapping in service.get("ports", []):
            ports[f"compose {name}"] = int(mapping.rsplit(":", 1)[1])
    return ports


def test_every_file_uses_the_same_listener_port() -> None:
    assert set(_published_ports().values()) == {PORT}, _published_ports()


def _deploy_environment() -> dict[str, str]:
    """Every WIREWATCH_* variable a deploy file sets, with where it is set."""
    found = {name: "Dockerfile" for name in _dockerfile_env() if name.startswith("WIREWATCH_")}
    for line in unit()["Service"]["Environment"]:
        found[line.partition("=")[0]] = "wirewatch.service"
    for name, service in compose()["services"].items():
        found.update(dict.fromkeys(service.get("environment", {}), f"compose {name}"))
    found.update(dict.fromkeys(manifests()["Secret"]["stringData"], "Secret"))
    del found["WIREWATCH_CONFIG"]  # the default config path, not a setting
    return {name: where for name, where in found.items() if name.startswith("WIREWATCH_")}


def _notifier_types() -> dict[str, str]:
    """Notifier table name → type, in the configs the deploy files run with."""
    configs = [
        tomllib.loads((ROOT / "config.example.toml").read_text(encoding="utf-8")),
        configmap_config(manifests()),
    ]
    return {
        name: table["type"] for config in configs for name, table in config["notifiers"].items()
    }


def _is_notifier_field(name: str, field: str) -> bool:
    kind = _notifier_types().get(name)
    return kind is not None and field in REGISTRY[kind].Config.model_fields


def _is_setting(parts: list[str]) -> bool:
    if parts[0] == "notifiers":
        return len(parts) == 3 and _is_notifier_field(parts[1], parts[2])
    model: Any = Settings
    for part in parts:
        field = model.model_fields.get(part) if model is not None else None
        if field is None:
            return False
        model = field.annotation if isinstance(field.annotation, type) else None
        if model is not None and not hasattr(model, "model_fields"):
            model = None
    return True


@pytest.mark.parametrize("variable", sorted(_deploy_environment()))
def test_deploy_files_only_set_real_config_keys(variable: str) -> None:
    parts = variable.removeprefix("WIREWATCH_").lower().split("__")
    assert _is_setting(parts), f"{variable} ({_deploy_environment()[variable]})"


SETTING_CASES = [
    ("WIREWATCH_STORE__PATH", True),
    ("WIREWATCH_STORE__PATHS", False),
    ("WIREWATCH_LISTENER__HOST__X", False),
    ("WIREWATCH_NOTIFIERS__EMAIL__PASSWORD", True),
    ("WIREWATCH_NOTIFIERS__SLACK__PASSWORD", False),
    ("WIREWATCH_NOTIFIERS__PAGER__URL", False),
]


@pytest.mark.parametrize(("variable", "expected"), SETTING_CASES)
def test_is_setting_tells_real_keys_from_typos(variable: str, expected: bool) -> None:
    assert _is_setting(variable.removeprefix("WIREWATCH_").lower().split("__")) is expected


def _interpolated(value: str, variables: dict[str, str]) -> str:
    """Compose's ``${NAME:-default}`` interpolation, the only form the file uses."""
    return re.sub(r"\$\{(\w+):-([^}]*)\}", lambda found: variables.get(found[1], found[2]), value)


def test_compose_scale_out_environment_turns_the_example_config_to_postgresql(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = compose()["services"]["wirewatch-scaleout"]["environment"]
    for name, value in environment.items():
        monkeypatch.setenv(name, _interpolated(value, {"POSTGRES_PASSWORD": "pw"}))
    store = load_config(ROOT / "config.example.toml").settings.store
    assert store.backend == "postgresql"
    assert store.url is not None
    assert store.url.get_secret_value() == "postgresql://wirewatch:pw@postgres:5432/wirewatch"


def test_configmap_and_secret_make_a_config_that_wirewatch_check_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = manifests()
    for key, text in objects["ConfigMap"]["data"].items():
        (tmp_path / key).write_text(text, encoding="utf-8")
    for name in [name for name in os.environ if name.startswith("WIREWATCH_")]:
        monkeypatch.delenv(name)
    for name, value in objects["Secret"]["stringData"].items():
        monkeypatch.setenv(name, value)
    # `check` wants the store's directory: the pod's volume, which this machine lacks.
    monkeypatch.setenv("WIREWATCH_STORE__PATH", str(tmp_path / "wirewatch.db"))
    code = main(["check", "--config", str(tmp_path / "wirewatch.toml")])
    assert code == 0, capsys.readouterr()


def test_parse_unit_keeps_repeated_keys() -> None:
    parsed = parse_unit("[Service]\n# comment\nA=1\nA=2\nB=\n")
    assert parsed["Service"] == {"A": ["1", "2"], "B": [""]}
