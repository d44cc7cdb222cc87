"""What a transaction has read once is trusted until it ends, and never after: another may change those rows."""

from odr.extensions import db
from odr.models_base import transaction_memo


def test_a_memo_lasts_as_long_as_its_transaction(app):
    with app.app_context():
        db.session.connection()
        transaction_memo(db.session, "seen")[1] = "read"
        assert transaction_memo(db.session, "seen") == {1: "read"}
        assert transaction_memo(db.session, "other") == {}
        db.session.commit()
        assert transaction_memo(db.session, "seen") == {}


def test_a_rollback_even_of_a_savepoint_forgets_what_was_read(app):
    with app.app_context():
        db.session.connection()
        transaction_memo(db.session, "seen")[1] = "read"
        savepoint = db.session.begin_nested()
        savepoint.rollback()
        assert transaction_memo(db.session, "seen") == {}
        transaction_memo(db.session, "seen")[2] = "read"
        db.session.rollback()
        assert transaction_memo(db.session, "seen") == {}


def test_closing_the_session_forgets_what_was_read(app):
    with app.app_context():
        db.session.connection()
        transaction_memo(db.session, "seen")[1] = "read"
        db.session.close()
        assert transaction_memo(db.session, "seen") == {}
