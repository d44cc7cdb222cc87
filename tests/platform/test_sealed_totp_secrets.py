"""The two-step sign-in secret at rest: sealed under a key derived from ODR_SECRET_KEY with odr.integrity.vault's
sealing (never the clear secret in the accounts table), moved by `odr keys reencrypt` together with the platform's
keys (all or none), and sealed by the migration that introduced it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pyotp
import pytest
from sqlalchemy import select, text

from odr import create_app
from odr.accounts.models import Account, Role, totp_seal_name
from odr.extensions import db
from odr.integrity import keys, vault
from tests.conftest import Browser, IsolatedClient, make_account
from tests.platform.test_second_factor import SECRET_RE, _code_step, _enrol, _password_step

OLD = "the-old-secret-key-of-the-deployment-0123456789"
NEW = "the-new-secret-key-of-the-deployment-9876543210"


def _row(account_id: int) -> dict:
    return dict(db.session.execute(text("SELECT * FROM accounts WHERE id = :id"), {"id": account_id}).mappings().one())


def test_the_accounts_table_never_holds_the_clear_secret_and_a_code_still_signs_in(app, world):
    browser = Browser(app, world.holder)
    browser.post("/profile/two-factor/start", form_page="/profile/two-factor")
    secret = SECRET_RE.search(browser.get("/profile/two-factor").get_data(as_text=True)).group(1).replace(" ", "")
    confirmed = browser.post(
        "/profile/two-factor/confirm", {"code": pyotp.TOTP(secret).now()}, form_page="/profile/two-factor"
    )
    assert confirmed.status_code == 200
    row = _row(world.holder.id)
    assert "totp_secret" not in row
    assert row["totp_sealed"].startswith(vault.SEAL_VERSION)
    for value in row.values():  # neither as text nor as bytes, in any column
        if isinstance(value, bytes | memoryview):
            assert secret.encode() not in bytes(value) and secret.lower().encode() not in bytes(value)
        else:
            assert secret not in str(value)

    db.session.refresh(world.holder)
    world.holder.totp_last_step = None
    db.session.commit()
    later = Browser(app)
    assert _password_step(later, world.holder).location.endswith("/login/code")
    assert _code_step(later, pyotp.TOTP(secret).now()).status_code == 302
    assert later.get("/profile").status_code == 200


def test_a_sealed_secret_opens_only_on_its_own_account(app, world):
    _enrol(world.mediator)
    world.holder.totp_sealed = world.mediator.totp_sealed  # copied onto another row
    db.session.commit()
    with pytest.raises(RuntimeError, match="cannot be opened"):
        _ = world.holder.totp_secret


# -- odr keys reencrypt ----------------------------------------------------------------------------------------


def _node(tmp_path, name, database_url, secret):
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / name),
            "DATABASE_URL": database_url,
            "SECRET_KEY": secret,
            "KEY_STORE": "database",
            "FLASK": {"TESTING": True},
        }
    )
    app.test_client_class = IsolatedClient
    return app


@pytest.fixture
def deployment(tmp_path, database_url):
    """A signing key and two accounts with two-step sign-in, all sealed under OLD; yields the app under OLD, the
    app under NEW and the accounts' secrets by e-mail address."""
    before, after = _node(tmp_path, "before", database_url, OLD), _node(tmp_path, "after", database_url, NEW)
    with before.app_context():
        db.create_all()
        keys.rotate(timedelta(days=1), datetime(2026, 12, 3, tzinfo=timezone.utc))
        db.session.commit()
        secrets = {}
        for role, email in ((Role.SELLER, "seller@example.cn"), (Role.MEDIATOR, "mediator@example.es")):
            account = make_account(role, email)
            secrets[email] = _enrol(account).secret
    try:
        yield before, after, secrets
    finally:
        with before.app_context():
            db.session.remove()
            db.drop_all()
            db.engine.dispose()
        with after.app_context():
            db.engine.dispose()


def _everything_sealed(app) -> dict[str, bytes]:
    with app.app_context():
        sealed = {row.name: row.sealed for row in db.session.scalars(select(vault.PlatformSecret))}
        for account in db.session.scalars(select(Account).where(Account.totp_sealed.is_not(None))):
            sealed[totp_seal_name(account.id)] = account.totp_sealed
        return sealed


