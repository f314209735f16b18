"""The dashboard's users: names, roles and scrypt password hashes in a local JSON file.

The file sits beside the store (``<store>.users.json``, readable by its owner only; for a
database server, under ``ANIMATO_HOME``), so that no password is in the plan's git.
``viewer`` reads every page; ``operator`` may also pause and resume a scenario, run a tick
and start a simulation.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from animato.errors import AnimatoError
from animato.settings import side_prefix

Role = Literal["viewer", "operator"]
ROLES: tuple[Role, ...] = ("viewer", "operator")
# scrypt's cost: 16 MiB and about 50 ms a check (OWASP's minimum is N=2**17 with r=8 for
# a server; this is a local tool's login, verified at each sign-in only, not at each request)
N, R, P = 2**14, 8, 1


@dataclass(frozen=True)
class User:
    """A signed-in person: name and role."""

    name: str
    role: Role

    @property
    def operator(self) -> bool:
        """Whether they may act (pause, tick, simulate), not only look."""
        return self.role == "operator"


def users_path(store_location: str) -> Path:
    """Where the users of a store are kept."""
    return Path(side_prefix(store_location) + ".users.json")


def hash_password(password: str) -> str:
    """An scrypt hash with its parameters and a random salt, as one string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def check_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches a hash made by :func:`hash_password`."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        found = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(found, _unb64(digest))


class Users:
    """The users file of a store."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, str]]:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise AnimatoError(f"{self.path}: not a users file ({exc})") from None
        if not isinstance(data, dict):
            raise AnimatoError(f"{self.path}: expected an object of users by name")
        return data

    def names(self) -> list[str]:
        """Every user name, sorted."""
        return sorted(self._read())

    def add(self, name: str, password: str, role: Role) -> None:
        """Create a user or change their password and role."""
        if not name or not password:
            raise AnimatoError("a user needs a name and a password")
        if role not in ROLES:
            raise AnimatoError(f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
        data = self._read()
        data[name] = {"role": role, "hash": hash_password(password)}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    def check(self, name: str, password: str) -> User | None:
        """The user when the password is theirs, else None."""
        entry = self._read().get(name)
        if entry is None:
            check_password(password, hash_password("timing"))  # as slow as a known name
            return None
        if not check_password(password, entry.get("hash", "")):
            return None
        role = entry.get("role")
        return User(name, role) if role in ROLES else None

    def get(self, name: str) -> User | None:
        """A user by name (a session stays valid only while its user exists)."""
        entry = self._read().get(name)
        role = entry.get("role") if entry else None
        return User(name, role) if role in ROLES else None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
