"""A real PostgreSQL server for the cross-backend tests: Debian's binaries, a fresh cluster in a
temporary folder, started on a free port and stopped at the end of the session.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SEARCH = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _binaries() -> Path | None:
    for folder in SEARCH:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a running PostgreSQL server's maintenance database, user ``animato``."""
    binaries = _binaries()
    if binaries is None:
        message = "PostgreSQL server not found: install the Debian package 'postgresql'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("psycopg", reason="the 'postgres' extra (psycopg) is not installed")
    folder = Path(tempfile.mkdtemp(prefix="animato-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: as Debian's 'postgres' user
        shutil.chown(folder, "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", _free_port()

    def pg(tool: str, *args: str) -> None:
        subprocess.run([*as_user, str(binaries / tool), "-D", str(data), *args], check=True,
                       capture_output=True)  # fmt: skip

    pg("initdb", "-A", "trust", "-U", "animato")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    pg("pg_ctl", "-o", options, "-w", "-l", str(folder / "log"), "start")
    try:
        yield f"postgresql://animato@127.0.0.1:{port}/postgres"
    finally:
        pg("pg_ctl", "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres(postgres_server: str, request: pytest.FixtureRequest) -> str:
    """A new empty database on the server, for one test."""
    import psycopg

    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[:50].lower()
    with psycopg.connect(postgres_server, autocommit=True) as con:
        con.execute(f'DROP DATABASE IF EXISTS "{name}"')
        con.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.rsplit("/", 1)[0] + "/" + name


@pytest.fixture
def spark(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Spark store in local mode (this process's session), its tables under ``tmp_path``."""
    if shutil.which("java") is None:
        message = "java not found: install the Debian package 'openjdk-17-jre-headless'"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("pyspark", reason="the 'spark' extra (pyspark) is not installed")
    monkeypatch.setenv("ANIMATO_HOME", str(tmp_path / "spark-home"))
    monkeypatch.setenv("ANIMATO_SPARK_PARTITIONS", "2")
    return "spark://local[2]"


@pytest.fixture(params=["duckdb", "postgres", "spark"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store location on each backend in turn: a DuckDB file, a PostgreSQL database, Spark."""
    if request.param == "duckdb":
        return str(tmp_path / "store.duckdb")
    return str(request.getfixturevalue(request.param))
