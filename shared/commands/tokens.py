"""`speedboard token create|list|revoke`: API tokens managed directly in the configured database (DATABASE_URL,
or the SQLite file under SPEEDBOARD_DATA_DIR), so the first admin token is made before any server runs."""

from __future__ import annotations

import argparse
import sys

from shared import SpeedboardError
from shared.access.roles import ROLES


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tokens = commands.add_parser("token", help="create, list or revoke API tokens (directly in the database)")
    action = tokens.add_subparsers(dest="action", required=True)
    made = action.add_parser("create", help="create a token and print it, once")
    made.add_argument("--name", required=True, help="who or what uses it, e.g. alice or ci-runner")
    made.add_argument("--role", required=True, choices=ROLES,
                      help="read: every GET; submit: also queue and cancel its own jobs, suites and sweeps; admin: all")
    action.add_parser("list", help="every token's name, role, and when it was created, last used and revoked")
    gone = action.add_parser("revoke", help="revoke a token at once (its name may then be reused)")
    gone.add_argument("name")


def run(args: argparse.Namespace) -> int:
    # Here, not at the top: the other subcommands talk HTTP and should not pay for loading the database layer.
    from shared.access.tokens import create, list_tokens, revoke
    from shared.db.engine import migrate, session_scope

    try:
        migrate()
        with session_scope() as session:
            if args.action == "create":
                secret = create(session, args.name, args.role)
                print(f"token {args.name!r} ({args.role}) created in {_where()}; it is shown only this once, keep it "
                      "secret and send it as Authorization: Bearer <token> (the speedboard command: --token or "
                      "SPEEDBOARD_TOKEN):", file=sys.stderr)
                print(secret)
            elif args.action == "list":
                for token in list_tokens(session):
                    used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
                    revoked = f"  revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else ""
                    print(f"{token.name:24s} {token.role:7s} created {token.created_at:%Y-%m-%d %H:%M}  "
                          f"last used {used}{revoked}")
            else:
                token = revoke(session, args.name)
                print(f"token {token.name!r} revoked; requests bearing it now get 401")
    except SpeedboardError as error:
        print(f"speedboard: {error.message}", file=sys.stderr)
        return 2
    return 0


def _where() -> str:
    from sqlalchemy.engine import make_url

    from shared.settings import get_settings

    return make_url(get_settings().db_url).render_as_string(hide_password=True)
