"""Code shared by the API and the workers, in wings by audience (see ARCHITECTURE.md). Importing this package,
or any wing but `ml`, loads no ML library.

Here too: the one base of every error Speedboard raises on purpose, so the API answers all of them in one place.
"""

from __future__ import annotations

from typing import Any


class SpeedboardError(Exception):
    """An error whose message says what happened and what to do next; `status` is how the API answers it."""

    status = 500

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra  # more fields for the API's answer, e.g. suggestions


class InvalidRequest(SpeedboardError):
    """The request cannot be accepted as it is."""

    status = 422


class NotFound(SpeedboardError):
    """No such job, model or suite; the message says where to look."""

    status = 404


class Conflict(SpeedboardError):
    """The request conflicts with what exists: a name taken, a job already ended."""

    status = 409


class Unavailable(SpeedboardError):
    """Something this request needs is not available now; retrying later may work."""

    status = 503
