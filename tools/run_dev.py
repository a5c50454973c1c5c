"""Run the development site: Django's server, one Celery worker and one beat, stopped together."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()
    # The development site runs with DEBUG on (the settings default to off, for production);
    # an explicit DEBUG in the environment wins.
    os.environ.setdefault("DEBUG", "1")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    celery = str(BIN / "celery")
    names = ["celery worker", "celery beat", "runserver"]
    procs = [
        subprocess.Popen(
            [celery, "-A", "marketplace", "worker", "--loglevel=INFO", "--concurrency=2"], cwd=ROOT, env=env
        ),
        subprocess.Popen(
            [
                celery,
                "-A",
                "marketplace",
                "beat",
                "--loglevel=INFO",
                "--schedule",
                str(ROOT / "var" / "celerybeat-schedule"),
            ],
            cwd=ROOT,
            env=env,
        ),
        subprocess.Popen([sys.executable, "manage.py", "runserver", f"{args.host}:{args.port}"], cwd=ROOT, env=env),
    ]

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        deadline = time.time() + 10
        for p in procs:
            try:
                p.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                p.kill()
        sys.exit(0)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        print_logins()
    except Exception:
        stop()
        raise
    while True:
        for name, p in zip(names, procs, strict=True):
            if p.poll() is not None:
                print(f"{name} exited with {p.returncode}; stopping.", file=sys.stderr)
                stop()
        time.sleep(1)


def print_logins() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    import django

    django.setup()
    from accounts.demo import DEMO_PASSWORD, DEMO_USERS

    print(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for email, role, _name, _profile in DEMO_USERS:
        print(f"  {role:<10} {email}")
    print()


if __name__ == "__main__":
    raise SystemExit(main())
