"""Themes: the thematic areas of the initiative. Organizers and administrators manage the list."""

import re
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from matchmaker.extensions import db
from matchmaker.models import Role, Theme, User
from matchmaker.services import ServiceError, commit
from matchmaker.textutil import fold, one_line

# (slug, Dutch, French, English): the policy fields the meet & greets are organised around.
DEFAULT_THEMES: tuple[tuple[str, str, str, str], ...] = (
    ("mobility", "Mobiliteit", "Mobilité", "Mobility"),
    ("energy", "Energie", "Énergie", "Energy"),
    ("climate-environment", "Klimaat en omgeving", "Climat et environnement", "Climate and environment"),
    ("health-care", "Gezondheid en zorg", "Santé et soins", "Health and care"),
    ("digital-government", "Digitale overheid", "Administration numérique", "Digital government"),
    ("culture-media", "Cultuur en media", "Culture et médias", "Culture and media"),
    ("education", "Onderwijs", "Enseignement", "Education"),
    ("economy-work", "Economie en werk", "Économie et emploi", "Economy and work"),
    ("agriculture-food", "Landbouw en voeding", "Agriculture et alimentation", "Agriculture and food"),
    ("safety-justice", "Veiligheid en justitie", "Sécurité et justice", "Safety and justice"),
    (
        "construction-infrastructure",
        "Bouw en infrastructuur",
        "Construction et infrastructures",
        "Construction and infrastructure",
    ),
    ("water", "Water", "Eau", "Water"),
    ("welfare-social", "Welzijn en samenleving", "Bien-être et société", "Welfare and society"),
    ("circular-economy", "Circulaire economie", "Économie circulaire", "Circular economy"),
)

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass
class ThemeInput:
    slug: str
    name_nl: str
    name_fr: str
    name_en: str
    description: str = ""
    position: int = 0


def can_manage_themes(user) -> bool:
    return bool(user is not None and user.has_role(Role.ORGANIZER, Role.ADMIN))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:60]


def ensure_default_themes() -> int:
    """Create the default themes that are missing (matched on slug); returns how many were created."""
    existing = set(db.session.scalars(sa.select(Theme.slug)))
    created = 0
    for position, (slug, nl, fr, en) in enumerate(DEFAULT_THEMES, start=1):
        if slug not in existing:
            db.session.add(Theme(slug=slug, name_nl=nl, name_fr=fr, name_en=en, position=position * 10))
            created += 1
    commit()
    return created


def list_themes(active_only: bool = True) -> list[Theme]:
    query = sa.select(Theme).order_by(Theme.position, Theme.slug)
    if active_only:
        query = query.where(Theme.active.is_(True))
    return list(db.session.scalars(query))


def _check(user: User, data: ThemeInput, theme: Theme | None = None) -> None:
    if not can_manage_themes(user):
        raise ServiceError(_("Only organizers and administrators can manage themes."))
    if not _SLUG.match(data.slug or ""):
        raise ServiceError(_("The short name may contain only lower-case letters, digits and hyphens."))
    clash = db.session.scalar(sa.select(Theme).where(Theme.slug == data.slug))
    if clash is not None and clash is not theme:
        raise ServiceError(_("Another theme already uses this short name."))
    if not all(one_line(name) for name in (data.name_nl, data.name_fr, data.name_en)):
        raise ServiceError(_("Give the theme a name in Dutch, French and English."))


def _clean(text: str | None) -> str:
    return (text or "").replace("\x00", "").strip()


def _apply(theme: Theme, data: ThemeInput) -> None:
    theme.slug = data.slug
    theme.name_nl = one_line(data.name_nl)
    theme.name_fr = one_line(data.name_fr)
    theme.name_en = one_line(data.name_en)
    theme.description = _clean(data.description)
    theme.position = data.position or 0


def create_theme(user: User, data: ThemeInput) -> Theme:
    _check(user, data)
    theme = Theme()
    _apply(theme, data)
    db.session.add(theme)
    commit()
    return theme


def update_theme(user: User, theme: Theme, data: ThemeInput) -> Theme:
    _check(user, data, theme)
    _apply(theme, data)
    commit()
    return theme


def set_theme_active(user: User, theme: Theme, active: bool) -> Theme:
    """Deactivated themes stay on the items that have them but can no longer be chosen."""
    if not can_manage_themes(user):
        raise ServiceError(_("Only organizers and administrators can manage themes."))
    theme.active = active
    commit()
    return theme


def seed_default_themes(progress=None) -> str:
    """Demo and first-run step: the default themes (see matchmaker.demo.STEPS)."""
    return f"themes: {ensure_default_themes()} created"
