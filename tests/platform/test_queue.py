"""The queue runs on Huey: SQLite storage by default, Redis storage when ODR_REDIS_URL is set."""

import os

import pytest
from huey import RedisHuey, SqliteHuey

from odr import queue as tasks

REDIS_URL = os.environ.get("ODR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def test_sqlite_storage_by_default(monkeypatch, tmp_path):
    monkeypatch.delenv("ODR_REDIS_URL", raising=False)
    monkeypatch.setenv("ODR_QUEUE_PATH", str(tmp_path / "queue.sqlite3"))
    queue = tasks._make_huey()
    assert isinstance(queue, SqliteHuey)
    _enqueue_and_run(queue)


def test_redis_storage_when_configured(monkeypatch):
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("Redis is not running here (it always runs on CI)")
    monkeypatch.setenv("ODR_REDIS_URL", REDIS_URL)
    queue = tasks._make_huey()
    assert isinstance(queue, RedisHuey)
    queue.flush()
    try:
        _enqueue_and_run(queue)
    finally:
        queue.flush()


def _enqueue_and_run(queue):
    @queue.task()
    def add(a, b):
        return a + b

    result = add(2, 3)
    assert queue.pending_count() == 1
    task = queue.dequeue()
    queue.execute(task)
    assert result.get() == 5
