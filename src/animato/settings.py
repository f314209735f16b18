"""Deployment settings: where messages go out and how the service is reached, from the environment.

The plan says *what* to send; these say *through what*: SMTP relay, SMS and push webhooks, the
public URL of the tracking links, the secret that signs them and the API token. Every setting
is an ``ANIMATO_*`` environment variable, so that nothing secret sits in the plan's git.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Everything delivery, tracking and ``animato serve`` need besides the plan and the store."""

    public_url: str = "http://localhost:8000"
    secret: str = ""
    api_token: str = ""
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_security: str = "none"  # none | starttls | tls
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_rate: float = 0.0  # messages per second, 0: unlimited
    smtp_connections: int = 1  # sent on this many connections at once
    smtp_timeout: float = 30.0
    smtp_ca_file: str = ""  # CA bundle that signs the relay's certificate (default: the system's)
    dkim_key: str = ""  # path of a PEM private key: DKIM-sign every email
    dkim_selector: str = "animato"
    sms_url: str = ""  # generic JSON webhook of the SMS provider
    sms_token: str = ""
    sms_rate: float = 0.0
    push_url: str = ""
    push_token: str = ""
    files_dir: str = ""  # call lists and postal files (default: beside the store)
    in_doubt: str = "skip"  # skip | resend: what to do with a hand-off whose outcome is unknown
    shop_url: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Settings from ``ANIMATO_*`` variables (``ANIMATO_SMTP_PORT`` → ``smtp_port``)."""
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        for name, kind in cls.__annotations__.items():
            raw = env.get(f"ANIMATO_{name.upper()}")
            if raw is None or name == "extra":
                continue
            values[name] = float(raw) if kind == "float" else int(raw) if kind == "int" else raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


SERVERS = ("postgres://", "postgresql://", "spark://")  # the store is not a DuckDB file


def side_prefix(store_location: str) -> str:
    """Where the files that go with a store (secret, rendered content, delivery journal, call
    lists) live: beside a store file (``<store>.secret``…); for a database server, in
    ``ANIMATO_HOME`` (default ``.animato``) under a name made of its host, port and database.
    """
    if not store_location.startswith(SERVERS):
        return store_location
    scheme, rest = store_location.split("://", 1)
    name = f"{scheme.removesuffix('ql')}-{rest.rsplit('@', 1)[-1]}"  # no credentials in names
    home = os.environ.get("ANIMATO_HOME", ".animato")
    return str(Path(home) / re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_"))


def secret_for(store_location: str, settings: Settings | None = None) -> str:
    """The secret that signs tracking tokens: ``ANIMATO_SECRET``, else one made at random the
    first time and kept beside the store (``<store>.secret``, readable by its owner only).
    """
    if settings is not None and settings.secret:
        return settings.secret
    if env := os.environ.get("ANIMATO_SECRET"):
        return env
    if store_location == ":memory:":
        return _PROCESS_SECRET
    path = Path(side_prefix(store_location) + ".secret")
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    made = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(made)
    return made


_PROCESS_SECRET = secrets.token_urlsafe(32)
