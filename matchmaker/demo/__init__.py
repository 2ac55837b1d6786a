"""Demo data (`flask demo seed`), out of the services: Flemish organisations and accounts. Idempotent.

`seed_demo_data` runs the steps in `STEPS` in order. A step is a function `step(progress) -> str` that
creates what is missing (finding existing rows by a natural key: email, enterprise number, name) and
returns a one-line report. Later areas add their own step to `STEPS` (catalogue, events, ...); the steps
here make the organisations and the people the others build on.

The government entities exist; their people, and the start-ups and SMEs, are invented. Every account
uses the password in the configuration's DEMO_PASSWORD. The organisations and their enterprise numbers
agree with the demo catalogue (matchmaker/demo/catalogue.json), so both steps find the same rows.
"""

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app

from matchmaker.extensions import db
from matchmaker.models import (
    Membership,
    MembershipRole,
    Organisation,
    OrganisationKind,
    Role,
    User,
    UserRole,
    Verification,
    utcnow,
)
from matchmaker.models.organisation import is_valid_enterprise_number, normalize_enterprise_number
from matchmaker.services import accounts
from matchmaker.services.content import seed_default_pages
from matchmaker.services.knowledge import seed_knowledge_base
from matchmaker.services.themes import seed_default_themes

Progress = Callable[[str], None]
DemoStep = Callable[[Progress], str]


@dataclass(frozen=True)
class DemoPerson:
    name: str
    email: str = ""  # derived from the name and the organisation when empty
    admin: bool = False
    language: str = "nl"


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    kind: str
    enterprise_number: str
    website: str
    description: str
    policy_domain: str | None = None
    email_domain: str = ""
    people: tuple[DemoPerson, ...] = field(default_factory=tuple)
    verified: bool = True  # one demo organisation waits in the administrators' verification queue


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[str, ...]
    organisation: str | None = None  # name of a DemoOrganisation; the account is its administrator
    language: str = "nl"


# The four accounts the README and the demo script use.
ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin@example.org", "Ilse Verbruggen", (Role.ADMIN,)),
    DemoAccount("organizer@example.org", "Karel Van Acker", (Role.ORGANIZER,)),
    DemoAccount(
        "buyer@example.org", "Annelies De Wolf", (Role.BUYER,), organisation="Agentschap Wegen en Verkeer"
    ),
    DemoAccount(
        "supplier@example.org", "Jonas Vermeersch", (Role.SUPPLIER,), organisation="Verkeerslicht.ai"
    ),
)

