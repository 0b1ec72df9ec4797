"""Start-up checks for serving beyond this machine: a non-loopback bind needs tokens (or SPEEDBOARD_AUTH=off, said
on purpose and warned about at every start) and SPEEDBOARD_ALLOWED_HOSTS; and the Host headers answered (against
DNS rebinding: a loopback server answers only to localhost and 127.0.0.1).

The bind is read from the command line that launched the server (uvicorn's --host, gunicorn's --bind, or their
environment variables), or SPEEDBOARD_BIND_HOST for other launchers; nothing said means uvicorn's default,
127.0.0.1. The per-request check in api.access covers a launcher this cannot see.
"""

from __future__ import annotations

import logging
import os
import sys

from sqlmodel import Session

from api.access import HOW_TO_GET_ONE, auth_on, is_loopback
from shared.settings import get_settings

log = logging.getLogger("speedboard.exposure")

LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")


class RefusedToStart(RuntimeError):
    """Serving as configured would expose the API; the message says what to set."""


def bind_host(argv: list[str] | None = None) -> str:
    explicit = get_settings().bind_host
    if explicit:
        return explicit
    argv = sys.argv if argv is None else argv
    for flag in ("--host", "--bind", "-b"):
        for i, arg in enumerate(argv):
            if arg == flag and i + 1 < len(argv):
                return _host_of(argv[i + 1], flag)
            if arg.startswith(flag + "="):
                return _host_of(arg.split("=", 1)[1], flag)
    env = os.environ.get("UVICORN_HOST")
    return env or "127.0.0.1"


def _host_of(value: str, flag: str) -> str:
    if flag == "--host" or value.startswith("unix:"):
        return value if not value.startswith("unix:") else "127.0.0.1"  # a unix socket is as local as loopback
    host = value.rsplit(":", 1)[0] if value.count(":") == 1 or value.startswith("[") else value
    return host or "0.0.0.0"


def allowed_hosts() -> tuple[str, ...] | None:
    """The host names answered (None: any). Unset: loopback names only."""
    configured = get_settings().allowed_hosts
    if configured is None or not configured.strip():
        return LOOPBACK_HOSTS
    names = tuple(name.strip().lower() for name in configured.split(",") if name.strip())
    return None if "*" in names else names


def check_start(session: Session, host: str | None = None) -> None:
    """Raise RefusedToStart when serving on `host` (default: the bind) is unsafe as configured; warn when auth is off
    on purpose."""
    host = host or bind_host()
    settings = get_settings()
    if is_loopback(host):
        return
    if settings.auth is False:
        log.warning("SPEEDBOARD_AUTH=off: serving on %s with no token checks; anyone who reaches it may queue, cancel and "
                    "rewrite everything", host)
    elif not auth_on(session):
        raise RefusedToStart(f"refusing to serve on {host} with no API token: {HOW_TO_GET_ONE.format(role='admin')} "
                             "before starting (or set SPEEDBOARD_AUTH=off to serve without tokens, at your own risk)")
    if not settings.allowed_hosts:
        raise RefusedToStart(f"serving on {host} needs SPEEDBOARD_ALLOWED_HOSTS: the host names clients use to reach it, "
                             "comma-separated (e.g. speedboard.example.com), or * to answer any Host header")
