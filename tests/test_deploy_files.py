"""deploy/ checked statically (no Docker engine here): the Dockerfile, the compose file and the
systemd units name real CLI commands and options, pin their images and keep the promised shape."""

from __future__ import annotations

import configparser
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import chromadb
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
    project_install = next(i for i, r in enumerate(runs) if "pip install ." in r)
    assert cpu < project_install
    for op, args in steps:
        if op == "COPY":
            *sources, _ = args.split()
            assert all((REPO / s).exists() for s in sources if not s.startswith("--"))
    users = [args.split()[0] for op, args in steps if op == "USER"]
    assert users and users[-1] not in ("root", "0")
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


def test_compose_services_run_real_commands_against_a_healthy_chroma(compose):
    services = compose["services"]
    assert {"chroma", *BOTS} <= set(services)
    chroma = services["chroma"]
    name, _, tag = chroma["image"].rpartition(":")
    assert name == "chromadb/chroma" and tag == chromadb.__version__  # server matches client
    assert "healthcheck" in chroma and chroma["volumes"]
    volumes = set(compose["volumes"])
    assert chroma["volumes"][0].split(":")[0] in volumes
    state_volumes = set()
    for bot in BOTS:
        service = services[bot]
        assert image_pinned(service["image"])
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        assert_cli_accepts(service["command"])
        assert service["command"][0] == bot
        assert service["depends_on"]["chroma"]["condition"] == "service_healthy"
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
        parser = configparser.ConfigParser(interpolation=None, strict=True)
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


def test_cli_check_rejects_unknown_commands_and_options():
    """The helper the tests above rely on does fail on typos."""
    with pytest.raises(AssertionError):
        assert_cli_accepts(["slak"])
    with pytest.raises(AssertionError):
        assert_cli_accepts(["slack", "--no-schedular"])
