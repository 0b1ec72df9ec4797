"""Dependencies shared by the routes, as Annotated aliases."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlmodel import Session

from api.access import caller
from shared.access.roles import Principal
from shared.db.engine import session_scope


def get_session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
# Who is calling (set by api.access.authorize); None with auth off or for a public read without a token.
CallerDep = Annotated[Principal | None, Depends(caller)]
