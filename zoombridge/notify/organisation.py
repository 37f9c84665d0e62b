"""Who emails come from and whom people contact (`config/emails.toml`)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

from zoombridge.config import DEFAULT_CONFIG_DIR, ConfigError
from zoombridge.notify.addresses import normalise_email


@dataclass(frozen=True)
class Organisation:
    name: str
    staff_email: str
    support_email: str
    support_phone: str


def load_organisation(path: Path | None = None) -> Organisation:
    path = path or Path(os.environ.get("ZOOMBRIDGE_CONFIG_DIR", DEFAULT_CONFIG_DIR)) / "emails.toml"
    with path.open("rb") as fh:
        raw = tomllib.load(fh).get("organisation", {})
    known = {"name", "staff_email", "support_email", "support_phone"}
    unknown = set(raw) - known
    missing = known - set(raw)
    if unknown or missing:
        raise ConfigError(f"{path}: [organisation] needs exactly {', '.join(sorted(known))}")
    for key in ("staff_email", "support_email"):
        if normalise_email(raw[key]) is None:
            raise ConfigError(f"{path}: organisation.{key} is not an email address")
    return Organisation(**raw)
