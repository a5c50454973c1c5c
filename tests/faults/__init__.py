"""Fault tests (issue 10): killed Celery workers, a Redis restart, a dropped PostgreSQL connection.

Run against real services, with a database and Redis DB of your own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/h_faults REDIS_URL=redis://127.0.0.1:6379/0 \\
        TEST_REDIS_DB=9 .venv/bin/pytest tests/faults -q

Worker subprocesses use the pytest test database and Redis DB $TEST_REDIS_DB (default 9), each
in its own process group, stopped in fixture teardown even when a test fails. The Redis restart
tests start their own throwaway redis-server on a free port; the shared one is never touched.
"""
