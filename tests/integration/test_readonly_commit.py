"""A request that only read ends its transaction with COMMIT (matchmaker/readonly.py), which keeps psycopg's
prepared statements; anything that wrote, or left a change pending, or failed, ends as before: what the view
did not commit is not saved."""

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from matchmaker.extensions import db
from matchmaker.models import Theme
from matchmaker.services.kernel import generic_plans


@pytest.fixture
def ends(app):
    """How each transaction on the engine ended, in order."""
    seen: list[str] = []

    def committed(_connection):
        seen.append("commit")

    def rolled_back(_connection):
        seen.append("rollback")

    event.listen(db.engine, "commit", committed)
    event.listen(db.engine, "rollback", rolled_back)
    yield seen
    event.remove(db.engine, "commit", committed)
    event.remove(db.engine, "rollback", rolled_back)


@pytest.mark.fresh_app
def test_a_request_that_only_read_commits_and_one_that_wrote_keeps_nothing_it_did_not_commit(
    app, client, ends, make_theme
):
    theme = make_theme(slug="mobility", nl="Mobiliteit", fr="Mobilité", en="Mobility")
    theme_id = theme.id

    @app.get("/read-for-test")
    def read():
        return str(db.session.scalar(sa.select(sa.func.count(Theme.id))))

    @app.get("/write-without-commit-for-test")
    def write():
        db.session.execute(sa.update(Theme).where(Theme.id == theme_id).values(name_en="Changed"))
        return "written"

    @app.get("/pending-change-for-test")
    def pending():
        db.session.get(Theme, theme_id).name_en = "Pending"
        return "pending"

    @app.get("/with-cte-for-test")
    def with_cte():
        db.session.execute(
            sa.text(
                "WITH t AS (SELECT id FROM theme) "
                "UPDATE theme SET name_en = 'Cte' WHERE id IN (SELECT id FROM t)"
            )
        )
        return "cte"

    # (SQLite's Python driver opens no transaction for a statement that begins with WITH: it commits itself.)
    writes = ["/write-without-commit-for-test", "/pending-change-for-test"]
    if db.engine.dialect.name == "postgresql":
        writes.append("/with-cte-for-test")
    db.session.commit()
    ends.clear()
    assert client.get("/read-for-test").get_data(as_text=True) == "1"
    assert ends == ["commit"]
    for path in writes:
        ends.clear()
        assert client.get(path).status_code == 200
        assert "commit" not in ends, path
        db.session.rollback()  # the test's own session: what the request left (the app context outlives it)
        assert db.session.get(Theme, theme_id).name_en == "Mobility", path


def test_a_pages_statements_stay_prepared_from_one_request_to_the_next(app, client, auth, catalogue):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("psycopg's prepared statements are PostgreSQL's")
    auth.login(catalogue.buyer.user)
    db.session.commit()
    db.engine.dispose()  # one connection from now on: the requests run one after the other, as in a worker
    for _ in range(7):
        assert client.get("/matches/").status_code == 200
        db.session.remove()  # as the end of a request's app context does (the test's own context outlives it)
    prepared = db.session.connection().exec_driver_sql("SELECT statement FROM pg_prepared_statements").all()
    assert any("match_pair" in statement for (statement,) in prepared), prepared


def test_the_proposals_ranked_query_is_planned_once(app, client, auth, catalogue):
    """PostgreSQL planned the ranked query anew at every request (a custom plan: as long as running it); with
    its constants written in and under generic_plans() it runs its one generic plan."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("plans of prepared statements are PostgreSQL's")
    auth.login(catalogue.buyer.user)
    db.session.commit()
    db.engine.dispose()  # one connection, as a worker's
    for _ in range(9):
        assert client.get("/matches/").status_code == 200
        db.session.remove()
    plans = (
        db.session.connection()
        .exec_driver_sql(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE '%%JOIN LATERAL%%'"
        )
        .all()
    )
    assert len(plans) == 1, plans
    generic, custom = plans[0]
    assert generic >= 3 and custom == 0, plans


def test_generic_plans_hold_for_the_block_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("plan_cache_mode is PostgreSQL's")
    show = "SELECT current_setting('plan_cache_mode')"
    with generic_plans():
        assert db.session.execute(sa.text(show)).scalar() == "force_generic_plan"
    assert db.session.execute(sa.text(show)).scalar() == "auto"
    db.session.rollback()
