"""`odr keys reencrypt`: after the operator changes ODR_SECRET_KEY, the keys sealed in the database move from the
old secret to the new one, all together, and only when the old secret really opens them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from odr import create_app
from odr.extensions import db
from odr.integrity import keys, vault
from odr.linkage.services import linkage_key

OLD = "the-old-secret-key-of-the-deployment-0123456789"
NEW = "the-new-secret-key-of-the-deployment-9876543210"


def _node(tmp_path, name, database_url, secret):
    return create_app(
        {
            "INSTANCE_PATH": str(tmp_path / name),
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret,
            "KEY_STORE": "database",
            "FLASK": {"TESTING": True},
        }
    )


@pytest.fixture
def deployment(tmp_path, database_url):
    """A deployment whose signing keys (one retired by a rotation), key log and linkage key are sealed under OLD;
    yields (the app under OLD, the app under NEW, what the keys were)."""
    before, after = _node(tmp_path, "before", database_url, OLD), _node(tmp_path, "after", database_url, NEW)
    with before.app_context():
        db.create_all()
        old, new = keys.rotate(timedelta(days=1), datetime(2026, 12, 3, tzinfo=timezone.utc))
        linkage = linkage_key()
        db.session.commit()
        known = {"signing": new.key_id, "retired": old.key_id, "log": keys.key_log_bytes(), "linkage": linkage}
    try:
        yield before, after, known
    finally:
        with before.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        with after.app_context():
            db.engine.dispose()


def _sealed(app) -> dict[str, bytes]:
    with app.app_context():
        return {row.name: row.sealed for row in db.session.scalars(select(vault.PlatformSecret))}


def _reencrypt(app, old_secret: str | None, prompt: str | None = None):
    env = {"ODR_OLD_SECRET_KEY": old_secret} if old_secret is not None else {"ODR_OLD_SECRET_KEY": ""}
    return app.test_cli_runner().invoke(args=["keys", "reencrypt"], env=env, input=prompt)


@pytest.mark.postgres
def test_a_changed_secret_key_opens_the_same_keys_after_reencryption(deployment):
    before, after, known = deployment
    with after.app_context(), pytest.raises(RuntimeError, match="cannot be opened with this ODR_SECRET_KEY"):
        keys.platform_key()
    result = _reencrypt(after, OLD)
    assert result.exit_code == 0, result.output
    assert "4 key(s) sealed under the new ODR_SECRET_KEY" in result.output
    assert OLD not in result.output and NEW not in result.output
    with after.app_context():
        assert keys.platform_key().key_id == known["signing"]  # the same key signs: courts' pins still hold
        assert keys.key_log_bytes() == known["log"]
        assert [k["key_id"] for k in keys.key_history(keys.read_key_log())] == [known["retired"], known["signing"]]
        assert vault.read_row(f"{keys.SIGNING}.retired-{known['retired'][:16]}")
        assert linkage_key() == known["linkage"]
    with before.app_context(), pytest.raises(RuntimeError, match="cannot be opened with this ODR_SECRET_KEY"):
        keys.platform_key()  # a node still on the old secret can no longer open them


@pytest.mark.postgres
def test_a_wrong_old_secret_is_refused_and_nothing_changes(deployment):
    _before, after, _known = deployment
    sealed = _sealed(after)
    result = _reencrypt(after, "not-the-old-secret-key-0123456789abcdef")
    assert result.exit_code != 0 and "does not open" in result.output and "nothing was changed" in result.output
    assert _sealed(after) == sealed


def test_a_second_run_says_the_keys_are_sealed_under_the_new_secret_already(deployment):
    _before, after, _known = deployment
    assert _reencrypt(after, OLD).exit_code == 0
    sealed = _sealed(after)
    again = _reencrypt(after, OLD)
    assert again.exit_code != 0 and "under the current ODR_SECRET_KEY already" in again.output
    assert _sealed(after) == sealed


def test_the_old_secret_is_asked_for_when_not_in_the_environment(deployment):
    _before, after, known = deployment
    result = _reencrypt(after, None, prompt=OLD + "\n")
    assert result.exit_code == 0, result.output
    assert OLD not in result.output  # typed without echo
    with after.app_context():
        assert keys.platform_key().key_id == known["signing"]


def test_the_same_secret_twice_is_refused(deployment):
    before, _after, _known = deployment
    result = _reencrypt(before, OLD)
    assert result.exit_code != 0 and "is the current ODR_SECRET_KEY" in result.output


def test_one_row_that_the_old_secret_does_not_open_stops_them_all(deployment):
    """The last row altered (a flipped byte): the rows before it, which the old secret opens, stay as they were."""
    _before, after, known = deployment
    retired = f"{keys.SIGNING}.retired-{known['retired'][:16]}"
    with after.app_context():
        assert max(vault.row_names()) == retired
        row = db.session.get(vault.PlatformSecret, retired)
        row.sealed = row.sealed[:-1] + bytes([row.sealed[-1] ^ 1])
        db.session.commit()
    sealed = _sealed(after)
    result = _reencrypt(after, OLD)
    assert result.exit_code != 0 and f"does not open platform secret {retired!r}" in result.output
    assert _sealed(after) == sealed
