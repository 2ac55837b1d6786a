"""The Alembic migrations and the models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from matchmaker.extensions import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], f"models and migrations differ; add a migration: {differences}"


def test_the_profiles_move_out_of_match_item_and_back(tmp_path):
    """0033 moves each live item's profile from match_item to match_profile (a removed item's tombstone has
    none); its downgrade puts them back."""
    import json

    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from matchmaker import create_app
    from tests.helpers import TestConfig

    url = f"sqlite:///{tmp_path / 'migrate.db'}"
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    profile = {"terms": [["bus", 0.5]], "codes": [], "themes": ["mobility"]}
    with app.app_context():
        upgrade(revision="0032")
        with db.engine.begin() as connection:
            connection.execute(
                sa.text(
                    "INSERT INTO match_item (generation, kind, item_id, live, version, seq, kth_score, "
                    "listed, profile) VALUES (1, 'need', 7, 1, 1, 0, 0.2, 3, :p), "
                    "(1, 'offering', 8, 0, NULL, 2, 0, 0, NULL)"
                ),
                {"p": json.dumps(profile)},
            )
        upgrade(revision="0033")
        with db.engine.connect() as connection:
            moved = connection.execute(
                sa.text("SELECT generation, kind, item_id, profile FROM match_profile")
            )
            assert [(g, k, i, json.loads(p)) for g, k, i, p in moved] == [(1, "need", 7, profile)]
            columns = {c["name"] for c in sa.inspect(connection).get_columns("match_item")}
            assert "profile" not in columns and {"listed", "kth_score"} <= columns
        downgrade(revision="0032")
        with db.engine.connect() as connection:
            back = connection.execute(
                sa.text("SELECT kind, item_id, profile FROM match_item ORDER BY item_id")
            )
            assert [(k, i, json.loads(p) if p else None) for k, i, p in back] == [
                ("need", 7, profile),
                ("offering", 8, None),
            ]
        db.engine.dispose()
