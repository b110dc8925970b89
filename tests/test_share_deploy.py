"""deploy/: the systemd unit, the Caddyfile and docker-compose.yml agree with the command line.

Each file is parsed (YAML by PyYAML when installed, else by the small reader below, which is
checked against PyYAML where both are there), and every `notes-app` command line in them is
parsed by the real command's own parser, so an option renamed or a value out of range fails
here rather than on a server. The pieces must also fit together: the proxy the server trusts
is the one in front of it, the port Caddy forwards to is the one it listens on, the database
URL names the compose file's PostgreSQL.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import click
import pytest

from notes_app.cli import main
from notes_app.config import ENV_OVERRIDES

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
ROOT = DEPLOY.parent
# What the files may set besides the options' own variables (NOTES_APP_SHARE_DATABASE).
KNOWN_ENV = {"NOTES_APP_HOME", "NOTES_APP_NO_KEYRING"} | {var for var, _ in ENV_OVERRIDES}


# --- the readers -------------------------------------------------------------------------------


def read_unit(text: str) -> dict[str, dict[str, list[str]]]:
    """A systemd unit: sections of keys, each key's values in order (keys may repeat)."""
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        assert current is not None and "=" in line, f"not a unit line: {raw!r}"
        key, _, value = line.partition("=")
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def _scalar(text: str):
    text = text.strip()
    if text.startswith(("[", "{")):
        try:
            return json.loads(text)
        except ValueError:
            inner = text[1:-1].strip()
            return [_scalar(t) for t in inner.split(",")] if inner else []
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return {"true": True, "false": False, "null": None}.get(text, text)


def read_yaml_subset(text: str):
    """The YAML a compose file needs: nested mappings, lists of scalars or mappings, flow
    lists and {}, quoted strings, comments. Enough to read deploy/ without PyYAML."""
    lines = []
    for raw in text.splitlines():
        stripped = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if stripped.strip():
            lines.append((len(stripped) - len(stripped.lstrip()), stripped.strip()))

    def block(i: int, indent: int):
        if lines[i][1].startswith("- "):
            items = []
            while i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                rest = lines[i][1][2:]
                if re.match(r"^[\w.-]+:( |$)", rest) and not rest.startswith(("'", '"')):
                    # "- key: value" opens a mapping whose keys line up after the dash
                    lines[i] = (indent + 2, rest)
                    value, i = mapping(i, indent + 2)
                    items.append(value)
                else:
                    items.append(_scalar(rest))
                    i += 1
            return items, i
        return mapping(i, indent)

    def mapping(i: int, indent: int):
        found: dict = {}
        while i < len(lines) and lines[i][0] == indent and not lines[i][1].startswith("- "):
            key, _, rest = lines[i][1].partition(":")
            i += 1
            if rest.strip():
                found[_scalar(key)] = _scalar(rest)
            elif i < len(lines) and lines[i][0] > indent:
                found[_scalar(key)], i = block(i, lines[i][0])
            elif i < len(lines) and lines[i][0] == indent and lines[i][1].startswith("- "):
                found[_scalar(key)], i = block(i, indent)  # a list level with its key
            else:
                found[_scalar(key)] = None
        return found, i

    value, end = block(0, lines[0][0])
    assert end == len(lines), f"could not read line {end + 1}: {lines[end][1]!r}"
    return value


def read_yaml(path: Path):
    text = path.read_text(encoding="utf-8")
    try:
        import yaml
    except ImportError:
        return read_yaml_subset(text)
    return yaml.safe_load(text)


