"""Setting up a new platform from a shell: the first administrator, the default themes and pages, and
demo data refused where it is not wanted."""

import os

import pytest
import sqlalchemy as sa

from config import DevelopmentConfig, ProductionConfig
from matchmaker.extensions import db
from matchmaker.models import Page, Theme, User
from matchmaker.services import accounts

STRONG = "Correct-horse-battery-staple-9"


def user(email: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(User).where(User.email == email))


def test_create_admin_makes_a_confirmed_administrator_who_can_log_in(runner, client):
    result = runner.invoke(
        args=["admin", "create-admin", "Root@Example.be", "--name", "Ria Root"], input=f"{STRONG}\n{STRONG}\n"
    )
    assert result.exit_code == 0, result.output
    assert "root@example.be created as administrator" in result.output
    admin = user("root@example.be")
    assert admin.display_name == "Ria Root" and admin.email_confirmed_at is not None
    assert {"admin", "organizer"} <= set(admin.role_names)
    assert accounts.verify_password(admin, STRONG)
    response = client.post("/auth/login", data={"email": "root@example.be", "password": STRONG})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_create_admin_refuses_a_weak_password_and_creates_nothing(runner):
    result = runner.invoke(args=["admin", "create-admin", "root@example.be"], input="short\nshort\n")
    assert result.exit_code != 0
    assert "characters" in result.output
    assert user("root@example.be") is None


def test_create_admin_refuses_what_is_not_an_email_address(runner):
    result = runner.invoke(args=["admin", "create-admin", "not-an-address", "--password", STRONG])
    assert result.exit_code == 2 and "not an email address" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_create_admin_grants_the_roles_to_an_existing_account_and_keeps_its_password(runner, make_user):
    existing = make_user(email="procurer@example.be", roles=("buyer",))
    old_hash = existing.password_hash
    result = runner.invoke(args=["admin", "create-admin", "procurer@example.be", "--password", STRONG])
    assert result.exit_code == 0, result.output
    assert "password unchanged" in result.output
    again = user("procurer@example.be")
    assert {"admin", "organizer", "buyer"} <= set(again.role_names)
    assert again.password_hash == old_hash


def test_set_up_creates_the_themes_and_pages_once(runner):
    first = runner.invoke(args=["admin", "set-up"])
    assert first.exit_code == 0, first.output
    themes = db.session.scalar(sa.select(sa.func.count(Theme.id)))
    pages = db.session.scalar(sa.select(sa.func.count(Page.id)))
    assert themes >= 10 and pages >= 5
    second = runner.invoke(args=["admin", "set-up"])
    assert second.exit_code == 0 and "0 themes created" in second.output
    assert db.session.scalar(sa.select(sa.func.count(Theme.id))) == themes
    assert db.session.scalar(sa.select(sa.func.count(Page.id))) == pages


def test_demo_data_is_refused_where_it_is_not_allowed(app, runner):
    app.config["DEMO_DATA_ALLOWED"] = False
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 1 and "demo data is refused here" in result.output
    assert user("admin@example.org") is None


@pytest.mark.skipif("DEMO_DATA_ALLOWED" in os.environ, reason="the environment decides")
def test_production_refuses_demo_data_unless_asked():
    assert ProductionConfig.DEMO_DATA_ALLOWED is False
    assert DevelopmentConfig.DEMO_DATA_ALLOWED is True
