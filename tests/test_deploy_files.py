"""docker-compose.yml, .env.example and the Dockerfiles, checked statically (no Docker engine runs where the tests do).

Compose's `${VAR}` forms are resolved here the way docker-compose does (`interpolate`), against a .env made from
.env.example with generated passwords; `docker-compose config` checks the same where docker-compose is installed.
"""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.settings import Settings
from tests.conftest import REPO

SECRETS = ("POSTGRES_PASSWORD", "REDIS_PASSWORD")
REQUIRED = (*SECRETS, "SPEEDBOARD_ALLOWED_HOSTS")  # compose stops without them
PLACEHOLDER = "change-me"
MISSING = "set it in .env (see .env.example)"
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[-?])([^}]*))?\}")


class Missing(Exception):
    """A `${VAR:?message}` whose variable is unset or empty: docker-compose stops with the message."""


def compose_text() -> str:
    return (REPO / "docker-compose.yml").read_text()


def compose() -> dict[str, Any]:
    return yaml.safe_load(compose_text())


def env_example() -> dict[str, str]:
    lines = (REPO / ".env.example").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.lstrip().startswith("#")]
    return {key.strip(): value.strip() for key, value in pairs}


def generated_env() -> dict[str, str]:
    """What a user writes: .env.example with each password replaced, as its comments say (openssl rand -hex 24)."""
    return {key: secrets.token_hex(24) if key in SECRETS else value for key, value in env_example().items()}


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Resolve compose's `${VAR}`, `${VAR:-default}`, `${VAR:?message}` (and `$$`) in every string of `value`."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def resolve(match: re.Match[str]) -> str:
        name, operator, argument = match.groups()
        found = env.get(name)
        unset = found is None or (found == "" and operator is not None and operator.startswith(":"))
        if unset and operator and operator.endswith("?"):
            raise Missing(f"{name}: {argument}")
        if unset and operator and operator.endswith("-"):
            return argument
        return found or ""

    return VARIABLE.sub(resolve, value.replace("$$", "\0")).replace("\0", "$")


def services(env: dict[str, str] | None = None) -> dict[str, Any]:
    return interpolate(compose()["services"], generated_env() if env is None else env)


def test_compose_has_the_four_services_wired_together() -> None:
    env = generated_env()
    resolved = services(env)
    assert {"api", "worker-cpu", "redis", "postgres"} <= set(resolved)
    assert "--appendonly" in resolved["redis"]["command"] and "yes" in resolved["redis"]["command"]
    api, worker = resolved["api"], resolved["worker-cpu"]
    assert worker["environment"].items() <= api["environment"].items()  # one broker, one database
    settings = Settings(DATABASE_URL=api["environment"]["DATABASE_URL"], BROKER_URL=api["environment"]["BROKER_URL"])
    assert settings.db_url.startswith("postgresql+psycopg://") and "@postgres:5432/" in settings.db_url
    assert settings.broker == f"redis://:{env['REDIS_PASSWORD']}@redis:6379/0"
    pg = resolved["postgres"]["environment"]
    assert pg["POSTGRES_PASSWORD"] == env["POSTGRES_PASSWORD"]
    assert f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}" in settings.db_url
    assert api["environment"]["SPEEDBOARD_ALLOWED_HOSTS"] == env["SPEEDBOARD_ALLOWED_HOSTS"]
    assert api["command"][:2] == ["uvicorn", "api.main:app"]
    assert worker["command"] == ["python", "-m", "shared.commands.supervisor", "worker"]
    assert worker["build"]["args"]["EXTRAS"] == "cpu"
    for service in (api, worker):
        assert service["build"]["dockerfile"] == "Dockerfile.cpu"
        assert set(service["depends_on"]) == {"redis", "postgres"}


