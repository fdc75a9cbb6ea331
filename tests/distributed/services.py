"""Postgres and Redis from the OS packages, on loopback ports of their own, with their data in a temp dir.

    with LocalPostgres(root) as postgres, LocalRedis(root) as redis:
        postgres.url   # postgresql+psycopg2://airflow@127.0.0.1:PORT/airflow
        redis.url      # redis://127.0.0.1:PORT/0

Postgres refuses to run as root, so as root its programs run as the ``postgres`` user the package creates,
on a data directory that user owns. Both stop (Postgres: immediate shutdown) on exit, also after a failure.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from typing_extensions import Self

from tests.airflow_e2e.stack import StackError, free_port

START_TIMEOUT_SECONDS = 60.0


def postgres_bin(program: str) -> str:
    """``program`` from the newest Postgres the OS packages installed (Debian keeps them off PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{program}"), key=lambda p: int(p.parts[-3]))
    path = str(found[-1]) if found else shutil.which(program)
    if path is None:
        raise StackError(f"{program} not found: install the postgresql package (make test-distributed does)")
    return path


class _Service:
    """Started on entering, stopped on leaving (also when the start fails half-way)."""

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class LocalPostgres(_Service):
    """A throwaway cluster: ``initdb`` with trust auth on loopback, one database ``airflow`` owned by ``airflow``."""

    def __init__(self) -> None:
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="dist-postgres-"))  # not under a 0700 root-only pytest dir
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.root, owner.pw_uid, owner.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgresql+psycopg2://airflow@127.0.0.1:{self.port}/airflow"

    def _run(self, *argv: str) -> str:
        done = subprocess.run([*self._as_user, *argv], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise StackError(f"{' '.join(argv)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self) -> None:
        self._run(postgres_bin("initdb"), "-D", str(self.data), "-U", "airflow", "--auth=trust", "-E", "UTF8")
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off"
        self._run(postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self._run(postgres_bin("createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "airflow", "airflow")

    def query(self, sql: str) -> list[list[str]]:
        """Rows of ``sql`` (``psql -At``: text columns), for what Airflow's REST API does not show."""
        psql = shutil.which("psql") or postgres_bin("psql")
        argv = [psql, "-h", "127.0.0.1", "-p", str(self.port), "-U", "airflow", "-d", "airflow", "-At", "-F", "\t"]
        out = self._run(*argv, "-c", sql)
        return [line.split("\t") for line in out.splitlines() if line]

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self._as_user, postgres_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)


class LocalRedis(_Service):
    """``redis-server`` in the foreground on a loopback port, no persistence."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        server = shutil.which("redis-server")
        if server is None:
            raise StackError("redis-server not found: install the redis-server package (make test-distributed does)")
        self.root.mkdir(parents=True, exist_ok=True)
        argv = [server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(
                [*argv, "--dir", str(self.root)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        cli = shutil.which("redis-cli") or "redis-cli"
        while subprocess.run([cli, "-p", str(self.port), "ping"], capture_output=True, check=False).returncode:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise StackError(f"redis-server did not start:\n{(self.root / 'redis.log').read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self.process = None
