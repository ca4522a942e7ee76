"""deploy/: the systemd unit and the compose file an owner copies to run the club.

Neither systemd nor a container engine runs here: the files are read and held to what the
README's "Running it on a server" tells the owner and to what the club itself does.
"""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from aiohttp import web

from bot.app import healthz
from bot.backup import sqlite_path
from bot.settings import DEFAULT_DATABASE_URL, Settings
from bot.workers import STOP_SECONDS
from tests.helpers import free_port

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTINGS = {name.upper() for name in Settings.model_fields}
# Read by compose itself, for the postgres service and the club's DATABASE_URL.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def unit() -> dict[str, dict[str, list[str]]]:
    """deploy/club.service as {section: {key: [values in order]}}."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (DEPLOY / "club.service").read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, sep, value = line.partition("=")
        assert sep, f"not a setting: {raw!r}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def service(key: str) -> str:
    """The value systemd uses: the last one given."""
    return unit()["Service"][key][-1]


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def interpolate(value: str, variables: dict[str, str]) -> str:
    """Compose's `${VAR}`, `${VAR:-default}` and `${VAR:?error}` (the forms the file uses)."""

    def one(match: re.Match[str]) -> str:
        name, form, rest = match.group(1), match.group(2) or "", match.group(3) or ""
        if variables.get(name):
            return variables[name]
        if form == ":?":
            raise KeyError(f"{name}: {rest}")
        return rest if form == ":-" else ""

    return re.sub(r"\$\{(\w+)(:\?|:-)?([^}]*)\}", one, value)


def dockerfile() -> list[tuple[str, str]]:
    """deploy/Dockerfile's instructions, continuation lines joined."""
    text = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            found.append((instruction.upper(), args.strip()))
    return found


def readme_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("\n## Running it on a server\n")
    end = readme.find("\n## ", start + 1)
    return readme[start : end if end != -1 else None]


def named_settings() -> set[str]:
    return set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", readme_section()))


def club() -> dict[str, Any]:
    return compose()["services"]["club"]


def data_folder() -> PurePosixPath:
    """Where the club keeps its data by default, relative to its working directory."""
    database = sqlite_path(DEFAULT_DATABASE_URL)
    assert database is not None
    return PurePosixPath(database.parent.as_posix())


def test_both_start_the_same_club_run_command_line() -> None:
    argv = shlex.split(service("ExecStart"))
    workdir = PurePosixPath(service("WorkingDirectory"))
    assert PurePosixPath(argv[0]) == workdir / ".venv" / "bin" / "club"
    from_systemd = [PurePosixPath(argv[0]).name, *argv[1:]]
    image_cmd = json.loads(dict(dockerfile())["CMD"])

    assert from_systemd == ["club", "run"]
    assert club()["command"] == from_systemd
    assert image_cmd == from_systemd
    assert "entrypoint" not in club()
    assert "ENTRYPOINT" not in dict(dockerfile())
    assert "`club run`" in readme_section()


def test_the_settings_the_readme_names_are_real_and_documented() -> None:
    named = named_settings()
    assert {"BOT_TOKEN", "DATABASE_URL", "WEBHOOK_URL", "WEB_PORT", "POSTGRES_PASSWORD"} <= named
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z0-9_]*)=", example, re.MULTILINE))
    assert named - COMPOSE_ONLY <= SETTINGS, "the README names settings the club does not have"
    assert named - COMPOSE_ONLY <= documented, "settings missing from .env.example"
    for name in COMPOSE_ONLY:
        assert f"${{{name}" in (DEPLOY / "compose.yaml").read_text(encoding="utf-8")


def test_both_read_the_env_file_and_compose_sets_only_what_the_readme_says() -> None:
    section = readme_section()
    workdir = PurePosixPath(service("WorkingDirectory"))
    assert service("EnvironmentFile") == str(workdir / ".env")
    assert f"`{workdir / '.env'}`" in section
    assert club()["env_file"] in (".env", [".env"])
    assert "`deploy/.env`" in section

    environment = club()["environment"]
    assert set(environment) <= SETTINGS
    # The ones compose replaces are named, so the owner knows their .env values are not used.
    assert set(environment) <= named_settings()


