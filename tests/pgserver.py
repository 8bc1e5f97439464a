"""A throwaway PostgreSQL cluster for the test suite.

``PgServer().start()`` runs ``initdb`` into a fresh temporary directory and ``pg_ctl start`` on a free loopback
port (trust auth, fsync off — never use this for real data); ``stop()`` shuts it down with ``-m immediate`` and
removes the directory. As root, PostgreSQL refuses to run, so both commands run as the ``postgres`` OS user
(``PGSERVER_USER`` overrides the name); the user is created with ``useradd`` if it does not exist.

Binaries are looked up in ``$PG_BINDIR``, then on ``PATH``, then in ``/usr/lib/postgresql/*/bin`` (newest first).
Only the standard library is needed to start/stop; ``psycopg`` is imported when creating/dropping databases.
"""

from __future__ import annotations

import atexit
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import suppress
from pathlib import Path

SUPERUSER = "postgres"
DEFAULT_DB = "complaint_test"
TIMEOUT = 60  # seconds; generous for a busy 2-core CI box
_PORT_ATTEMPTS = 3
_LOG_TAIL = 40


class PgServerError(RuntimeError):
    """The throwaway server could not be set up, started or stopped."""


class PgBinariesNotFound(PgServerError):
    """``initdb`` / ``pg_ctl`` are not installed (or not where we look)."""


def find_binaries() -> tuple[Path, Path]:
    """Return absolute paths of ``(initdb, pg_ctl)`` or raise :class:`PgBinariesNotFound`."""
    candidates: list[Path] = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).resolve().parent)
    versioned = glob.glob("/usr/lib/postgresql/*/bin")
    versioned.sort(key=lambda p: int(m.group(1)) if (m := re.search(r"/(\d+)/bin$", p)) else -1, reverse=True)
    candidates.extend(Path(p) for p in versioned)
    for bindir in candidates:
        initdb, pg_ctl = bindir / "initdb", bindir / "pg_ctl"
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb.resolve(), pg_ctl.resolve()
    looked = ", ".join(str(c) for c in candidates) or "nowhere"
    raise PgBinariesNotFound(
        f"initdb/pg_ctl not in $PG_BINDIR, on PATH or in /usr/lib/postgresql/*/bin (looked in: {looked})"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken meanwhile)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def unique_db_name(hint: str = "t") -> str:
    """A valid, unquoted-safe, unique database name (≤ 63 bytes) that starts with a sanitised *hint*."""
    stem = re.sub(r"[^a-z0-9_]+", "_", hint.lower()).strip("_")[:40] or "t"
    return f"t_{stem}_{uuid.uuid4().hex[:10]}"


def _ensure_os_user(name: str) -> tuple[int, int]:
    """uid/gid of *name*; as root, create it (system user, no login) when missing."""
    import pwd

    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        useradd = shutil.which("useradd") or "/usr/sbin/useradd"
        cmd = [useradd, "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"]
        cmd += ["--shell", "/usr/sbin/nologin", name]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        if proc.returncode != 0:
            raise PgServerError(
                f"running as root, PostgreSQL needs an unprivileged OS user; `{' '.join(cmd)}` failed: "
                f"{proc.stderr.strip() or proc.stdout.strip()}"
            ) from None
        entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


