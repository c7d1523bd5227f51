"""A real PostgreSQL server for the tests, started by the tests themselves (initdb + pg_ctl in a temporary
directory, on a free local port) and a fresh database for each test.

Written here rather than taken from pytest-postgresql: the suite runs as root on CI machines, where initdb
refuses to run; this runs the server as the `postgres` system user then (Debian's package creates it).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

USER = "mlsquiz"


def bindir() -> Path | None:
    """Where initdb and pg_ctl are: on PATH, or Debian's /usr/lib/postgresql/<version>/bin (newest)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, *, durable: bool = False, cpus: str | None = None) -> None:
        """`durable`: fsync and synchronous commits as in production (benchmarks); else fast, for tests.
        `cpus`: pin the server to these CPUs (taskset list, e.g. "0"), as benchmarks pin the bot."""
        self.durable, self.cpus = durable, cpus
        found = bindir()
        if found is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed: "
                               "`make test` installs Debian's postgresql package; or install it yourself")
        self.bin = found
        self.root = Path(tempfile.mkdtemp(prefix="mlsquiz-pg-"))
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        self._n = 0

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.cpus is not None:
            command = ["taskset", "-c", self.cpus, *command]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def start(self) -> PgServer:
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
        data = self.root / "data"
        self._run("initdb", "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        # Speed over durability for throw-away data: the bot's own durability is tested by killing the bot.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "-t", "60", "start")
        return self

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{database}"

    def fresh_database(self) -> str:
        """A new empty database; returns its URL."""
        self._n += 1
        import psycopg  # here, not at the top: `make` asks bindir() with a Python that may not have it

        name = f"test_{os.getpid()}_{self._n}_{int(time.time() * 1000) % 100000}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        return self.url(name)

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
