"""Quick writes (:mod:`web.writes`): committed, rolled back on an error, and the connection given back as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from web.models import Setting, db
from web.writes import quick_transaction


def test_a_quick_write_is_committed_and_the_connection_keeps_its_durability(app):
    with app.app_context():
        with quick_transaction() as connection:
            connection.execute(Setting.__table__.insert().values(key="quick", value="1"))
            raw = connection.connection.dbapi_connection
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL while it commits
            else:
                assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
        db.session.remove()
        assert db.session.scalar(select(Setting.value).where(Setting.key == "quick")) == "1"
        cursor = raw.cursor()
        if db.engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA synchronous")
            assert cursor.fetchone()[0] == 2  # FULL again for every other commit on this connection
        else:
            cursor.execute("SHOW synchronous_commit")
            after = cursor.fetchone()[0]
            cursor.execute("SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'")
            assert after == cursor.fetchone()[0]  # SET LOCAL ended with the transaction: the server's own again
        cursor.close()


def test_a_quick_write_that_fails_stores_nothing(app):
    with app.app_context():
        with pytest.raises(RuntimeError), quick_transaction() as connection:
            connection.execute(Setting.__table__.insert().values(key="half", value="1"))
            raise RuntimeError("the block failed")
        assert db.session.scalar(select(Setting.value).where(Setting.key == "half")) is None
