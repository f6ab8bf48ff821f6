"""deploy/ checked statically (no Docker engine here): the Dockerfile, the compose file and the
systemd units name real CLI commands and options, pin their images and keep the promised shape."""

from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
import sys
import tomllib
from importlib import resources
from pathlib import Path

import chromadb
import jsonschema
import pytest
import typer
import yaml
from typer.testing import CliRunner

from bot.cli import app
from bot.settings import Settings

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
BOTS = ("slack", "discord", "scheduler")


def assert_cli_accepts(argv: list[str]) -> None:
    """``argv`` (after ``paperboy``) names a real command and only options it declares."""
    commands = typer.main.get_command(app).commands
    name, *rest = argv
    assert name in commands, f"`paperboy {name}` does not exist"
    command = commands[name]
    known = {opt for param in command.params for opt in param.opts + param.secondary_opts}
    for word in rest:
        if word.startswith("-"):
            assert word.split("=")[0] in known, f"`paperboy {name}` has no option {word}"
    done = CliRunner().invoke(app, [name, "--help"])
    assert done.exit_code == 0, done.output


def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    text = (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    pairs = [line.split(None, 1) for line in lines if line and not line.startswith("#")]
    return [(p[0].upper(), p[1] if len(p) > 1 else "") for p in pairs]


def image_pinned(image: str) -> bool:
    name, _, tag = image.rpartition(":")
    return bool(name) and "/" not in tag and tag not in ("", "latest")


def project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def test_dockerfile_cpu_torch_first_non_root_offline():
    steps = dockerfile()
    froms = [args.split()[0] for op, args in steps if op == "FROM"]
    assert froms and all(image_pinned(image) for image in froms)
    assert froms[0].startswith("python:3.11")
    runs = [args for op, args in steps if op == "RUN"]
    torch_pin = next(d for d in project()["dependencies"] if d.startswith("torch"))
    cpu = next(i for i, r in enumerate(runs) if "download.pytorch.org/whl/cpu" in r)
    assert torch_pin in runs[cpu].split()
    project_install = next(i for i, r in enumerate(runs) if "pip install -c constraints.txt ." in r)
    assert cpu < project_install
    for op, args in steps:
        if op == "COPY":
            *sources, _ = args.split()
            assert all((REPO / s).exists() for s in sources if not s.startswith("--"))
    users = [args.split()[0] for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and users[-1].split(":")[0] != "0"
    assert any("-c constraints.txt" in run for run in runs), "installs pinned by constraints.txt"
    env = " ".join(args for op, args in steps if op == "ENV")
    assert "HF_HUB_OFFLINE=1" in env.split() and "PAPERBOY_DATA_DIR=/data" in env.split()
    assert any(op == "VOLUME" and "/data" in args for op, args in steps)
    [health] = [args for op, args in steps if op == "HEALTHCHECK"]
    check = yaml.safe_load(health.split("CMD", 1)[1])
    script = next(iter(project()["scripts"]))
    assert check[0] == script
    assert_cli_accepts(check[1:])
    [entry] = [args for op, args in steps if op == "ENTRYPOINT"]
    assert yaml.safe_load(entry) == [script]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_file_is_valid_against_the_compose_spec_schema(compose):
    schema = json.loads(
        (
            resources.files("check_jsonschema") / "builtin_schemas/vendor/compose-spec.json"
        ).read_text()
    )
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [e.message for e in validator.iter_errors(compose)]
    assert not errors
    typo = {
        **compose,
        "services": {
            **compose["services"],
            "slack": {**compose["services"]["slack"], "helthcheck": {}},
        },
    }
    assert list(validator.iter_errors(typo)), "the schema check does catch a misspelt key"


def test_compose_builds_once_starts_without_secrets_and_offers_postgres(compose):
    services = compose["services"]
    builders = [name for name, service in services.items() if "build" in service]
    assert builders == ["slack"], "one image, built once"
    image = services["slack"]["image"]
    for bot in BOTS:
        assert services[bot]["image"] == image
        if bot != "slack":
            assert services[bot]["pull_policy"] == "never"
            assert "slack" in services[bot]["depends_on"]
        assert all(entry["required"] is False for entry in services[bot]["env_file"])
    postgres = services["postgres"]
    assert postgres["profiles"] == ["postgres"] and image_pinned(postgres["image"])
    assert postgres["healthcheck"]["test"][1] == "pg_isready"
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {".git", ".venv", "deploy/paperboy.env", ".paperboy"} <= set(ignored)


def test_compose_services_run_real_commands_against_chroma(compose):
    services = compose["services"]
    assert {"chroma", *BOTS} <= set(services)
    chroma = services["chroma"]
    name, _, tag = chroma["image"].rpartition(":")
    assert name == "chromadb/chroma" and tag == chromadb.__version__  # server matches client
    # the chroma image has no curl/wget: no health check that can never pass
    assert "healthcheck" not in chroma and chroma["volumes"]
    volumes = set(compose["volumes"])
    assert chroma["volumes"][0].split(":")[0] in volumes
    state_volumes = set()
    for bot in BOTS:
        service = services[bot]
        assert image_pinned(service["image"])
        build = services["slack"]["build"]
        assert (DEPLOY / build["context"] / build["dockerfile"]).is_file()
        assert_cli_accepts(service["command"])
        assert service["command"][0] == bot
        assert service["depends_on"]["chroma"]["condition"] == "service_started"
        assert service["env_file"]
        env = service["environment"]
        assert env["PAPERBOY_STORE__CHROMA_HOST"] == "chroma"
        mounts = dict(reversed(v.split(":")[:2]) for v in service["volumes"])
        assert mounts[env.get("PAPERBOY_DATA_DIR", "/data")] in volumes
        state_volumes.add(mounts[env.get("PAPERBOY_DATA_DIR", "/data")])
        health = service["healthcheck"]["test"]
        assert health[0] == "CMD" and health[1] == "paperboy"
        assert_cli_accepts(health[2:])
        # the health check asks the ops port this process serves
        assert health[2:] == ["health", "--port", str(getattr(Settings().ops, f"{bot}_port"))]
        assert env["PAPERBOY_OPS__HOST"] == "0.0.0.0"  # scrapeable from other containers
    assert len(state_volumes) == 1  # one shared state database


def units() -> dict[str, configparser.ConfigParser]:
    found = {}
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        parser = configparser.ConfigParser(interpolation=None, strict=False)  # repeated keys
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read_string(path.read_text())
        found[path.stem] = parser
    return found


def test_systemd_units_restart_with_backoff_and_run_real_commands():
    found = units()
    assert {f"paperboy-{name}" for name in (*BOTS, "chroma")} <= set(found)
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    for name, unit in found.items():
        service = unit["Service"]
        assert service["Restart"] == "on-failure"
        delay = float(service["RestartSec"])
        burst = int(unit["Unit"]["StartLimitBurst"])
        window = float(unit["Unit"]["StartLimitIntervalSec"])
        assert delay >= 5 and burst * delay < window, f"{name}: a crash loop would never stop"
        assert service["User"] not in ("root", "0")
        assert unit["Install"]["WantedBy"]
        program, *argv = shlex.split(service["ExecStart"])
        if Path(program).name == "paperboy":
            assert_cli_accepts(argv)
            assert "paperboy-chroma.service" in unit["Unit"]["After"].split()
        else:
            assert Path(program).name == "chroma" and argv[0] == "run"
            helptext = subprocess.run(
                [chroma, "run", "--help"], capture_output=True, text=True, timeout=60
            ).stdout
            assert all(flag in helptext for flag in argv[1:] if flag.startswith("--"))


HARDENING = {
    "UMask": "0077",
    "NoNewPrivileges": "yes",
    "CapabilityBoundingSet": "",
    "PrivateDevices": "yes",
    "ProtectSystem": "strict",
    "ReadWritePaths": "/var/lib/paperboy",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
}


def test_systemd_units_are_hardened():
    for name, unit in units().items():
        service = unit["Service"]
        for key, value in HARDENING.items():
            assert service.get(key) == value, f"{name}: {key}"
        assert "MemoryDenyWriteExecute" not in service  # torch's oneDNN JIT needs W+X pages
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (it is on this project's machines)")
    for path in sorted((DEPLOY / "systemd").glob("*.service")):
        done = subprocess.run(
            [analyze, "security", "--offline=yes", str(path)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        score = float(
            done.stdout.strip().splitlines()[-1].split("level for")[1].split(":")[1].split()[0]
        )
        assert score <= 2.0, f"{path.name}: exposure {score}"


def test_cli_check_rejects_unknown_commands_and_options():
    """The helper the tests above rely on does fail on typos."""
    with pytest.raises(AssertionError):
        assert_cli_accepts(["slak"])
    with pytest.raises(AssertionError):
        assert_cli_accepts(["slack", "--no-schedular"])