def test_redis_requires_the_password_and_its_healthcheck_logs_in() -> None:
    env = generated_env()
    redis = services(env)["redis"]
    command = redis["command"]
    assert command[command.index("--requirepass") + 1] == env["REDIS_PASSWORD"]
    assert redis["environment"]["REDISCLI_AUTH"] == env["REDIS_PASSWORD"]  # redis-cli reads it: no -a on a command line
    test = redis["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL" and "redis-cli ping" in test[1] and "PONG" in test[1]  # NOAUTH is not healthy


def test_no_password_is_committed_and_each_comes_from_env() -> None:
    text = compose_text()
    assert not re.search(r"://[^/\s:@]*:(?!\$\{)[^@\s]+@", text), "a URL in docker-compose.yml carries a literal password"
    raw = compose()
    anchor = raw["x-speedboard-env"]
    assert anchor["DATABASE_URL"] == f"postgresql://speedboard:${{POSTGRES_PASSWORD:?{MISSING}}}@postgres:5432/speedboard"
    assert anchor["BROKER_URL"] == f"redis://:${{REDIS_PASSWORD:?{MISSING}}}@redis:6379/0"
    assert raw["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == f"${{POSTGRES_PASSWORD:?{MISSING}}}"
    command = raw["services"]["redis"]["command"]
    assert command[command.index("--requirepass") + 1] == f"${{REDIS_PASSWORD:?{MISSING}}}"
    example = env_example()
    for key in SECRETS:
        assert example[key] == PLACEHOLDER, f".env.example must not carry a real {key}"
    assert "openssl rand -hex" in (REPO / ".env.example").read_text()  # it says how to make real ones


def test_every_variable_compose_reads_is_in_env_example_and_the_required_ones_stop_compose() -> None:
    used = {match.group(1): match for match in VARIABLE.finditer(compose_text())}
    assert set(used) == set(env_example()), "docker-compose.yml and .env.example must name the same variables"
    for name in REQUIRED:
        for match in VARIABLE.finditer(compose_text()):
            if match.group(1) == name:
                assert match.group(2, 3) == (":?", MISSING), f"{match.group(0)} does not stop compose when {name} is unset"
    for name in REQUIRED:
        env = {key: value for key, value in generated_env().items() if key != name}
        with pytest.raises(Missing, match=re.escape(f"{name}: {MISSING}")):
            services(env)
        with pytest.raises(Missing, match=re.escape(name)):
            services({**generated_env(), name: ""})  # `:?` refuses an empty value too


def test_only_the_api_publishes_a_port_and_only_on_loopback() -> None:
    resolved = services()
    published = {name: service["ports"] for name, service in resolved.items() if service.get("ports")}
    assert published == {"api": ["127.0.0.1:8000:8000"]}  # Redis and PostgreSQL are reached over the compose network
    assert not any("expose" in service or service.get("network_mode") == "host" for service in resolved.values())


def test_the_api_image_carries_no_ml_library_and_has_the_speedboard_command() -> None:
    api = compose()["services"]["api"]
    assert api["build"]["args"]["EXTRAS"] == ""  # not omitted: the Dockerfile's default is cpu
    text = (REPO / "Dockerfile.cpu").read_text()
    (install,) = re.findall(r'pip install ("[^"]+")', text)
    shell = subprocess.run(["sh", "-c", f"echo {install}"], env={"EXTRAS": ""}, capture_output=True, text=True, check=True)
    assert shell.stdout.strip() == "."  # the project alone, no extra
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    ml = ("torch", "torchvision", "timm", "openvino", "nncf", "tensorrt", "onnx", "nvidia-modelopt", "speedboard[")
    assert not [dep for dep in project["dependencies"] if dep.startswith(ml)]
    assert project["scripts"]["speedboard"] == "shared.commands.cli:main"  # `docker-compose run --rm api speedboard token …`


def test_env_is_ignored_and_its_example_is_not() -> None:
    ignored = (REPO / ".gitignore").read_text().splitlines()
    assert ".env" in ignored and not any(line.startswith(".env.") or line == ".env*" for line in ignored)


def test_dockerfile_copies_what_exists_and_installs_the_extras() -> None:
    text = (REPO / "Dockerfile.cpu").read_text()
    assert re.search(r"^FROM python:3\.11", text, re.M)
    for source in re.findall(r"^COPY (\S+)", text, re.M):
        assert (REPO / source).exists(), f"Dockerfile.cpu copies {source}, which is not in the repo"
    assert re.search(r'pip install "\.\$\{EXTRAS:\+\[\$EXTRAS\]\}"', text)
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("openvino==") for dep in extras["cpu"])
    cmd = re.search(r"^CMD (.+)$", text, re.M)
    assert cmd and "shared.commands.supervisor" in cmd.group(1)


def test_the_gpu_worker_service_reserves_the_gpu_and_builds_from_dockerfile_gpu() -> None:
    resolved = services()
    gpu, cpu = resolved["worker-gpu"], resolved["worker-cpu"]
    assert gpu["profiles"] == ["gpu"]  # `docker compose up` still works on machines without a GPU
    assert gpu["build"]["dockerfile"] == "Dockerfile.gpu" and gpu["environment"] == cpu["environment"]
    assert gpu["command"] == ["python", "-m", "shared.commands.supervisor", "worker", "--backend", "gpu"]
    (device,) = gpu["deploy"]["resources"]["reservations"]["devices"]
    assert device["capabilities"] == ["gpu"] and device["driver"] == "nvidia"
    text = (REPO / "Dockerfile.gpu").read_text()
    assert re.search(r"^FROM nvidia/cuda:13\.", text, re.M)  # torch 2.14.1 and tensorrt-cu13 are CUDA 13 builds
    for source in re.findall(r"^COPY (\S+)", text, re.M):
        assert (REPO / source).exists(), f"Dockerfile.gpu copies {source}, which is not in the repo"
    assert 'pip install ".[gpu]"' in text
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(dep.startswith("tensorrt-cu13==11.") for dep in extras["gpu"])
    assert any(dep.startswith("nvidia-modelopt[onnx]==") for dep in extras["onnx"])
    assert not any(dep.startswith("onnxruntime") for deps in extras.values() for dep in deps)  # modelopt brings one


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_config_accepts_the_file_with_a_generated_env_and_refuses_it_without(tmp_path: Path) -> None:
    shutil.copy(REPO / "docker-compose.yml", tmp_path)
    refused = subprocess.run(["docker-compose", "config", "-q"], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode != 0 and MISSING in refused.stderr
    env = generated_env()
    (tmp_path / ".env").write_text("".join(f"{key}={value}\n" for key, value in env.items()))
    config = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True, text=True)
    assert config.returncode == 0, config.stderr
    ours, theirs = services(env), yaml.safe_load(config.stdout)["services"]
    for name in ("api", "worker-cpu", "redis", "postgres"):  # compose resolves the file as `interpolate` does
        assert theirs[name]["environment"] == ours[name]["environment"], name
    assert theirs["redis"]["command"] == ours["redis"]["command"]
    assert "127.0.0.1" in str(theirs["api"]["ports"]) and [name for name in theirs if theirs[name].get("ports")] == ["api"]
