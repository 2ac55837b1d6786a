"""Demo data: `flask seed-demo` creates realistic organisations and accounts, and only once."""

import pytest
import sqlalchemy as sa

from matchmaker import demo
from matchmaker.extensions import db
from matchmaker.models import Membership, MembershipRole, Organisation, User, UserRole
from matchmaker.models.organisation import is_valid_enterprise_number
from matchmaker.services import accounts


def counts() -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (User, UserRole, Organisation, Membership)
    }


@pytest.fixture
def foundation_only(monkeypatch):
    """Seed only this area's steps: the later areas' steps have their own tests."""
    monkeypatch.setattr(demo, "STEPS", list(demo.FOUNDATION_STEPS))


@pytest.fixture
def seeded(app, foundation_only):
    demo.seed_demo_data()
    db.session.expire_all()


def test_seeding_twice_creates_nothing_new(app):
    """Every step, the later areas' too (slow: the one test that runs the whole demo)."""
    demo.seed_demo_data()
    first = counts()
    demo.seed_demo_data()
    assert counts() == first
    # ... and the later steps found the foundation's organisations instead of adding look-alikes.
    names = list(db.session.scalars(sa.select(Organisation.name)))
    assert len(names) == len(set(names)) >= len(demo.ORGANISATIONS)


def test_foundation_creates_the_listed_organisations(app, foundation_only):
    demo.seed_demo_data()
    assert counts()["Organisation"] == len(demo.ORGANISATIONS)


@pytest.mark.parametrize(
    ("email", "role"),
    [("admin@example.org", "admin"), ("organizer@example.org", "organizer"),
     ("buyer@example.org", "buyer"), ("supplier@example.org", "supplier")],
)
def test_demo_account_logs_in_with_the_demo_password(app, seeded, email, role):
    user = accounts.get_user_by_email(email)
    assert accounts.verify_password(user, app.config["DEMO_PASSWORD"])
    assert user.email_confirmed and user.active
    assert user.has_role(role)


def test_demo_buyer_belongs_to_a_government_entity(seeded):
    buyer = accounts.get_user_by_email("buyer@example.org")
    assert buyer.organisation.kind == "government"
    assert buyer.membership.role == MembershipRole.ADMIN


def test_demo_supplier_belongs_to_a_startup(seeded):
    supplier = accounts.get_user_by_email("supplier@example.org")
    assert supplier.organisation.kind == "startup"
    assert supplier.membership.role == MembershipRole.ADMIN


def test_every_enterprise_number_is_valid_and_unique(seeded):
    numbers = list(db.session.scalars(sa.select(Organisation.enterprise_number)))
    assert numbers and all(is_valid_enterprise_number(number) for number in numbers)
    assert len(set(numbers)) == len(numbers)


def test_government_buyers_come_from_several_policy_domains(seeded):
    statement = sa.select(Organisation.policy_domain).where(Organisation.kind == "government")
    domains = set(db.session.scalars(statement))
    assert None not in domains
    assert len(domains) >= 5


def test_demo_has_research_centres_start_ups_and_smes(seeded):
    kinds = set(db.session.scalars(sa.select(Organisation.kind)))
    assert {"government", "research_centre", "startup", "sme"} <= kinds
    names = set(db.session.scalars(sa.select(Organisation.name)))
    assert {"imec", "VITO", "VIB", "Flanders Make"} <= names


def test_every_organisation_has_an_administrator_and_more_members(seeded):
    for organisation in db.session.scalars(sa.select(Organisation)):
        roles = [membership.role for membership in organisation.memberships]
        assert MembershipRole.ADMIN in roles, organisation.name
        assert len(roles) >= 2, organisation.name


def test_members_have_the_platform_role_of_their_organisation(seeded):
    for membership in db.session.scalars(sa.select(Membership)):
        expected = "buyer" if membership.organisation.kind == "government" else "supplier"
        assert membership.user.has_role(expected), membership.user.email


def test_a_later_step_runs_after_the_foundation(app, foundation_only, monkeypatch):
    seen = []

    def count_users(progress):
        seen.append(db.session.scalar(sa.select(sa.func.count()).select_from(User)))
        return "users counted"

    monkeypatch.setattr(demo, "STEPS", [*demo.STEPS, ("count", count_users)])
    messages = []
    demo.seed_demo_data(progress=messages.append)
    assert seen and seen[0] > 4
    assert any("users counted" in message for message in messages)


def test_seed_demo_command_prints_progress(runner, foundation_only):
    result = runner.invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert "[1/" in result.output
    assert "buyer@example.org" in result.output


def test_the_demo_has_verified_organisations_and_one_waiting_for_verification(seeded):
    states = dict(db.session.execute(sa.select(Organisation.name, Organisation.verification)).all())
    waiting = [name for name, state in states.items() if state == "unverified"]
    assert waiting == ["Gemeentelijk Havenbedrijf Voorbeeldstad"]
    assert all(state == "verified" for name, state in states.items() if name not in waiting)