GOV = OrganisationKind.GOVERNMENT

ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    # --- Government buyers, from several policy domains ---
    DemoOrganisation(
        "Agentschap Innoveren & Ondernemen", GOV, "0885431242", "https://www.vlaio.be",
        "Ondersteunt ondernemers in Vlaanderen bij innovatie, groei en internationalisering, en begeleidt "
        "overheden bij innovatieve aankopen.",
        policy_domain="ewi", email_domain="vlaio.example.org",
        people=(
            DemoPerson("Sofie Maes", admin=True), DemoPerson("Pieter Jacobs"), DemoPerson("Lotte Mertens")
        ),
    ),
    DemoOrganisation(
        "Departement Economie, Wetenschap en Innovatie", GOV, "0811903064", "https://www.ewi-vlaanderen.be",
        "Bereidt het Vlaamse beleid voor economie, wetenschap en innovatie voor en evalueert het.",
        policy_domain="ewi", email_domain="ewi.example.org",
        people=(DemoPerson("Koen Willems", admin=True), DemoPerson("Els Claes")),
    ),
    DemoOrganisation(
        "Departement Omgeving", GOV, "0786359006", "https://omgeving.vlaanderen.be",
        "Werkt aan een duurzame leefomgeving: ruimtelijke ordening, milieu, natuur, energie en klimaat.",
        policy_domain="omg", email_domain="omgeving.example.org",
        people=(
            DemoPerson("Tom Goossens", admin=True), DemoPerson("Nathalie Wouters"), DemoPerson("Bart De Smet")
        ),
    ),
    DemoOrganisation(
        "Vlaamse Milieumaatschappij", GOV, "0408395338", "https://www.vmm.be",
        "Meet en beheert de kwaliteit van water en lucht in Vlaanderen en werkt aan klimaatadaptatie.",
        policy_domain="omg", email_domain="vmm.example.org",
        people=(DemoPerson("Julie Hermans", admin=True), DemoPerson("Wim Vermeulen")),
    ),
    DemoOrganisation(
        "Agentschap Wegen en Verkeer", GOV, "0974638776", "https://wegenenverkeer.be",
        "Beheert de gewestwegen en autosnelwegen in Vlaanderen en zorgt voor veilig en vlot verkeer.",
        policy_domain="mow", email_domain="awv.example.org",
        people=(DemoPerson("Sarah El Amrani", admin=True), DemoPerson("Mehdi Benali")),
    ),
    DemoOrganisation(
        "De Werkvennootschap", GOV, "0732451948", "https://www.dewerkvennootschap.be",
        "Regisseert de grote mobiliteitsprojecten in Vlaanderen, zoals de ring rond Antwerpen en Brussel.",
        policy_domain="mow", email_domain="dewerkvennootschap.example.org",
        people=(DemoPerson("Ines Desmet", admin=True), DemoPerson("Lucas Van den Broeck")),
    ),
    DemoOrganisation(
        "Digitaal Vlaanderen", GOV, "0451867273", "https://www.vlaanderen.be/digitaal-vlaanderen",
        "Zorgt voor de digitale transformatie van de Vlaamse overheid en de lokale besturen.",
        policy_domain="kb", email_domain="digitaal.example.org",
        people=(DemoPerson("Emma Verstraeten", admin=True), DemoPerson("Arne Coppens"),
                DemoPerson("Hanne Dubois", language="fr")),
    ),
    DemoOrganisation(
        "Departement Cultuur, Jeugd en Media", GOV, "0441539743", "https://www.vlaanderen.be/cjm",
        "Ondersteunt cultuur, jeugdwerk en media in Vlaanderen en Brussel.",
        policy_domain="cjsm", email_domain="cjm.example.org",
        people=(DemoPerson("Fien Van Damme", admin=True), DemoPerson("Joris Declercq")),
    ),
    DemoOrganisation(
        "Departement Zorg", GOV, "0299040706", "https://www.departementzorg.be",
        "Werkt aan een toegankelijke en kwaliteitsvolle zorg en aan preventie in Vlaanderen.",
        policy_domain="wvg", email_domain="zorg.example.org",
        people=(DemoPerson("Karolien Aerts", admin=True), DemoPerson("Stijn Michiels")),
    ),
    # --- Research centres ---
    DemoOrganisation(
        "imec", OrganisationKind.RESEARCH_CENTRE, "0278962003", "https://www.imec-int.com",
        "Onderzoekscentrum voor nano-elektronica en digitale technologie, met hoofdzetel in Leuven.",
        email_domain="imec.example.org",
        people=(DemoPerson("Eva De Backer", admin=True), DemoPerson("Dries Vandenberghe", language="en")),
    ),
    DemoOrganisation(
        "VITO", OrganisationKind.RESEARCH_CENTRE, "0688878063", "https://vito.be",
        "Vlaamse instelling voor technologisch onderzoek: energie, materialen, milieu en aardobservatie.",
        email_domain="vito.example.org",
        people=(DemoPerson("Leen Smets", admin=True), DemoPerson("Ruben Cools")),
    ),
    DemoOrganisation(
        "VIB", OrganisationKind.RESEARCH_CENTRE, "0963115077", "https://vib.be",
        "Onderzoeksinstituut voor levenswetenschappen in Vlaanderen.",
        email_domain="vib.example.org",
        people=(
            DemoPerson("Marie Lefèvre", admin=True, language="fr"),
            DemoPerson("Nicolas Dupont", language="fr"),
        ),
    ),
    DemoOrganisation(
        "Flanders Make", OrganisationKind.RESEARCH_CENTRE, "0380101824", "https://www.flandersmake.be",
        "Strategisch onderzoekscentrum voor de maakindustrie: mechatronica, productontwikkeling, productie.",
        email_domain="flandersmake.example.org",
        people=(DemoPerson("Thomas Lambert", admin=True), DemoPerson("Charlotte Peeters")),
    ),
    # --- Start-ups, SMEs and others (invented) ---
    DemoOrganisation(
        "Verkeerslicht.ai", OrganisationKind.STARTUP, "0995127057", "https://verkeerslicht.example",
        "Gentse start-up die verkeerslichten slim maakt met computervisie.",
        email_domain="verkeerslicht.example.org",
        people=(DemoPerson("Yasmine Haddou"), DemoPerson("Wout Van Hecke")),
    ),
    DemoOrganisation(
        "Hydrosense", OrganisationKind.SME, "0260763912", "https://hydrosense.example",
        "IoT-sensornetwerken voor oppervlakte- en grondwater.",
        email_domain="hydrosense.example.org",
        people=(DemoPerson("Bram Wuyts", admin=True), DemoPerson("Lies Segers")),
    ),
    DemoOrganisation(
        "DijkDrone", OrganisationKind.STARTUP, "0272097767", "https://dijkdrone.example",
        "Autonome drones en beeldanalyse voor inspectie van dijken, bruggen en kaaimuren.",
        email_domain="dijkdrone.example.org",
        people=(DemoPerson("Jelle Martens", admin=True), DemoPerson("Amber Lemmens")),
    ),
    DemoOrganisation(
        "Toegankelijk Digitaal", OrganisationKind.SME, "0401882777", "https://toegankelijkdigitaal.example",
        "Audits en begeleiding rond digitale toegankelijkheid (WCAG, EN 301 549).",
        email_domain="toegankelijkdigitaal.example.org",
        people=(DemoPerson("Griet Van Laere", admin=True), DemoPerson("Kobe Dierckx")),
    ),
    DemoOrganisation(
        "Datavorm", OrganisationKind.SME, "0298811270", "https://datavorm.example",
        "Linked data, open data en datastandaarden voor overheden.",
        email_domain="datavorm.example.org",
        people=(DemoPerson("Maarten Verhaegen", admin=True), DemoPerson("Zoë Janssens")),
    ),
    DemoOrganisation(
        "Grid Flex", OrganisationKind.STARTUP, "0385456818", "https://gridflex.example",
        "Slimme sturing van laadpalen, batterijen en warmtepompen.",
        email_domain="gridflex.example.org",
        people=(DemoPerson("Senne Hendrickx", admin=True), DemoPerson("Noor Baert")),
    ),
    DemoOrganisation(
        "Aquaflow Systems", OrganisationKind.COMPANY, "0659481323", "https://aquaflow.example",
        "Industriële waterzuivering en hergebruik van proceswater.",
        email_domain="aquaflow.example.org",
        people=(DemoPerson("Philippe Renard", admin=True, language="fr"), DemoPerson("Evelien Stevens")),
    ),
    DemoOrganisation(
        "Innovatiehuis Kempen", OrganisationKind.OTHER, "0801662735", "https://innovatiehuiskempen.example",
        "Vzw die kmo's, kennisinstellingen en lokale besturen in de Kempen samenbrengt rond innovatie.",
        email_domain="innovatiehuiskempen.example.org",
        people=(DemoPerson("Hilde Van Gorp", admin=True), DemoPerson("Rik Vos")),
    ),
    DemoOrganisation(
        "Gemeentelijk Havenbedrijf Voorbeeldstad", GOV, "0718453660", "https://havenbedrijf.example",
        "Pas geregistreerd: wacht tot de beheerders van het platform de organisatie verifiëren.",
        policy_domain="mow", email_domain="havenbedrijf.example.org",
        people=(DemoPerson("Yasmine El Idrissi", admin=True), DemoPerson("Tom Peeters")),
        verified=False,
    ),
)


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def person_email(person: DemoPerson, organisation: DemoOrganisation) -> str:
    """'Lucas Van den Broeck' at De Werkvennootschap: 'lucas.vandenbroeck@dewerkvennootschap.example.org'."""
    if person.email:
        return person.email
    first, _, last = person.name.partition(" ")
    return f"{_ascii(first)}.{_ascii(last).replace(' ', '')}@{organisation.email_domain}"


