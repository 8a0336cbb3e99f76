"""A throw-away PostgreSQL cluster on 127.0.0.1 for the tests: real server, fresh database per test.

`initdb` and `postgres` refuse to run as root, so as root the cluster
belongs to the ``postgres`` system user (Debian's package creates it): its
directory is chowned to that user and every server command runs through
``runuser -u postgres --``. As anyone else the binaries run directly.
The cluster trusts local connections and skips fsync: it lives for one test
session in a temporary directory and is deleted afterwards.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "postgres"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries on this machine (a skip locally, a failure in CI)."""


def find_bindir() -> Path:
    """The directory holding initdb/pg_ctl: $LANEWATCH_PG_BINDIR, `pg_config --bindir`, or Debian's layout."""
    override = os.environ.get("LANEWATCH_PG_BINDIR")
    candidates = [Path(override)] if override else _default_bindirs()  # an override is the only place looked at
    for bindir in candidates:
        if (bindir / "initdb").is_file() and (bindir / "pg_ctl").is_file():
            return bindir
    raise PostgresUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) not found via $LANEWATCH_PG_BINDIR, pg_config or "
        "/usr/lib/postgresql/*/bin; install Debian's `postgresql` package"
    )


def _default_bindirs() -> list[Path]:
    found: list[Path] = []
    if shutil.which("pg_config"):  # libpq-dev's pg_config names the server's bindir even without the server
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            found.append(Path(out.stdout.strip()))
    found += sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")),
        key=lambda p: _version_key(p.parent.name),
        reverse=True,
    )
    if shutil.which("initdb"):
        found.append(Path(shutil.which("initdb")).parent)
    return found


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresCluster:
    """Start with `start()`, hand out databases with `create_database()`, remove with `stop()`."""

    def __init__(self, bindir: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.as_root = os.geteuid() == 0
        # as root: under /tmp, since the postgres user must be able to reach the directory ($TMPDIR may not be)
        self.root = Path(tempfile.mkdtemp(prefix="lanewatch-pg-", dir="/tmp" if self.as_root else None))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self._names = itertools.count(1)

    # -- lifecycle ------------------------------------------------------------------
    def start(self) -> None:
        if self.as_root:
            try:
                owner = pwd.getpwnam(SUPERUSER)
            except KeyError:
                raise PostgresUnavailable(
                    f"running as root but there is no {SUPERUSER!r} user to own the cluster (initdb refuses root)"
                ) from None
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
        self._run(
            "initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"
        )
        last_error = ""
        for _ in range(3):  # the free port can be taken between choosing and binding it
            self.port = _free_port()
            options = (
                f"-k {self.root} -h 127.0.0.1 -p {self.port} -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off -c max_connections=200"
            )
            result = self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                check=False,
            )
            if result.returncode == 0:
                return
            last_error = result.stdout + result.stderr + self._log_tail()
        raise RuntimeError(f"PostgreSQL did not start:\n{last_error}")

    def stop(self) -> None:
        if self.data.is_dir():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    # -- databases ------------------------------------------------------------------
    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, template: str | None = None) -> str:
        """A new database, empty or a copy of `template` (which must have no open connections); returns its name."""
        name = f"test_{os.getpid()}_{next(self._names)}"
        self._admin(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return name

    def drop_database(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # FORCE: tests may leave pools open

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as conn:
            conn.execute(sql)

    # -- helpers --------------------------------------------------------------------
    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        command = [str(self.bindir / tool), *args]
        if self.as_root:
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=self.root, timeout=120)
        if check and result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def _log_tail(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-2000:]
        except OSError:
            return ""
