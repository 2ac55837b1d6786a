"""Seed the demo catalogue: supplier and buyer organisations, their offerings and needs. Idempotent.

Organisations are found by name (then by enterprise number) and created when missing, each with a demo
member when it has none. Items are found by title within their organisation and created when missing,
through the catalogue service (so validation, CPV codes and the search index are the real ones), then
published or opened unless the data marks them as drafts.
"""

import json
from collections.abc import Callable
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from matchmaker.extensions import db
from matchmaker.models import (
    Membership,
    MembershipRole,
    Need,
    Offering,
    Organisation,
    OrganisationKind,
    Role,
    Theme,
    User,
    Verification,
    utcnow,
)
from matchmaker.models.organisation import normalize_enterprise_number
from matchmaker.services import accounts
from matchmaker.services import catalogue as catalogue_service
from matchmaker.services.matching import jobs as matching_jobs
from matchmaker.services.themes import ensure_default_themes, slugify

DEMO_EMAIL_DOMAIN = "demo.matchmaker.example"
DATA_FILE = Path(__file__).resolve().parent / "catalogue.json"


@cache
def demo_content() -> dict:
    """The demo catalogue: {"suppliers", "buyers", "offerings", "needs"} (see the file's "_about")."""
    with DATA_FILE.open(encoding="utf-8") as handle:
        return json.load(handle)


def _find_organisation(spec: dict) -> Organisation | None:
    found = db.session.scalar(sa.select(Organisation).where(Organisation.name == spec["name"]).limit(1))
    if found is None and spec.get("enterprise_number"):
        number = normalize_enterprise_number(spec["enterprise_number"])
        found = db.session.scalar(sa.select(Organisation).where(Organisation.enterprise_number == number))
    return found


def _ensure_organisation(spec: dict) -> tuple[Organisation, bool]:
    organisation = _find_organisation(spec)
    if organisation is not None:
        return organisation, False
    organisation = Organisation(
        name=spec["name"],
        kind=spec["kind"],
        enterprise_number=normalize_enterprise_number(spec["enterprise_number"]),
        website=spec.get("website"),
        description=spec.get("description", ""),
        policy_domain=spec.get("policy_domain") if spec["kind"] == OrganisationKind.GOVERNMENT else None,
    )
    organisation.record_verification(Verification.VERIFIED, None, "Demo data.")
    db.session.add(organisation)
    db.session.flush()
    return organisation, True


def _ensure_member(organisation: Organisation) -> User:
    """A member who can act for the organisation: the first existing one, or a new demo account."""
    membership = db.session.scalar(
        sa.select(Membership)
        .where(Membership.organisation_id == organisation.id)
        .order_by(Membership.role, Membership.id)  # 'admin' sorts before 'member'
        .limit(1)
    )
    if membership is not None:
        return membership.user
    role = Role.BUYER if organisation.is_government else Role.SUPPLIER
    email = f"{slugify(organisation.name)[:40]}@{DEMO_EMAIL_DOMAIN}"
    user = accounts.get_user_by_email(email) or accounts.create_user(
        email=email,
        password=current_app.config["DEMO_PASSWORD"],
        display_name=f"Demo {organisation.name}"[:120],
        roles=(role.value,),
        confirmed=True,
    )
    db.session.add(Membership(user=user, organisation=organisation, role=MembershipRole.ADMIN))
    db.session.flush()
    return user


def _theme_ids(slugs: list[str], themes: dict[str, Theme]) -> list[int]:
    return [themes[slug].id for slug in slugs if slug in themes]


def _exists(model, organisation: Organisation, title: str) -> bool:
    return (
        db.session.scalar(
            sa.select(model.id).where(model.organisation_id == organisation.id, model.title == title).limit(1)
        )
        is not None
    )


def _spread_publication(item: Offering | Need, days_ago: int) -> None:
    """Give demo items different publication dates, so 'newest first' means something."""
    item.published_at = utcnow() - timedelta(days=days_ago, hours=days_ago % 7)
    item.created_at = item.published_at - timedelta(days=2)
    db.session.commit()


def _future(deadline: date) -> date:
    """Keep the demo usable after its dates have passed: move a past deadline on by whole years."""
    today = utcnow().date()
    while deadline < today:
        deadline = deadline.replace(year=deadline.year + 1)
    return deadline


def seed_demo_catalogue(progress: Callable[[str], None] = lambda message: None) -> str:
    """Create what is missing of the demo catalogue; returns a one-line report. The matching index takes
    the new items in one refit at the end."""
    with matching_jobs.one_refit_after():
        return _seed_demo_catalogue(progress)


def _seed_demo_catalogue(progress: Callable[[str], None]) -> str:
    content = demo_content()
    ensure_default_themes()
    themes = {t.slug: t for t in db.session.scalars(sa.select(Theme))}
    members: dict[str, User] = {}
    organisations_created = 0
    for spec in content["suppliers"] + content["buyers"]:
        organisation, created = _ensure_organisation(spec)
        organisations_created += created
        members[spec["name"]] = _ensure_member(organisation)
    db.session.commit()
    progress(f"Catalogue organisations: {organisations_created} created, {len(members)} in the demo.")

    offerings_created = 0
    for number, spec in enumerate(content["offerings"]):
        user = members[spec["organisation"]]
        if _exists(Offering, user.organisation, spec["title"]):
            continue
        offering = catalogue_service.create_offering(
            user,
            catalogue_service.OfferingInput(
                title=spec["title"],
                summary=spec["summary"],
                description=spec["description"],
                innovation_type=spec["innovation_type"],
                trl=spec.get("trl"),
                keywords=spec.get("keywords", ""),
                language=spec["language"],
                links=spec.get("links", ""),
                theme_ids=_theme_ids(spec["themes"], themes),
                cpv_codes=", ".join(spec["cpv"]),
            ),
        )
        offerings_created += 1
        if spec.get("status", "published") == "published":
            catalogue_service.publish_offering(user, offering)
            _spread_publication(offering, days_ago=(number * 5) % 180 + 1)
    progress(f"Demo offerings: {offerings_created} created.")

    needs_created = 0
    for number, spec in enumerate(content["needs"]):
        user = members[spec["organisation"]]
        if _exists(Need, user.organisation, spec["title"]):
            continue
        budget_min, budget_max = spec.get("budget") or (None, None)
        need = catalogue_service.create_need(
            user,
            catalogue_service.NeedInput(
                title=spec["title"],
                summary=spec["summary"],
                challenge=spec["challenge"],
                expected_outcome=spec["expected_outcome"],
                keywords=spec.get("keywords", ""),
                budget_min=budget_min,
                budget_max=budget_max,
                deadline=_future(date.fromisoformat(spec["deadline"])),
                procurement_route=spec["procurement_route"],
                language=spec["language"],
                registered_only=spec.get("registered_only", False),
                theme_ids=_theme_ids(spec["themes"], themes),
                cpv_codes=", ".join(spec["cpv"]),
            ),
        )
        needs_created += 1
        if spec.get("status", "open") == "open":
            catalogue_service.open_need(user, need)
            _spread_publication(need, days_ago=(number * 7) % 120 + 1)
    progress(f"Demo needs: {needs_created} created.")
    return (
        f"Demo catalogue: {organisations_created} organisations, {offerings_created} offerings "
        f"and {needs_created} needs created."
    )