def substitute(text: str, env: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and ${VAR:?message}, from ``env``."""

    def one(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3)
        if name in env:
            return env[name]
        if op == ":-":
            return rest
        raise AssertionError(f"${{{name}}} has no value: {rest or 'set it'}")

    return re.sub(r"\$\{(\w+)(?:(:[-?])([^}]*))?\}", one, text)


def serve_options(argv: list[str]) -> dict:
    """``notes-app serve …`` parsed by the serve command itself: its parameters by name."""
    assert argv[0] == "serve", argv
    root = click.Context(main, info_name="notes-app")
    command = main.get_command(root, "serve")
    assert command is not None, "notes-app has no serve command"
    with command.make_context("serve", list(argv[1:]), parent=root) as ctx:
        return dict(ctx.params)


def env_file(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            found[key.strip()] = value.strip()
    return found


def _option_env_vars() -> set[str]:
    root = click.Context(main, info_name="notes-app")
    command = main.get_command(root, "serve")
    return {p.envvar for p in command.params if isinstance(getattr(p, "envvar", None), str)}


# --- the files ---------------------------------------------------------------------------------


def caddy_site() -> tuple[str, str]:
    """The Caddyfile's site address and upstream, as (with their defaults) on one machine."""
    text = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    site = re.search(r"^(\S+)\s*\{", body, re.M)
    upstream = re.search(r"^\s*reverse_proxy\s+(\S+)\s*$", body, re.M)
    assert site and upstream, "the Caddyfile needs a site block with a reverse_proxy"
    assert body.count("{") == body.count("}"), "unbalanced braces in the Caddyfile"
    caddy_default = re.compile(r"\{\$(\w+):([^}]*)\}")
    return caddy_default.sub(r"\2", site.group(1)), caddy_default.sub(r"\2", upstream.group(1))


def test_the_systemd_unit_runs_a_serve_command_that_parses():
    unit = read_unit((DEPLOY / "notes-app-share.service").read_text(encoding="utf-8"))
    assert {"Unit", "Service", "Install"} <= set(unit)
    (exec_start,) = unit["Service"]["ExecStart"]
    argv = shlex.split(exec_start)
    assert Path(argv[0]).name == "notes-app"
    options = serve_options(argv[1:])
    assert options["host"] == "127.0.0.1" and options["workers"] > 1
    assert urlsplit(options["public_url"]).scheme == "https"
    # Caddy runs on this machine and connects from the loopback: the proxy believed.
    assert options["trusted_proxy"] == "127.0.0.1"
    site, upstream = caddy_site()
    assert upstream == f"{options['host']}:{options['port']}"
    assert site == urlsplit(options["public_url"]).hostname
    # What the unit sets in the environment is read by something.
    names = [value.split("=", 1)[0] for value in unit["Service"].get("Environment", [])]
    example = env_file(DEPLOY / "share.env.example")
    assert set(names) | set(example) <= KNOWN_ENV | _option_env_vars()
    assert urlsplit(example["NOTES_APP_SHARE_DATABASE"]).scheme == "postgresql"
    assert unit["Service"]["User"] != ["root"]


def test_docker_compose_runs_the_share_server_with_postgresql():
    compose = read_yaml(DEPLOY / "docker-compose.yml")
    services = compose["services"]
    assert {"postgres", "share", "caddy"} <= set(services)
    env = env_file(DEPLOY / "env.example")
    share = services["share"]
    argv = [substitute(arg, env) for arg in share["command"]]
    options = serve_options(argv)
    assert options["workers"] > 1 and options["host"] == "0.0.0.0"
    # The database: the compose file's PostgreSQL, as its user, in its database.
    database = substitute(share["environment"]["NOTES_APP_SHARE_DATABASE"], env)
    assert set(share["environment"]) <= KNOWN_ENV | _option_env_vars()
    pg = services["postgres"]["environment"]
    url = urlsplit(database)
    assert url.scheme == "postgresql" and url.hostname == "postgres"
    assert url.username == pg["POSTGRES_USER"] and url.path == "/" + pg["POSTGRES_DB"]
    assert url.password == env["POSTGRES_PASSWORD"]
    assert share["depends_on"]["postgres"]["condition"] == "service_healthy"
    # Caddy in front: the one proxy believed, forwarding to the port the server listens on.
    caddy = services["caddy"]
    assert options["trusted_proxy"] == caddy["networks"]["front"]["ipv4_address"]
    assert caddy["environment"]["NOTES_SHARE_UPSTREAM"] == f"share:{options['port']}"
    public = urlsplit(options["public_url"])
    assert public.scheme == "https"
    assert public.hostname == substitute(caddy["environment"]["NOTES_SHARE_HOST"], env)
    assert "./Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    # The image: built from this repository with the extra that brings psycopg.
    build = share["build"]
    dockerfile = (DEPLOY / build["context"] / build["dockerfile"]).resolve()
    assert dockerfile == DEPLOY / "Dockerfile"
    text = dockerfile.read_text(encoding="utf-8")
    assert '".[server]"' in text and 'ENTRYPOINT ["notes-app"]' in text
    for copied in re.findall(r"^COPY (\S+)", text, re.M):
        assert (ROOT / copied).exists(), copied
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r"^server = \[.*psycopg\[binary,pool\]", pyproject, re.M)


def test_every_required_compose_variable_is_in_the_example_env():
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    required = set(re.findall(r"\$\{(\w+)(?::\?[^}]*)?\}", text))
    assert required and required <= set(env_file(DEPLOY / "env.example"))
    with pytest.raises(AssertionError, match="set POSTGRES_PASSWORD"):
        substitute(text, {})


def test_the_small_yaml_reader_reads_the_compose_file_as_pyyaml_does():
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed to compare against")
    text = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    assert read_yaml_subset(text) == yaml.safe_load(text)


def test_a_wrong_option_in_a_deploy_file_would_fail_here():
    with pytest.raises(click.UsageError):
        serve_options(["serve", "--workres", "4"])
    with pytest.raises(click.BadParameter):
        serve_options(["serve", "--workers", "0"])
