"""docker-compose.yml and Dockerfile.cpu, checked statically (no Docker engine runs where the tests do)."""

from __future__ import annotations

import re
import tomllib

import yaml

from shared.settings import Settings
from tests.conftest import REPO


def compose() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "docker-compose.yml").read_text())


def test_compose_has_the_four_services_wired_together() -> None:
    services = compose()["services"]
    assert {"api", "worker-cpu", "redis", "postgres"} <= set(services)
    assert "--appendonly" in services["redis"]["command"] and "yes" in services["redis"]["command"]
    api, worker = services["api"], services["worker-cpu"]
    assert api["environment"] == worker["environment"]  # one broker, one database
    env = api["environment"]
    settings = Settings(DATABASE_URL=env["DATABASE_URL"], BROKER_URL=env["BROKER_URL"])
    assert settings.db_url.startswith("postgresql+psycopg://") and "@postgres:5432/" in settings.db_url
    assert settings.broker == "redis://redis:6379/0"
    pg = services["postgres"]["environment"]
    assert f"{pg['POSTGRES_USER']}:{pg['POSTGRES_PASSWORD']}@postgres:5432/{pg['POSTGRES_DB']}" in env["DATABASE_URL"]
    assert api["command"][:2] == ["uvicorn", "api.main:app"] and "8000:8000" in api["ports"]
    assert worker["command"] == ["python", "-m", "shared.commands.supervisor", "worker"]
    assert api["build"]["args"]["EXTRAS"] == "models" and worker["build"]["args"]["EXTRAS"] == "cpu"
    for service in (api, worker):
        assert service["build"]["dockerfile"] == "Dockerfile.cpu"
        assert set(service["depends_on"]) == {"redis", "postgres"}


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
    services = compose()["services"]
    gpu, cpu = services["worker-gpu"], services["worker-cpu"]
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
