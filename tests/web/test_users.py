"""Users (scrypt hashes in a file) and signed session cookies."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from animato.errors import AnimatoError
from animato.web.sessions import LIFETIME, Sessions
from animato.web.users import User, Users, check_password, hash_password


def test_passwords_are_salted_hashes_that_check(tmp_path: Path) -> None:
    one, two = hash_password("secret"), hash_password("secret")
    assert one != two and "secret" not in one  # salted, never the password itself
    assert check_password("secret", one) and not check_password("Secret", one)
    assert not check_password("secret", "plain$text") and not check_password("x", "")
    users = Users(tmp_path / "s.duckdb.users.json")
    users.add("ana", "pw1", "operator")
    users.add("bob", "pw2", "viewer")
    assert users.check("ana", "pw1") == User("ana", "operator")
    assert users.check("ana", "pw2") is None and users.check("zed", "pw1") is None
    users.add("ana", "new", "viewer")  # a new password and role replace the old
    assert users.check("ana", "pw1") is None and users.get("ana") == User("ana", "viewer")
    assert users.names() == ["ana", "bob"]
    assert stat.S_IMODE(users.path.stat().st_mode) == 0o600
    with pytest.raises(AnimatoError, match="unknown role 'admin'"):
        users.add("cy", "pw", "admin")  # type: ignore[arg-type]
    users.path.write_text("{not json")
    with pytest.raises(AnimatoError, match="not a users file"):
        users.check("ana", "new")


def test_a_session_cookie_is_genuine_and_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = Sessions("secret")
    cookie = sessions.issue("ana")
    session = sessions.session(cookie)
    assert session is not None and session.name == "ana" and len(session.csrf) > 20
    assert Sessions("other").session(cookie) is None  # signed with the store's secret
    body, mac = cookie.rsplit(".", 1)
    assert sessions.session(f"{body}x.{mac}") is None and sessions.session("") is None
    token, login = sessions.login_token()
    assert sessions.login_ok(login, token) and not sessions.login_ok(login, token + "x")
    assert not sessions.login_ok(cookie, session.csrf)  # a session is not a login form
    later = time.time() + LIFETIME + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert sessions.session(cookie) is None and not sessions.login_ok(login, token)
