"""The roles a token may have, in order (each may do what the ones before it may), and who is calling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

RoleName = Literal["read", "submit", "admin"]
ROLES: tuple[RoleName, ...] = ("read", "submit", "admin")


@dataclass(frozen=True)
class Principal:
    """Who is calling: a token's name and role."""

    name: str
    role: RoleName

    def may(self, role: RoleName) -> bool:
        return ROLES.index(self.role) >= ROLES.index(role)
