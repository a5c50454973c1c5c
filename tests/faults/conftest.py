"""Fault-test harness: real ``celery worker`` subprocesses on the pytest test database and a Redis
DB of our own ($TEST_REDIS_DB, default 9), each in its own process group so a test can SIGKILL a
whole worker and always clean up, even when it fails."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.conftest import _reset_pools, missing, redis_test_url
from tests.payments.conftest import localstripe_url, stripe_on  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = int(os.environ.get("TEST_REDIS_DB", "9"))


def wait_for(condition: Callable[[], Any], timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


def database_url() -> str:
    s = connection.settings_dict
    user = s.get("USER") or "postgres"
    auth = f"{user}:{s['PASSWORD']}" if s.get("PASSWORD") else user
    return f"postgres://{auth}@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"


@dataclass
class Worker:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        """SIGKILL the whole worker: the main process and its pool children, no chance to ack."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # Whatever is left of the group (pool children) goes too.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc.poll() is None:
            self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:] if self.log.exists() else ""


@dataclass
class Workers:
    """Starts ``celery -A tests.faults.support.worker_app worker`` subprocesses (prefork, one child)."""

    fault_dir: Path
    broker_url: str
    db_url: str
    env: dict[str, str] = field(default_factory=dict)
    started: list[Worker] = field(default_factory=list)

    def start(self, name: str, *, visibility_timeout: int = 3600, **extra: str) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.faults.support.worker_settings",
            "DATABASE_URL": self.db_url,
            "REDIS_URL": self.broker_url,
            "FAULT_DIR": str(self.fault_dir),
            "FAULT_VISIBILITY_TIMEOUT": str(visibility_timeout),
            "PYTHONPATH": str(ROOT),
            "DEBUG": "true",
            **self.env,
            **extra,
        }
        env.pop("CI", None)
        log = self.fault_dir / f"worker-{name}.log"
        cmd = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "tests.faults.support.worker_app",
            "worker",
            "-P",
            "prefork",
            "-c",
            "1",
            "-n",
            f"fault-{name}-{os.getpid()}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ]
        with open(log, "ab") as out:
            proc = subprocess.Popen(
                cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        worker = Worker(name=name, proc=proc, log=log)
        self.started.append(worker)
        return worker

    def calls(self) -> list[tuple[int, str]]:
        path = self.fault_dir / "calls.log"
        if not path.exists():
            return []
        return [(int(pid), what) for pid, what in (line.split(" ", 1) for line in path.read_text().splitlines())]

    def marker_pid(self) -> int | None:
        path = self.fault_dir / "slow-call.marker"
        if not path.exists() or not path.read_text().strip():
            return None
        return int(path.read_text())

    def stop_all(self) -> None:
        for worker in self.started:
            worker.stop()


@pytest.fixture
def redis_broker(transactional_db: Any, require_redis: None, require_postgres: None) -> Iterator[Any]:
    """Point the project's Celery app (in this process) at our Redis DB, emptied first."""
    import redis

    from marketplace.celery import app as project_app

    url = redis_test_url(REDIS_DB)
    old = {k: project_app.conf.get(k) for k in ("broker_url", "broker_transport_options")}
    project_app.conf.update(broker_url=url, broker_transport_options={"visibility_timeout": 3600})
    _reset_pools(project_app)
    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield client
    finally:
        project_app.conf.update(**old)
        _reset_pools(project_app)
        client.flushdb()
        client.close()


@pytest.fixture
def workers(redis_broker: Any, tmp_path: Path) -> Iterator[Workers]:
    fault_dir = tmp_path / "faults"
    fault_dir.mkdir()
    pool = Workers(fault_dir=fault_dir, broker_url=redis_test_url(REDIS_DB), db_url=database_url())
    try:
        yield pool
    finally:
        pool.stop_all()


def queue_drained(client: Any) -> bool:
    """Nothing waiting and nothing delivered-but-unacknowledged in the Redis broker."""
    return client.llen("celery") == 0 and client.hlen("unacked") == 0


@dataclass
class OwnRedis:
    """A throwaway redis-server on a free loopback port, ours alone to kill and restart."""

    port: int
    workdir: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.exceptions.ConnectionError:
                return False

        try:
            assert wait_for(up, 10), "our redis-server did not start"
        finally:
            client.close()

    def kill(self) -> None:
        """Gone at once, nothing saved: as a crashed or restarting Redis looks to its clients."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.proc = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    import shutil

    from tests.conftest import free_port

    if shutil.which("redis-server") is None:
        missing("redis-server is not installed")
    server = OwnRedis(port=free_port(), workdir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.kill()
