"""A throwaway PostgreSQL server for the tests: Debian's binaries, in a temporary directory, on
a free loopback port, run as the unprivileged ``postgres`` user when the tests run as root
(PostgreSQL refuses root). One server per test session; each test makes its own database.

The binaries are in the machine image (``/usr/lib/postgresql/<version>/bin``); ``make
postgresql`` installs Debian's ``postgresql`` where they are missing.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: [
        int(part) if part.isdigit() else 0 for part in Path(p).parent.name.split(".")])  # fmt: skip
    return Path(found[-1]) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Server:
    """A running server: `url(database)` names a database on it."""

    directory: Path
    port: int
    bin: Path
    user: str | None

    def url(self, database: str) -> str:
        return f"postgresql://hub@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return subprocess.run(list(args), user=self.user, capture_output=True, text=True,
                              timeout=120, check=check)  # fmt: skip

    def start(self) -> None:
        options = (f"-c port={self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.directory} -c fsync=off")  # fmt: skip
        done = self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-l",
                         str(self.directory / "server.log"), "-w", "-t", "60", "-o", options,
                         "start", check=False)  # fmt: skip
        if done.returncode != 0:
            log = (self.directory / "server.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{log}")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.directory / "data"), "-m", "fast",
                  "-w", "stop", check=False)  # fmt: skip

    def create_database(self) -> str:
        """A new, empty database; its name."""
        name = "t_" + uuid.uuid4().hex[:16]
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U",
                  "hub", name)  # fmt: skip
        return name


def start_server() -> Server:
    """Initialise and start a server (the caller stops it and removes its directory).

    Raises:
        RuntimeError: no PostgreSQL binaries, or the server did not start.
    """
    bin_dir = binaries()
    if bin_dir is None:
        raise RuntimeError("no PostgreSQL server binaries: run `make postgresql`")
    user = "postgres" if os.geteuid() == 0 else None
    directory = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    if user is not None:
        shutil.chown(directory, user)
    directory.chmod(0o700)
    server = Server(directory, _free_port(), bin_dir, user)
    server._run(str(bin_dir / "initdb"), "-D", str(directory / "data"), "-U", "hub",
                "--auth=trust", "--encoding=UTF8", "--locale=C", "--no-sync")  # fmt: skip
    server.start()
    return server