class PgServer:
    """One throwaway cluster. ``start()`` / ``stop()`` are idempotent; ``stop()`` is also registered with atexit."""

    def __init__(self, dbname: str = DEFAULT_DB, *, initdb: Path | None = None, pg_ctl: Path | None = None) -> None:
        if initdb is None or pg_ctl is None:
            initdb, pg_ctl = find_binaries()
        self.initdb, self.pg_ctl = Path(initdb), Path(pg_ctl)
        self.dbname = dbname
        self.host = "127.0.0.1"
        self.user = SUPERUSER
        self.port: int | None = None
        self.base: Path | None = None
        self.startup_seconds: float | None = None
        self._os_user: tuple[int, int] | None = None  # (uid, gid) to run as, when we are root

    # -- paths -------------------------------------------------------------------------------------------------------
    @property
    def datadir(self) -> Path:
        return self._base() / "data"

    @property
    def sockdir(self) -> Path:
        return self._base() / "sock"

    @property
    def logfile(self) -> Path:
        return self._base() / "server.log"

    def _base(self) -> Path:
        if self.base is None:
            raise PgServerError("server not started")
        return self.base

    # -- URLs --------------------------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """SQLAlchemy URL of the default database (``postgresql+psycopg://postgres@127.0.0.1:PORT/complaint_test``)."""
        return self.url_for(self.dbname)

    def url_for(self, dbname: str) -> str:
        if self.port is None:
            raise PgServerError("server not started")
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{dbname}"

    def conninfo(self, dbname: str | None = None) -> str:
        """libpq URI for plain ``psycopg.connect()`` (default: the default database)."""
        return self.url_for(dbname or self.dbname).replace("postgresql+psycopg://", "postgresql://", 1)

    # -- lifecycle ---------------------------------------------------------------------------------------------------
    def start(self) -> PgServer:
        if self.port is not None:
            return self
        t0 = time.monotonic()
        atexit.register(self.stop)
        try:
            self._prepare_dirs()
            self._run(
                [
                    *(str(self.initdb), "-D", str(self.datadir), "-U", self.user, "--auth=trust"),
                    *("-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"),
                ],
                what="initdb",
            )
            self._start_postmaster()
            self.create_database(self.dbname)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def stop(self) -> None:
        """Stop the server (immediate mode) and delete its directory. Safe to call repeatedly."""
        atexit.unregister(self.stop)
        base, self.base, self.port = self.base, None, None
        if base is None:
            return
        try:
            pid = _postmaster_pid(base / "data" / "postmaster.pid")
            if pid is not None:
                cmd = [str(self.pg_ctl), "-D", str(base / "data"), "-m", "immediate", "-w", "-t", str(TIMEOUT), "stop"]
                with suppress(PgServerError):
                    self._run(cmd, what="pg_ctl stop", check=False, cwd=base)
                # pg_ctl returns once postmaster.pid is gone; wait for the process itself too (so nothing is left
                # behind, not even a zombie for pgrep to see), and kill it if pg_ctl failed.
                if not _wait_gone(pid, 5) and not _is_zombie(pid):
                    _kill(pid)
        finally:
            shutil.rmtree(base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------------------------------------------------
    def create_database(self, name: str | None = None) -> str:
        """Create a fresh database (unique name if *name* is None) and return its SQLAlchemy URL."""
        from psycopg import sql

        name = name or unique_db_name()
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop *name*, disconnecting any sessions still using it."""
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    def _admin(self):  # type: ignore[no-untyped-def]
        import psycopg

        return psycopg.connect(self.conninfo("postgres"), autocommit=True, connect_timeout=TIMEOUT)

    # -- internals ---------------------------------------------------------------------------------------------------
    def _prepare_dirs(self) -> None:
        if os.geteuid() == 0:
            self._os_user = _ensure_os_user(os.environ.get("PGSERVER_USER", SUPERUSER))
            # The postgres user must be able to reach the directory: /tmp (1777) always is; $TMPDIR may not be.
            parent = os.environ.get("PGSERVER_TMPDIR") or ("/tmp" if os.path.isdir("/tmp") else None)
        else:
            parent = os.environ.get("PGSERVER_TMPDIR")
        self.base = Path(tempfile.mkdtemp(prefix="pgtest-", dir=parent))
        self.sockdir.mkdir()
        if self._os_user is not None:
            uid, gid = self._os_user
            for p in (self.base, self.sockdir):
                os.chown(p, uid, gid)
            _check_traversable(self.base.parent)

    def _start_postmaster(self) -> None:
        for attempt in range(1, _PORT_ATTEMPTS + 1):
            port = free_port()
            log_offset = self.logfile.stat().st_size if self.logfile.exists() else 0
            opts = (
                f"-p {port} -k {self.sockdir} -c listen_addresses={self.host} -c fsync=off"
                " -c synchronous_commit=off -c full_page_writes=off"
            )
            proc = self._run(
                [
                    *(str(self.pg_ctl), "-D", str(self.datadir), "-l", str(self.logfile), "-o", opts),
                    *("-w", "-t", str(TIMEOUT), "start"),
                ],
                what="pg_ctl start",
                check=False,
            )
            if proc.returncode == 0:
                self.port = port
                return
            log = self._log_since(log_offset)
            port_taken = "could not bind" in log or "Address already in use" in log
            if not port_taken or attempt == _PORT_ATTEMPTS:
                raise PgServerError(
                    f"pg_ctl start failed (exit {proc.returncode}) on port {port}:\n{proc.stdout}{proc.stderr}"
                    f"--- last lines of {self.logfile} ---\n{_tail(log)}"
                )
            # Another process grabbed the port between free_port() and bind(): make sure nothing is left, retry.
            if (self.datadir / "postmaster.pid").exists():
                self._run([str(self.pg_ctl), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"], check=False)

    def _log_since(self, offset: int) -> str:
        return _read_from(self.logfile, offset)

    def _run(
        self, cmd: list[str], *, what: str = "", check: bool = True, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        cwd = cwd or self._base()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}  # no stray PGDATA/PGPORT/...
        env.update(HOME=str(cwd), LC_ALL="C", LANG="C")
        kwargs: dict[str, object] = {}
        if self._os_user is not None:  # as root: drop privileges (same effect as `runuser -u postgres --`)
            uid, gid = self._os_user
            kwargs.update(user=uid, group=gid, extra_groups=[])
        try:
            proc = subprocess.run(
                cmd,
                cwd=cwd,
                env=env,
                capture_output=True,
                text=True,
                timeout=TIMEOUT + 30,
                check=False,
                **kwargs,  # type: ignore[arg-type]
            )
        except subprocess.TimeoutExpired as exc:
            log = _tail(_read_from(cwd / "server.log", 0))
            raise PgServerError(f"{what or cmd[0]} timed out after {exc.timeout}s; server log:\n{log}") from exc
        if check and proc.returncode != 0:
            raise PgServerError(f"{what or cmd[0]} failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
        return proc


def _check_traversable(path: Path) -> None:
    for p in (path, *path.parents):
        if not os.stat(p).st_mode & 0o001:
            raise PgServerError(
                f"{p} is not world-traversable, so the postgres user cannot reach the cluster under {path}; "
                "set PGSERVER_TMPDIR to a directory it can reach"
            )


def _postmaster_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            pass  # exists, owned by someone else
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _is_zombie(pid: int) -> bool:
    """Exited but not yet reaped (by init, since pg_ctl daemonises the postmaster): nothing left to stop."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def _kill(pid: int) -> None:
    with suppress(OSError):
        os.kill(pid, signal.SIGQUIT)  # what `pg_ctl stop -m immediate` sends
        if not _wait_gone(pid, TIMEOUT):
            os.kill(pid, signal.SIGKILL)


def _read_from(path: Path, offset: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            f.seek(offset)
            return f.read()
    except OSError as exc:
        return f"(no server log: {exc})"


def _tail(text: str, n: int = _LOG_TAIL) -> str:
    return "\n".join(text.splitlines()[-n:]) + "\n"
