"""Run a WSGI app under gunicorn with the project's gunicorn.conf.py, on a free loopback port."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.harness import Gunicorn


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def memory(self) -> "Memory":
        return memory_of(self.pid)


@dataclass(frozen=True)
class Memory:
    processes: int
    rss_mb: float  # sum of resident sets; pages shared since the fork count once per process
    pss_mb: float  # proportional set size: shared pages split between the processes


@contextmanager
def gunicorn(app: str, env: dict | None = None) -> Iterator[Server]:
    """Serve ``app`` ("module:callable") with gunicorn.conf.py; WEB_CONCURRENCY,
    GUNICORN_THREADS etc. come from the environment exactly as gunicorn.conf.py reads them.
    Access logs go to /dev/null for every app alike."""
    with Gunicorn(app, env, args=("--access-logfile", "/dev/null")) as server:
        yield Server(server.url, server.pid)


def memory_of(pid: int) -> Memory:
    """RSS and PSS of a process and its children (a gunicorn master and its workers)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    rss = pss = 0
    for p in [pid, *map(int, children)]:
        for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
            field, _, rest = line.partition(":")
            if field == "Rss":
                rss += int(rest.split()[0])
            elif field == "Pss":
                pss += int(rest.split()[0])
    return Memory(1 + len(children), rss / 1024, pss / 1024)