def _reencrypt(app, old_secret: str):
    return app.test_cli_runner().invoke(args=["keys", "reencrypt"], env={"ODR_OLD_SECRET_KEY": old_secret})


def _signs_in_with_code(app, email: str, secret: str) -> bool:
    with app.app_context():
        account = db.session.scalar(select(Account).filter_by(email=email))
        account.totp_last_step = None
        db.session.commit()
        browser = Browser(app)
        assert _password_step(browser, account).location.endswith("/login/code")
        response = _code_step(browser, pyotp.TOTP(secret).now())
        assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
        return True


@pytest.mark.postgres
def test_reencryption_moves_the_two_step_secrets_with_the_keys_and_sign_in_works_after(deployment):
    before, after, secrets = deployment
    sealed_before = _everything_sealed(before)
    result = _reencrypt(after, OLD)
    assert result.exit_code == 0, result.output
    assert "2 two-step sign-in secret(s) sealed under the new ODR_SECRET_KEY" in result.output
    assert OLD not in result.output and NEW not in result.output
    sealed_after = _everything_sealed(after)
    assert sealed_after.keys() == sealed_before.keys()
    assert all(sealed_after[name] != sealed_before[name] for name in sealed_before)
    for email, secret in secrets.items():
        assert _signs_in_with_code(after, email, secret), email
        with after.app_context():
            assert db.session.scalar(select(Account).filter_by(email=email)).totp_secret == secret
    with before.app_context():
        account = db.session.scalar(select(Account).filter_by(email="seller@example.cn"))
        with pytest.raises(RuntimeError, match="cannot be opened with this ODR_SECRET_KEY"):
            _ = account.totp_secret


@pytest.mark.postgres
def test_a_wrong_old_secret_changes_nothing(deployment):
    before, after, secrets = deployment
    sealed = _everything_sealed(before)
    result = _reencrypt(after, "not-the-old-secret-key-of-this-deployment-000")
    assert result.exit_code != 0 and "nothing was changed" in result.output
    assert _everything_sealed(before) == sealed
    assert _signs_in_with_code(before, "seller@example.cn", secrets["seller@example.cn"])


def test_one_two_step_secret_the_old_secret_cannot_open_stops_every_move(deployment):
    """All or none: the platform's keys open with the old secret, one account's secret does not (sealed under
    the new one already), so nothing moves."""
    before, after, _secrets = deployment
    with after.app_context():
        account = db.session.scalar(select(Account).filter_by(email="mediator@example.es"))
        account.totp_secret = pyotp.random_base32()  # sealed under NEW
        db.session.commit()
    sealed = _everything_sealed(before)
    result = _reencrypt(after, OLD)
    assert result.exit_code != 0
    assert "sealed under the current ODR_SECRET_KEY already" in result.output
    assert _everything_sealed(before) == sealed


# -- the migration ---------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_the_migration_seals_the_clear_secrets_and_the_downgrade_opens_them(tmp_path, database_url):
    from flask_migrate import downgrade, upgrade

    app = create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": database_url, "SECRET_KEY": OLD})
    secret = pyotp.random_base32()
    with app.app_context():
        upgrade(revision="a11e9d0c4b21")
        db.session.execute(
            text(
                "INSERT INTO accounts (id, email, password_hash, display_name, role, languages, active, created_at,"
                " totp_secret) VALUES (7, 'm@example.es', 'x', 'm', 'mediator', 'es', :yes, :now, :secret)"
            ),
            {"yes": True, "now": datetime(2026, 12, 3, tzinfo=timezone.utc), "secret": secret},
        )
        db.session.commit()
        upgrade()
        row = _row(7)
        assert "totp_secret" not in row and secret.encode() not in bytes(row["totp_sealed"])
        assert vault.unseal(totp_seal_name(7), bytes(row["totp_sealed"])).decode() == secret
        assert db.session.get(Account, 7).totp_secret == secret
        db.session.commit()
        downgrade(revision="a11e9d0c4b21")
        assert _row(7)["totp_secret"] == secret
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
