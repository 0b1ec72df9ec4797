"""API tokens: created (the secret shown once), listed, revoked and verified against the database.

A token is `sb_` and 43 URL-safe characters (256 random bits); the database keeps only its SHA-256, which is
enough for a secret of that strength (no salt or slow hash needed: nothing to guess).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from sqlmodel import Session, col, select

from shared import Conflict, InvalidRequest, NotFound, SpeedboardError
from shared.access.roles import ROLES, Principal
from shared.db.tables import Token, utcnow

__all__ = ["Forbidden", "Principal", "Unauthorized", "create", "list_tokens", "revoke", "verify"]

PREFIX = "sb_"
NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
LAST_USED_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per token


class Unauthorized(SpeedboardError):
    """No token, or one that is unknown or revoked; the message says how to get one."""

    status = 401


class Forbidden(SpeedboardError):
    """The token's role is too small for this route; the message says which role it needs."""

    status = 403


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create(session: Session, name: str, role: str) -> str:
    """Store a new token and return its secret (the only time it is seen). A revoked token's name may be reused."""
    if not NAME.match(name):
        raise InvalidRequest(f"{name!r} is not a token name: 1-64 letters, digits, _ . or -, e.g. ci-runner")
    if role not in ROLES:
        raise InvalidRequest(f"role {role!r} is not one of {', '.join(ROLES)}")
    existing = session.get(Token, name)
    if existing is not None and existing.revoked_at is None:
        raise Conflict(f"a token named {name!r} exists; revoke it first (speedboard token revoke {name}) "
                       "or pick another name")
    secret = PREFIX + secrets.token_urlsafe(32)
    if existing is not None:
        session.delete(existing)
        session.flush()
    session.add(Token(name=name, role=role, secret_sha256=digest(secret)))
    session.commit()
    return secret


def list_tokens(session: Session) -> list[Token]:
    return list(session.exec(select(Token).order_by(col(Token.name))))


def revoke(session: Session, name: str) -> Token:
    token = session.get(Token, name)
    if token is None:
        raise NotFound(f"no token named {name!r}; list them with speedboard token list")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.add(token)
        session.commit()
    return token


def verify(session: Session, secret: str) -> Principal:
    """The principal a bearer secret stands for; Unauthorized when it is unknown or revoked."""
    token = session.exec(select(Token).where(col(Token.secret_sha256) == digest(secret))).first()
    if token is None:
        raise Unauthorized("this token is not known to this server; ask an admin for one "
                           "(speedboard token create --name NAME --role read|submit|admin)")
    if token.revoked_at is not None:
        raise Unauthorized(f"token {token.name!r} was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC; "
                           "ask an admin for a new one")
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
        token.last_used_at = now
        session.add(token)
        session.commit()
    return Principal(token.name, token.role)  # type: ignore[arg-type]