# --- steps ----------------------------------------------------------------------------------------


def seed_organisations(progress: Progress) -> str:
    created = 0
    for spec in ORGANISATIONS:
        _, was_created = ensure_organisation(spec)
        created += was_created
    db.session.commit()
    return f"organisations: {created} created, {len(ORGANISATIONS) - created} already there"


def seed_accounts(progress: Progress) -> str:
    """The four demo accounts and a few people per organisation, each with their membership."""
    password_hash = accounts.hash_password(current_app.config["DEMO_PASSWORD"])  # hashed once: it is slow
    organisations = {spec.name: find_organisation(spec) for spec in ORGANISATIONS}
    created = joined = 0
    for account in ACCOUNTS:
        user, was_created = ensure_user(
            account.email, account.name, account.roles, password_hash, account.language
        )
        created += was_created
        if account.organisation:
            joined += ensure_membership(user, organisations[account.organisation], MembershipRole.ADMIN)
    for spec in ORGANISATIONS:
        organisation = organisations[spec.name]
        role = Role.BUYER if spec.kind == GOV else Role.SUPPLIER
        for person in spec.people:
            user, was_created = ensure_user(
                person_email(person, spec), person.name, (role,), password_hash, person.language
            )
            created += was_created
            membership_role = MembershipRole.ADMIN if person.admin else MembershipRole.MEMBER
            joined += ensure_membership(user, organisation, membership_role)
    db.session.commit()
    return f"accounts: {created} created, {joined} memberships added"