def test_the_club_reaches_the_compose_database_and_redis() -> None:
    services = compose()["services"]
    variables = {"POSTGRES_PASSWORD": "s3cret", "BOT_TOKEN": "1:token"}

    def values(name: str, given: dict[str, str]) -> dict[str, str]:
        return {k: interpolate(str(v), given) for k, v in services[name]["environment"].items()}

    environment, postgres = values("club", variables), values("postgres", variables)

    database = urlsplit(environment["DATABASE_URL"])
    assert database.scheme == "postgres"
    assert (database.hostname, database.port) == ("postgres", 5432)
    assert (database.username, database.password) == (postgres["POSTGRES_USER"], "s3cret")
    assert postgres["POSTGRES_PASSWORD"] == "s3cret"
    assert database.path == "/" + postgres["POSTGRES_DB"]
    assert urlsplit(environment["REDIS_URL"]).hostname == "redis"
    assert "redis" in services

    # Without the password or the token, compose refuses to start rather than run half set up.
    for missing in variables:
        with pytest.raises(KeyError):
            values("club", {**variables, missing: ""})


def test_the_web_app_is_published_on_the_port_it_listens_on() -> None:
    environment = club()["environment"]
    port = str(environment["WEB_PORT"])
    assert environment["WEB_HOST"] == "0.0.0.0"  # reachable through the published port
    assert club()["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert f"127.0.0.1:{port}/healthz" in " ".join(club()["healthcheck"]["test"])


def test_volumes_keep_postgresql_data_and_the_club_data_folder() -> None:
    spec = compose()
    declared = set(spec["volumes"])
    workdir = PurePosixPath(dict(dockerfile())["WORKDIR"])

    def mounts(name: str) -> dict[str, str]:
        pairs = (entry.split(":")[:2] for entry in spec["services"][name]["volumes"])
        return {target: source for source, target in pairs}

    assert mounts("club")[str(workdir / data_folder())] in declared
    assert mounts("postgres")["/var/lib/postgresql/data"] in declared
    # systemd: the data folder is the one place under the code the club may write to.
    writable = " ".join(unit()["Service"]["ReadWritePaths"]).split()
    assert str(PurePosixPath(service("WorkingDirectory")) / data_folder()) in writable


def test_health_checks_and_the_club_waits_for_healthy_postgresql_and_redis() -> None:
    services = compose()["services"]

    def check(name: str) -> str:
        test = services[name]["healthcheck"]["test"]
        return " ".join(test) if isinstance(test, list) else test

    assert "/healthz" in check("club")
    assert "pg_isready" in check("postgres")
    assert "redis-cli" in check("redis") and "ping" in check("redis")
    assert club()["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


async def test_the_club_health_check_passes_on_the_club_web_app_and_fails_without_it() -> None:
    """The command compose runs, against the club's own /healthz, then against nothing."""
    test = club()["healthcheck"]["test"]
    assert test[:2] == ["CMD", "python"]
    port = str(club()["environment"]["WEB_PORT"])
    app = web.Application()
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app)
    await runner.setup()
    listening = free_port()
    await web.TCPSite(runner, "127.0.0.1", listening).start()

    async def run_check(on: int) -> int:
        args = [sys.executable, *[a.replace(f":{port}/", f":{on}/") for a in test[2:]]]
        process = await asyncio.create_subprocess_exec(*args, stderr=subprocess.DEVNULL)
        return await asyncio.wait_for(process.wait(), 60)

    try:
        assert await run_check(listening) == 0
        assert await run_check(free_port()) != 0
    finally:
        await runner.cleanup()


def test_restarts_stops_and_runs_without_privileges() -> None:
    def seconds(value: str) -> int:
        number = re.fullmatch(r"(\d+)\s*s?", str(value))
        assert number, value
        return int(number.group(1))

    # systemd
    assert service("Restart") == "always"
    assert service("User") not in ("", "root", "0")
    assert f"useradd --system --home-dir {service('WorkingDirectory')}" in readme_section()
    assert service("User") == readme_section().split("--shell /usr/sbin/nologin ")[1].split()[0]
    assert service("KillMode") == "mixed"  # SIGTERM to club run, which stops its workers
    assert seconds(service("TimeoutStopSec")) > STOP_SECONDS
    assert service("NoNewPrivileges") == "true"
    assert service("ProtectSystem") == "strict"
    assert unit()["Install"]["WantedBy"] == ["multi-user.target"]

    # compose and its image
    for name, spec in compose()["services"].items():
        assert spec["restart"] == "always", name
    assert seconds(club()["stop_grace_period"]) > STOP_SECONDS
    users = [args for instruction, args in dockerfile() if instruction == "USER"]
    assert users and users[-1] not in ("root", "0")
    # The settings (bot token, passwords) never go into the image.
    copied = {
        source
        for instruction, args in dockerfile()
        if instruction in {"COPY", "ADD"}
        for source in args.split()[:-1]
    }
    assert not {".", "./", ".env"} & copied
