"""The rule every model name obeys, wherever it is read: in a POST /jobs body (the API) and in a job row (the
benchmark process, which re-checks it, so a row written behind the API's back cannot make timm read a file or
download). Imports nothing but `shared`: the benchmark process runs without pydantic or a database library."""

from __future__ import annotations

import re

from shared import InvalidRequest

NAME = re.compile(r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$")
# What timm reads as a place rather than a name: the Hugging Face hub and local folders.
REFUSED_PREFIXES = ("hf-hub:", "hf_hub:", "local-dir:", "timm/")
NEVER_DOWNLOADED = "Speedboard builds timm architectures by name with random weights and never downloads or reads model files"


class InvalidModelName(InvalidRequest):
    """The name is not a plain timm name (or names a place to read from); the message says what is accepted."""


def parse_model_name(name: str) -> tuple[str, str | None]:
    """`arch` and its pretrained tag (None when not given) of `arch[.tag]`; anything else is refused."""
    name = name.strip()
    if name.lower().startswith(REFUSED_PREFIXES) or "://" in name or "/" in name or "\\" in name:
        raise InvalidModelName(f"{name!r} is refused: {NEVER_DOWNLOADED}. Give a timm architecture such as resnet50 "
                               "or resnet50.tv_in1k")
    if not NAME.match(name):
        raise InvalidModelName(f"{name!r} is not a timm model name (letters, digits and _ with an optional .tag), "
                               "e.g. resnet50 or resnet50.tv_in1k")
    arch, _, tag = name.partition(".")
    return arch, tag or None