# The later steps live in their own modules of this package; they import nothing from here.
from matchmaker.demo.agenda import seed_demo_agenda  # noqa: E402
from matchmaker.demo.catalogue import seed_demo_catalogue  # noqa: E402
from matchmaker.demo.events import seed_demo_events  # noqa: E402
from matchmaker.demo.kbo import seed_demo_kbo  # noqa: E402
from matchmaker.demo.tracker import seed_demo_tracker  # noqa: E402

# The order matters: later steps find the organisations and people of earlier ones.
# The foundation every other step builds on (tests can seed just this part).
FOUNDATION_STEPS: list[tuple[str, DemoStep]] = [
    ("organisations", seed_organisations),
    ("accounts", seed_accounts),
]

STEPS: list[tuple[str, DemoStep]] = [
    *FOUNDATION_STEPS,
    ("themes", seed_default_themes),
    ("catalogue", seed_demo_catalogue),
    ("events", seed_demo_events),
    ("agenda", seed_demo_agenda),
    ("pages", seed_default_pages),
    ("knowledge", seed_knowledge_base),
    ("tracker", seed_demo_tracker),
    ("kbo", seed_demo_kbo),
]


def seed_demo_data(progress: Progress = lambda message: None) -> str:
    """Run every step; returns a short report. Safe to run again."""
    for number, (name, step) in enumerate(STEPS, start=1):
        progress(f"[{number}/{len(STEPS)}] {name}…")
        report = step(progress)
        db.session.commit()
        progress(f"      {report}")
    logins = ", ".join(account.email for account in ACCOUNTS)
    password = current_app.config["DEMO_PASSWORD"]
    return f"Demo data ready. Log in as {logins} with the password {password!r}."


# --- helpers (also for later steps) ---------------------------------------------------------------


def find_organisation(spec: DemoOrganisation) -> Organisation | None:
    number = normalize_enterprise_number(spec.enterprise_number)
    found = db.session.scalar(sa.select(Organisation).where(Organisation.enterprise_number == number))
    if found is None:
        found = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == spec.name).order_by(Organisation.id).limit(1)
        )
    return found


def ensure_organisation(spec: DemoOrganisation) -> tuple[Organisation, bool]:
    found = find_organisation(spec)
    if found is not None:
        return found, False
    if not is_valid_enterprise_number(spec.enterprise_number):
        raise ValueError(f"Demo organisation {spec.name} has an invalid enterprise number")
    organisation = Organisation(
        name=spec.name,
        kind=spec.kind,
        enterprise_number=normalize_enterprise_number(spec.enterprise_number),
        website=spec.website,
        description=spec.description,
        policy_domain=spec.policy_domain if spec.kind == GOV else None,
    )
    if spec.verified:
        organisation.record_verification(Verification.VERIFIED, None, "Demo data.")
    db.session.add(organisation)
    db.session.flush()
    return organisation, True


def ensure_user(
    email: str, name: str, roles: tuple[str, ...], password_hash: str, language: str = "nl"
) -> tuple[User, bool]:
    """The account with this email, created (confirmed) when missing; missing roles are added."""
    user = accounts.get_user_by_email(email)
    created = user is None
    if user is None:
        user = User(
            email=accounts.normalize_email(email),
            password_hash=password_hash,
            display_name=name,
            language=language,
            email_confirmed_at=utcnow(),
        )
        db.session.add(user)
    for role in roles:
        if not user.has_role(role):
            user.roles.append(UserRole(role=Role(role).value))
    db.session.flush()
    return user, created


def ensure_membership(user: User, organisation: Organisation, role: str) -> bool:
    """Make the user a member when they belong to no organisation yet; True when a membership was added."""
    if user.membership is not None:
        return False
    db.session.add(Membership(user=user, organisation=organisation, role=role))
    db.session.flush()
    return True
