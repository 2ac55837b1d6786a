"""Every route that takes an object (an id, a slug, a token...) is refused to people it does not belong to.

A fixture world holds two government buyers and two suppliers (each with their own organisation), two
organizers, an administrator and one object of every kind, owned by "A". The test walks app.url_map: every
rule with a converter must be classified in ROUTES below, or the test fails (so a new object route cannot be
added without saying who may use it). For each classified case it fills in A's ids and asks as the other
side ("B": another organisation of each side, another organizer, a plain participant of A's event) and as an
anonymous visitor, with GET and POST:

- PRIVATE: the answer is 403, 404 or a redirect to the login page; the owner gets past the check (not 403/404)
  with the same ids, so the refusal is not just a wrong id;
- OWN_VIEW: the route shows the current user's own view (their agenda, their registration form...): anyone may
  get a page, but never one with A's private data;
- PUBLIC: public by design (published items, public dashboards, the charter list...): no 500, no private data;
- TOKEN: capability links (confirmations, the calendar feed...): a forged token is a 4xx, never a 500.

Every answer to an intruder is also searched for A's secrets: marker strings in A's private objects.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa
from flask import current_app, g

from matchmaker.extensions import db
from matchmaker.models import (
    ChangeRecord,
    Conversation,
    ConversationReport,
    EventAnnouncement,
    EventStatus,
    Invitation,
    Job,
    JobFile,
    JobStatus,
    JoinRequest,
    MailDomain,
    Meeting,
    MeetingAttendee,
    MeetingOutcome,
    MeetingRequest,
    Message,
    NeedQuestion,
    Notification,
    RegistrationStatus,
    SchedulingRun,
    Theme,
    utcnow,
)
from matchmaker.services import agendas as agendas_service
from matchmaker.services import charter as charter_service
from matchmaker.services import content as content_service
from matchmaker.services import events as events_service
from matchmaker.services import mail, user_sessions
from matchmaker.services import newsletter as newsletter_service
from matchmaker.services import outcomes as outcomes_service
from matchmaker.services import registrations as registrations_service
from matchmaker.services import tracker as tracker_service
from matchmaker.services.events import EventInput
from tests.crawl import seeded_once
from tests.factories import add_need, add_offering
from tests.helpers import _tables_with_rows_query

SECRET = "ZQXSECRET"  # every private marker contains it; no intruder's page may
EVENT_DAY = date.today() + timedelta(days=30)
INTRUDERS = ("buyer_b", "supplier_b", "organizer_b", "anonymous")
NON_ADMINS = ("buyer_a", "supplier_a", "organizer_a", *INTRUDERS)


# --- the world ---------------------------------------------------------------------------------------------


class World:
    """Users by name and A's objects; attributes are read by the route table below."""


def _world(make_user, make_organisation) -> World:
    """A's and B's world, as `_build_world` makes it. Some 35 tests of this module and of
    test_numbers_out_of_range read it (their requests' writes are undone, see `_ask`): building it took 0.7 s
    a test on SQLite and 1.5 s on PostgreSQL, where putting its rows back in the empty tables takes 0.1 s.
    The objects are loaded again in the test's own session."""
    assert (
        db.session.execute(sa.text(_tables_with_rows_query(tuple(db.metadata.sorted_tables)))).first() is None
    ), "the world is put back in empty tables: ask for it before adding rows"
    db.session.rollback()  # putting the rows back writes through a session of its own
    app = current_app._get_current_object()
    built = seeded_once("authorization world", app, lambda: _build_world(make_user, make_organisation))
    world = World()
    for name, value in vars(built).items():
        if isinstance(value, str):
            setattr(world, name, value)
        else:
            setattr(world, name, db.session.get(type(value), sa.inspect(value).identity))
    return world


def _build_world(make_user, make_organisation) -> World:
    w = World()
    w.admin = make_user(roles=("admin",), display_name="Ada Admin")
    w.organizer_a = make_user(roles=("organizer",), display_name="Olga Organizer")
    w.organizer_b = make_user(roles=("organizer",), display_name="Otto Organizer")
    # The contact addresses of A are private too: only A, its meeting partners and the staff see them.
    w.buyer_a = make_user(
        roles=("buyer",), display_name="Bea Buyer", email=f"bea-{SECRET.lower()}@example.org"
    )
    w.buyer_b = make_user(roles=("buyer",), display_name="Bob Buyer")
    w.supplier_a = make_user(
        roles=("supplier",), display_name="Sara Supplier", email=f"sara-{SECRET.lower()}@example.org"
    )
    w.supplier_b = make_user(roles=("supplier",), display_name="Sam Supplier")
    w.gov_a = make_organisation(admins=(w.buyer_a,), kind="government", name="Agency A", policy_domain="MOW")
    w.gov_b = make_organisation(admins=(w.buyer_b,), kind="government", name="Agency B", policy_domain="MOW")
    w.sup_a = make_organisation(admins=(w.supplier_a,), kind="startup", name="Start-up A")
    w.sup_b = make_organisation(admins=(w.supplier_b,), kind="startup", name="Start-up B")

    theme = Theme(slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility")
    db.session.add(theme)
    db.session.commit()
    w.theme = theme

    # Catalogue: a draft and a published item on each side.
    w.draft_offering = add_offering(w.supplier_a, title=f"Draft offering {SECRET}1")
    w.published_offering = add_offering(w.supplier_a, status="published", title="Public radar offering")
    w.draft_need = add_need(w.buyer_a, title=f"Draft need {SECRET}2")
    w.open_need = add_need(w.buyer_a, status="open", title="Open traffic need")
    offering_b = add_offering(w.supplier_b, status="published", title="Offering of B")
    add_need(w.buyer_b, status="open", title="Need of B")
    w.offering_b = offering_b

    # An event of organizer A with its programme, registrations, a request, a meeting and its agenda.
    organizer = w.organizer_a
    w.event = events_service.create_event(
        organizer,
        EventInput(title="Mobility meet & greet", venue_address="Havenlaan 88, 1000 Brussel", table_count=4),
    )
    events_service.add_day(organizer, w.event, EVENT_DAY, time(9, 0), time(12, 0), 20)
    w.day = w.event.days[0]
    w.block = events_service.add_block(organizer, w.day, "break", "Coffee", time(10, 0), time(10, 20))
    events_service.change_status(organizer, w.event, EventStatus.REGISTRATION_OPEN)

    def register(user, role):
        items = registrations_service.eligible_items(user, role)
        data = registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items])
        registration = registrations_service.register(user, w.event, data)
        registration.status = RegistrationStatus.APPROVED
        db.session.commit()
        return registration

    w.registration_buyer_a = register(w.buyer_a, "buyer")
    w.registration = register(w.supplier_a, "supplier")
    w.registration_supplier_b = register(w.supplier_b, "supplier")  # a plain participant of A's event
    w.meeting_request = MeetingRequest(
        event_id=w.event.id,
        from_registration_id=w.registration.id,
        to_registration_id=w.registration_buyer_a.id,
        message=f"Private request message {SECRET}3",
    )
    db.session.add(w.meeting_request)
    db.session.commit()

    slot = next(s for s in w.event.slots if s.kind == "meeting")
    table = w.event.tables[0]
    first, second = sorted((w.registration_buyer_a, w.registration), key=lambda r: r.id)
    w.meeting = Meeting(
        event_id=w.event.id,
        slot_id=slot.id,
        table_id=table.id,
        first_registration_id=first.id,
        second_registration_id=second.id,
        source="mutual",
        weight=3,
        published=True,
        locked=True,
        uid=f"meeting-{uuid.uuid4()}@matchmaker.test",
    )
    db.session.add(w.meeting)
    db.session.flush()
    for registration in (first, second):
        db.session.add(
            MeetingAttendee(meeting_id=w.meeting.id, slot_id=slot.id, registration_id=registration.id)
        )
    w.event.status = EventStatus.AGENDA_PUBLISHED
    w.run = SchedulingRun(
        event_id=w.event.id,
        status="done",
        progress=1.0,
        started_by_id=organizer.id,
        fair_share=1.0,
        fair_share_bound=1.0,
        weight=3.0,
        weight_bound=3.0,
    )
    db.session.add(w.run)
    w.outcome = MeetingOutcome(
        meeting_id=w.meeting.id,
        registration_id=w.registration_buyer_a.id,
        round=1,
        usefulness=4,
        comment=f"Private outcome comment {SECRET}4",
    )
    db.session.add(w.outcome)
    db.session.add(EventAnnouncement(event_id=w.event.id, recipients=1, sent=1, finished_at=utcnow()))
    db.session.commit()
    w.calendar_token = agendas_service.calendar_token(w.registration)

    # A draft event of organizer A.
    w.draft_event = events_service.create_event(
        organizer, EventInput(title=f"Draft event {SECRET}5", venue_address="Somewhere 1, 1000 Brussel")
    )
    events_service.add_day(organizer, w.draft_event, EVENT_DAY, time(9, 0), time(10, 0), 20)

    # Organisations: a member and an invitation of start-up A.
    w.member_a = make_user(roles=("supplier",), display_name="Mia Member")
    from matchmaker.models import Membership

    w.membership = Membership(user=w.member_a, organisation=w.sup_a, role="member")
    db.session.add(w.membership)
    w.invitation = Invitation(
        organisation_id=w.sup_a.id,
        email=f"invitee-{SECRET.lower()}6@example.org",
        token_hash="0" * 64,
        invited_by_id=w.supplier_a.id,
        expires_at=utcnow() + timedelta(days=7),
    )
    db.session.add(w.invitation)
    # Joining: a person without organisation asks to join start-up A; agency A's mail domain.
    w.newcomer = make_user(roles=(), display_name="Nora Newcomer")
    db.session.flush()
    w.join_request = JoinRequest(
        user_id=w.newcomer.id, organisation_id=w.sup_a.id, message=f"Private join message {SECRET}11"
    )
    w.mail_domain = MailDomain(organisation_id=w.gov_a.id, domain="agency-a.example.be")
    db.session.add_all([w.join_request, w.mail_domain])
    w.notification = Notification(
        user_id=w.supplier_a.id,
        kind="mutual_match",
        params={"organisation": f"Notified {SECRET}7", "need": "n", "offering": "o"},
        url="/matches/mutual",
    )
    db.session.add(w.notification)
    db.session.commit()

    # Matches: the open need of A and the published offering of A.
    from matchmaker.models import Match

    w.match = Match(need_id=w.open_need.id, offering_id=w.published_offering.id, score=0.5, explanation={})
    db.session.add(w.match)
    db.session.commit()

    # The tracker: a year and a project of agency A (the dashboards are public policy figures).
    w.year = tracker_service.create_year(w.buyer_a, w.gov_a, 2025, 100_000_00)
    w.project = tracker_service.add_project(
        w.buyer_a,
        w.year,
        tracker_service.ProjectInput(
            title="Smart lights", procurement_route="pre_commercial_procurement", amount_cents=5_000_00
        ),
    )
    # Agency A's logo (the public sees it, as its page).
    from io import BytesIO

    from PIL import Image

    from matchmaker.services import logos

    image = BytesIO()
    Image.new("RGB", (8, 8), "navy").save(image, format="PNG")
    logos.set_logo(w.buyer_a, w.gov_a, image.getvalue())
    w.change = db.session.scalars(
        sa.select(ChangeRecord).where(ChangeRecord.organisation_id == w.gov_a.id).order_by(ChangeRecord.id)
    ).first()  # the year's creation, in agency A's history

    # The charter, signed by agency A; a newsletter subscriber; a draft page.
    w.signature = charter_service.sign_charter(
        w.buyer_a,
        w.gov_a,
        charter_service.SignatureInput(
            signatory_name="Bea Buyer", signatory_function="CEO", pledge_three_percent=True
        ),
    )
    newsletter_service.subscribe(
        newsletter_service.SubscriptionInput(
            email=f"subscriber-{SECRET.lower()}8@example.org", language="en", theme_ids=[theme.id]
        )
    )
    w.subscriber = newsletter_service.get_subscriber(f"subscriber-{SECRET.lower()}8@example.org")
    w.draft_page = content_service.create_page(
        w.admin,
        "draft-page",
        content_service.PageInput(
            titles={"nl": f"Conceptpagina {SECRET}9", "fr": "", "en": f"Draft page {SECRET}9"},
            bodies={"nl": "Tekst", "fr": "", "en": "Text"},
        ),
    )
    w.published_page = content_service.create_page(
        w.admin,
        "public-page",
        content_service.PageInput(
            titles={"nl": "Openbaar", "fr": "", "en": "Public"}, bodies={"nl": "Tekst"}
        ),
    )
    content_service.set_published(w.admin, w.published_page, True)
    # The knowledge base: a draft and a published guide; agency A asks the network about its open need.
    from matchmaker.services import knowledge as knowledge_service
    from matchmaker.services import support as support_service

    def guide(slug, title):
        return knowledge_service.create_article(
            w.admin,
            knowledge_service.ArticleInput(
                slug,
                "procurement_routes",
                None,
                {"en": knowledge_service.TranslationInput(title, "", "Text")},
            ),
        )

    w.draft_article = guide("draft-guide", f"Draft guide {SECRET}14")
    w.published_article = guide("published-guide", "Published guide")
    knowledge_service.set_published(w.admin, w.published_article, True)
    from matchmaker.knowledge.odt import build_odt

    w.article_template = knowledge_service.attach_template(
        w.admin, w.published_article, build_odt("# Template", "Template", "en"), "Template", "en"
    )
    w.support_request = support_service.ask_for_guidance(
        w.buyer_a, w.open_need, f"Support subject {SECRET}15", f"Support question {SECRET}16"
    )

    # B's own containers, to put A's objects in B's URLs: an event of organizer B where buyer B and supplier B
    # take part, and a tracker year of agency B.
    w.event_b = events_service.create_event(
        w.organizer_b, EventInput(title="Event of B", venue_address="Elders 2, 1000 Brussel", table_count=2)
    )
    events_service.add_day(w.organizer_b, w.event_b, EVENT_DAY, time(9, 0), time(10, 0), 20)
    events_service.change_status(w.organizer_b, w.event_b, EventStatus.REGISTRATION_OPEN)
    for user, role in ((w.buyer_b, "buyer"), (w.supplier_b, "supplier")):
        items = registrations_service.eligible_items(user, role)
        registrations_service.register(
            user,
            w.event_b,
            registrations_service.RegistrationInput(role=role, item_ids=[i.id for i in items]),
        )
    w.year_b = tracker_service.create_year(w.buyer_b, w.gov_b, 2025, 50_000_00)

    # A finished background job of organizer A (an import) with its report.
    w.job = Job(
        kind="catalogue.import",
        payload={"items": "offerings"},
        status=JobStatus.DONE,
        created_by_id=w.organizer_a.id,
        result={"kind": "offerings", "ok": False, "problems": [{"line": 2, "title": f"{SECRET}9"}]},
        finished_at=utcnow(),
    )
    db.session.add(w.job)
    db.session.flush()
    w.job_file = JobFile(
        job_id=w.job.id, filename="import-report.csv", mimetype="text/csv", content=f"{SECRET}10".encode()
    )
    db.session.add(w.job_file)
    db.session.commit()
    # A login of A's supplier, listed on its account's sessions page.
    user_sessions.start_session(w.supplier_a, user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")
    w.login_a = w.supplier_a.current_session
    # Conversations: start-up A writes to agency A about its open need (reported, so administrators may read
    # it); a public question about the need.
    w.conversation = Conversation(
        starter_organisation_id=w.sup_a.id,
        recipient_organisation_id=w.gov_a.id,
        need_id=w.open_need.id,
        created_by_id=w.supplier_a.id,
    )
    db.session.add(w.conversation)
    db.session.flush()
    db.session.add_all(
        [
            Message(
                conversation_id=w.conversation.id,
                author_id=w.supplier_a.id,
                author_organisation_id=w.sup_a.id,
                body=f"Private conversation {SECRET}12",
            ),
            ConversationReport(conversation_id=w.conversation.id, reporter_id=w.buyer_a.id, reason="Spam"),
        ]
    )
    w.question = NeedQuestion(
        need_id=w.open_need.id, asked_by_id=w.supplier_a.id, question=f"Unanswered question {SECRET}13"
    )
    db.session.add(w.question)
    db.session.commit()
    # A presentation of A's event for its participants only (issue 19); supplier_b is a participant too.
    from matchmaker.services import event_materials

    w.material = event_materials.attach(
        organizer,
        w.event,
        b"%PDF-1.4\n" + f"Participants' slides {SECRET}h19a".encode(),
        title="Slides",
        kind="presentation",
        access="participants",
        filename="slides.pdf",
    )
    w.document = w.material.document
    # A's event team (issue 16): a co-organizer, who manages it, and check-in staff, who only run the door;
    # neither has a platform role of their own.
    from matchmaker.services import event_team

    w.co_a = make_user(roles=(), display_name="Cora Co-organizer")
    w.door_a = make_user(roles=(), display_name="Dirk Door")
    event_team.add_member(organizer, w.event, w.co_a.email, "co_organizer")
    w.team_member = event_team.add_member(organizer, w.event, w.door_a.email, "check_in")
    return w


# --- the route table --------------------------------------------------------------------------------------

PRIVATE, OWN_VIEW, PUBLIC, TOKEN = "private", "own view", "public", "token"

# How a URL variable is filled in by default: an attribute path in the world.
DEFAULT_VALUES = {
    "event_id": "event.id",
    "meeting_id": "meeting.id",
    "request_id": "meeting_request.id",
    "registration_id": "registration.id",
    "day_id": "day.id",
    "block_id": "block.id",
    "run_id": "run.id",
    "need_id": "draft_need.id",
    "offering_id": "draft_offering.id",
    "theme_id": "theme.id",
    "organisation_id": "gov_a.id",
    "year": "year.year",
    "project_id": "project.id",
    "membership_id": "membership.id",
    "invitation_id": "invitation.id",
    "notification_id": "notification.id",
    "page_id": "draft_page.id",
    "user_id": "buyer_a.id",
    "job_id": "job.id",
    "join_request_id": "join_request.id",
    "domain_id": "mail_domain.id",
    "file_id": "job_file.id",
    "conversation_id": "conversation.id",
    "question_id": "question.id",
    "document_id": "document.id",
    "material_id": "material.id",
    "member_id": "team_member.id",
}

FORGED_TOKEN = "forged.token-that-was-never-issued"


@dataclass
class Case:
    access: str
    owner: str | None = None  # who may use it: the owner's GET (and POST) must get past the check
    values: dict = field(default_factory=dict)  # URL variable -> attribute path in the world, or a literal
    intruders: tuple = INTRUDERS
    why: str = ""
    query: dict = field(default_factory=dict)  # query string, values as in `values`
    data: dict = field(default_factory=dict)  # form data of the POST (authorization comes before validation)
    owners_data: bool = False  # the URL itself is A's secret (a capability): it shows A's data by design


def private(owner: str, intruders: tuple = INTRUDERS, **values) -> Case:
    return Case(PRIVATE, owner, values, intruders)


def admin_only(**values) -> Case:
    return Case(PRIVATE, "admin", values, NON_ADMINS)


def public(why: str, **values) -> Case:
    return Case(PUBLIC, None, values, why=why)


def own_view(why: str, owner: str | None = None, **values) -> Case:
    return Case(OWN_VIEW, owner, values, why=why)


def token(why: str, **values) -> Case:
    return Case(TOKEN, None, values, why=why)


# The event's organizer (and admins, and its co-organizers); the other organizer is refused, and so is the
# event's check-in staff (door_a), who may use the check-in page and read the live board only.
ORGANIZER_A = private("organizer_a", (*INTRUDERS, "door_a"))
CO_ORGANIZER_A = private("co_a", (*INTRUDERS, "door_a"))
DOOR_A = private("door_a")  # the check-in page: its staff, as well as its organizers
EVENT_TEAM = ("buyer_a", "supplier_a", "buyer_b", "supplier_b", "organizer_b", "anonymous")

ROUTES: dict[str, list[Case]] = {
    # documents (issue 19): what owns the document decides; A's participants-only slides
    "documents.download": [private("supplier_a", intruders=("buyer_b", "organizer_b", "anonymous"))],
    "documents.download_version": [
        private("supplier_a", intruders=("buyer_b", "organizer_b", "anonymous"), number=1)
    ],
    "events.materials": [ORGANIZER_A],
    "events.material": [ORGANIZER_A],
    "events.material_replace": [ORGANIZER_A],
    "events.material_remove": [ORGANIZER_A],
    # account
    "account.confirm_email_change": [token("signed link mailed to the new address; bound to its account")],
    "account.sign_out_session": [private("supplier_a", session_id="login_a.id")],
    # jobs: the user who started one (and administrators); retrying is for administrators
    "jobs.detail": [private("organizer_a")],
    "jobs.status": [private("organizer_a")],
    "jobs.download": [private("organizer_a")],
    "jobs.retry": [admin_only()],
    # admin: platform administrators only
    "admin.user": [admin_only()],
    "admin.deactivate": [admin_only()],
    "admin.reactivate": [admin_only()],
    "admin.grant_role": [admin_only(role="organizer")],
    "admin.revoke_role": [admin_only(user_id="organizer_a.id", role="organizer")],
    "admin.retry_mail": [admin_only(mail_id=1)],  # a mail that is not (or no longer) failed: nothing to do
    "admin.verification": [admin_only(organisation_id="sup_a.id")],
    "admin.history": [admin_only()],
    "admin.undo_change": [admin_only(record_id="change.id")],
    "admin.accept_review": [admin_only(year_id="year.id")],
    "admin.merge": [admin_only(organisation_id="sup_a.id")],
    # agendas
    "agendas.participant_agenda": [
        own_view("the current user's own agenda; others get 404", owner="supplier_a")
    ],
    "agendas.agenda_download_ics": [own_view("the current user's own agenda", owner="supplier_a")],
    "agendas.agenda_download_pdf": [own_view("the current user's own agenda", owner="supplier_a")],
    "agendas.meeting_download_ics": [private("supplier_a")],
    "agendas.reset_calendar_link": [own_view("resets the current user's own feed link", owner="supplier_a")],
    "agendas.calendar_feed": [
        token("the feed needs no login: its unguessable token is the secret"),
        Case(
            PUBLIC,
            values={"token": "calendar_token"},
            owners_data=True,
            why="the right token opens the feed by design (calendar apps cannot log in): A's own agenda",
        ),
    ],
    "agendas.cancel_meeting": [
        private("supplier_a", ("buyer_b", "supplier_b", "organizer_a", "organizer_b", "anonymous"))
    ],
    "agendas.withdraw": [own_view("cancels the current user's own participation", owner="supplier_a")],
    "agendas.master_grid": [ORGANIZER_A],
    "agendas.meetings_csv": [ORGANIZER_A],
    "agendas.participants_pdf": [ORGANIZER_A],
    "agendas.table_sheets": [ORGANIZER_A],
    # auth: capability links and the check-your-mailbox page
    "auth.check_email": [
        public("says 'check your mailbox'; names only the address of this session", flow="reset")
    ],
    "auth.confirm_email": [token("signed, expiring confirmation link")],
    "auth.reset_password": [token("signed link bound to the password hash")],
    # catalogue
    "catalogue.offering": [
        private("supplier_a"),  # a draft: its organisation only
        public("a published offering is in the public catalogue", offering_id="published_offering.id"),
    ],
    "catalogue.need": [
        private("buyer_a"),
        public("an open need is in the public catalogue", need_id="open_need.id"),
    ],
    "catalogue.edit_offering": [
        private("supplier_a"),
        private("supplier_a", offering_id="published_offering.id"),
    ],
    "catalogue.edit_need": [private("buyer_a"), private("buyer_a", need_id="open_need.id")],
    "catalogue.publish_offering": [private("supplier_a")],
    "catalogue.unpublish_offering": [private("supplier_a", offering_id="published_offering.id")],
    "catalogue.archive_offering": [private("supplier_a", offering_id="published_offering.id")],
    "catalogue.restore_offering": [private("supplier_a")],
    "catalogue.open_need": [private("buyer_a")],
    "catalogue.close_need": [private("buyer_a", need_id="open_need.id")],
    "catalogue.unpublish_need": [private("buyer_a", need_id="open_need.id")],
    "catalogue.archive_need": [private("buyer_a", need_id="open_need.id")],
    "catalogue.restore_need": [private("buyer_a")],
    # The exchange is the organizers' tool for the public catalogue (drafts only for administrators):
    # buyers, suppliers and visitors are refused.
    "catalogue.export": [
        private(
            "organizer_a",
            ("buyer_a", "supplier_a", "buyer_b", "supplier_b", "anonymous"),
            kind="offerings",
            fmt="csv",
        )
    ],
    "catalogue.export_in_background": [
        private(
            "organizer_a",
            ("buyer_a", "supplier_a", "buyer_b", "supplier_b", "anonymous"),
            kind="offerings",
            fmt="csv",
        )
    ],
    # themes: managed by organizers and admins, so only suppliers, buyers and visitors are refused
    "catalogue.edit_theme": [private("organizer_a", ("buyer_b", "supplier_b", "anonymous"))],
    "catalogue.activate_theme": [private("organizer_a", ("buyer_b", "supplier_b", "anonymous"))],
    "catalogue.deactivate_theme": [private("organizer_a", ("buyer_b", "supplier_b", "anonymous"))],
    # content: pages
    "content.page": [
        public("a published page of the initiative", slug="public-page"),
        Case(PRIVATE, "admin", {"slug": "draft-page"}, NON_ADMINS),
    ],
    "content.admin_edit_page": [admin_only()],
    "content.admin_publish_page": [admin_only()],
    "content.admin_unpublish_page": [admin_only(page_id="published_page.id")],
    # knowledge base: drafts and the editors' area for editors and administrators; support requests for the
    # need's organisation and the network (editors, administrators)
    "knowledge.article": [
        public("a published guide of the knowledge base", slug="published-guide"),
        Case(PRIVATE, "admin", {"slug": "draft-guide"}, NON_ADMINS),
    ],
    "knowledge.edit_article": [admin_only(article_id="draft_article.id")],
    "knowledge.publish_article": [admin_only(article_id="draft_article.id")],
    "knowledge.unpublish_article": [admin_only(article_id="published_article.id")],
    "knowledge.article_history": [admin_only(article_id="draft_article.id")],
    "knowledge.add_template": [admin_only(article_id="draft_article.id")],
    "knowledge.remove_template": [
        admin_only(article_id="published_article.id", template_id="article_template.id")
    ],
    "knowledge.ask": [private("buyer_a", need_id="open_need.id")],
    "knowledge.support_thread": [private("buyer_a", request_id="support_request.id")],
    "knowledge.support_reply": [private("buyer_a", request_id="support_request.id")],
    "knowledge.support_close": [private("buyer_a", request_id="support_request.id")],
    "knowledge.support_reopen": [private("buyer_a", request_id="support_request.id")],
    # conversations: the two organisations' members; administrators only once reported (and never write)
    "conversations.start_about_need": [private("buyer_a")],  # A's draft: only A sees it (and may not write)
    "conversations.start_about_offering": [private("supplier_a")],
    "conversations.thread": [private("supplier_a"), private("buyer_a")],
    "conversations.reply": [private("supplier_a")],
    "conversations.block": [private("buyer_a")],
    "conversations.unblock": [private("buyer_a")],
    "conversations.report": [private("supplier_a")],
    "conversations.handled": [admin_only()],
    "conversations.ask": [private("buyer_a")],
    "conversations.question_mode": [private("buyer_a", need_id="open_need.id")],
    "conversations.answer": [private("buyer_a")],
    # events
    "events.detail": [
        public("a published event's page"),
        private("organizer_a", event_id="draft_event.id"),
    ],
    "events.ical": [
        public("a published event in a calendar"),
        private("organizer_a", event_id="draft_event.id"),
    ],
    "events.programme": [ORGANIZER_A, private("organizer_a", event_id="draft_event.id")],
    "events.edit": [ORGANIZER_A, CO_ORGANIZER_A],
    "events.online_settings": [ORGANIZER_A],
    # the event's team (issue 16): its managers, co-organizers included; its check-in staff are refused
    "events.team": [ORGANIZER_A, CO_ORGANIZER_A],
    "events.team_role": [ORGANIZER_A, CO_ORGANIZER_A],
    "events.team_remove": [ORGANIZER_A],
    "events.add_day": [ORGANIZER_A],
    "events.add_block": [ORGANIZER_A],
    "events.remove_block": [ORGANIZER_A],
    "events.remove_day": [private("organizer_a", event_id="draft_event.id", day_id="draft_event.days.0.id")],
    "events.change_status": [ORGANIZER_A],
    "events.dashboard": [ORGANIZER_A],
    "events.export_participants": [ORGANIZER_A],
    "events.export_requests": [ORGANIZER_A],
    "events.nudge": [ORGANIZER_A],
    "events.on_behalf": [ORGANIZER_A],
    "events.decide": [ORGANIZER_A],
    "events.answer_request": [
        private("buyer_a", ("buyer_b", "supplier_b", "organizer_b", "organizer_a", "anonymous"))
    ],
    "events.register": [own_view("the current user's own registration form", owner="buyer_b")],
    "events.cancel_registration": [
        own_view("cancels the current user's own registration", owner="supplier_a")
    ],
    "events.participants": [
        own_view(
            "who is here: the approved participants of a published event see each other", owner="supplier_a"
        )
    ],
    "events.requests": [own_view("the current user's own requests", owner="supplier_a")],
    "events.new_request": [
        Case(
            OWN_VIEW,
            "supplier_a",
            why="a request from the current user",
            query={"to": "registration_buyer_a.id"},
        )
    ],
    # matches: a proposal belongs to the need's and the offering's organisations
    # (organizers see any proposal of public items read-only, for their overview: not intruders here)
    "matches.pair": [
        private(
            "buyer_a",
            ("buyer_b", "supplier_b", "anonymous"),
            need_id="open_need.id",
            offering_id="published_offering.id",
        )
    ],
    "matches.why": [
        private(
            "buyer_a",
            ("buyer_b", "supplier_b", "anonymous"),
            need_id="open_need.id",
            offering_id="published_offering.id",
        )
    ],
    # the best pairs of the whole platform, for any organizer (and administrators), as CSV or a workbook
    "matches.overview_csv": [
        private("organizer_a", ("buyer_a", "supplier_a", "buyer_b", "supplier_b", "anonymous"))
    ],
    "matches.interest": [
        Case(
            PRIVATE,
            "supplier_a",
            {"need_id": "open_need.id", "offering_id": "published_offering.id"},
            data={"decision": "interested"},
        )
    ],
    # newsletter
    "newsletter.announce": [private("organizer_a", EVENT_TEAM)],
    "newsletter.announce_status": [private("organizer_a", EVENT_TEAM)],
    "newsletter.resume": [private("organizer_a", EVENT_TEAM)],
    "newsletter.confirm": [token("signed, expiring double opt-in link")],
    "newsletter.manage": [token("the subscriber's own signed link")],
    "newsletter.unsubscribe": [token("the subscriber's own signed link (RFC 8058 one-click)")],
    # notifications: the user's own only
    "notifications.mark_read": [private("supplier_a", ("buyer_a", *INTRUDERS))],
    "notifications.open_notification": [private("supplier_a", ("buyer_a", *INTRUDERS))],
    # organisations
    "organisations.detail": [public("an organisation's public page")],
    "organisations.edit": [private("buyer_a")],
    "organisations.upload_logo": [private("buyer_a")],
    "organisations.remove_logo": [private("buyer_a")],
    "organisations.logo": [public("an organisation's logo, as public as its page")],
    "organisations.invite": [private("supplier_a", organisation_id="sup_a.id")],
    "organisations.change_role": [private("supplier_a", ("member_a", *INTRUDERS))],
    "organisations.remove_member": [private("supplier_a", INTRUDERS)],
    "organisations.resend_invitation": [private("supplier_a", ("member_a", *INTRUDERS))],
    "organisations.revoke_invitation": [private("supplier_a", ("member_a", *INTRUDERS))],
    "organisations.invitation": [token("the invitation's token, stored hashed")],
    "organisations.ask_to_join": [
        own_view("the current user's own request form (an organisation's name is public)", owner="newcomer")
    ],
    "organisations.withdraw_request": [private("newcomer", ("supplier_a", "member_a", *INTRUDERS))],
    "organisations.accept_request": [private("supplier_a", ("member_a", "newcomer", *INTRUDERS))],
    "organisations.decline_request": [private("supplier_a", ("member_a", "newcomer", *INTRUDERS))],
    "organisations.domains": [private("buyer_a")],
    "organisations.remove_domain": [private("buyer_a")],
    # outcomes
    "outcomes.event": [own_view("the current user's own meetings to rate", owner="buyer_a")],
    "outcomes.rate": [
        private("buyer_a", ("buyer_b", "supplier_b", "organizer_a", "organizer_b", "anonymous"))
    ],
    "outcomes.summary": [ORGANIZER_A],
    # schedules: the event's organizer
    "schedules.add": [ORGANIZER_A],
    "schedules.grid": [ORGANIZER_A],
    "schedules.late": [ORGANIZER_A],
    "schedules.lock": [ORGANIZER_A],
    "schedules.meeting": [ORGANIZER_A],
    "schedules.move": [ORGANIZER_A],
    "schedules.overview": [ORGANIZER_A, CO_ORGANIZER_A],
    "schedules.participant": [ORGANIZER_A],
    "schedules.participant_action": [ORGANIZER_A],
    "schedules.publish": [ORGANIZER_A],
    "schedules.remove": [ORGANIZER_A],
    "schedules.run_status": [ORGANIZER_A],
    "schedules.start": [ORGANIZER_A],
    "schedules.swap": [ORGANIZER_A],
    # check-in on the event day: the event's organizers and its check-in staff; the no-show action and the
    # badges are the organizers'
    "checkin.absent": [ORGANIZER_A],
    "checkin.badges": [ORGANIZER_A],
    "checkin.page": [private("organizer_a"), private("co_a"), DOOR_A],
    "checkin.participant": [private("organizer_a"), DOOR_A],
    "checkin.undo": [private("organizer_a"), DOOR_A],
    # the event day: the organizers' live board (its check-in staff read it); a participant's own "now"
    "eventday.absent": [ORGANIZER_A],
    "eventday.board": [private("organizer_a"), DOOR_A],
    "eventday.fill": [ORGANIZER_A],
    "eventday.live": [private("organizer_a"), DOOR_A],
    "eventday.move": [ORGANIZER_A],
    "eventday.now": [own_view("the current user's own current and next meeting", owner="supplier_a")],
    "eventday.publish": [ORGANIZER_A],
    # search engines: the sitemaps list public pages only (tests/integration/test_search_engines.py)
    "seo.sitemap_part": [public("a language's sitemap of public pages", language="fr", number=1)],
    # tracker: dashboards are public policy figures; editing is for the organisation's administrators
    "tracker.export_overall": [public("the Flemish government's dashboard as CSV or a workbook")],
    "tracker.organisation": [public("the 3%-norm dashboard of a government organisation")],
    "tracker.export_organisation": [public("the same dashboard as CSV")],
    "tracker.domain": [public("a policy domain's dashboard", code="mow")],
    "tracker.export_domain": [public("a policy domain's dashboard as CSV", code="mow")],
    "tracker.year": [private("buyer_a")],
    "tracker.new_year": [private("buyer_a")],
    "tracker.delete_year": [private("buyer_a")],
    "tracker.new_project": [private("buyer_a")],
    "tracker.edit_project": [private("buyer_a")],
    "tracker.delete_project": [private("buyer_a")],
}


def _object_rules(app):
    return [r for r in app.url_map.iter_rules() if r.arguments and r.endpoint != "static"]


def test_every_object_route_is_classified(app):
    missing = sorted({r.endpoint for r in _object_rules(app)} - set(ROUTES))
    assert not missing, f"classify these routes in ROUTES (who may use them?): {missing}"
    stale = sorted(set(ROUTES) - {r.endpoint for r in _object_rules(app)})
    assert not stale, f"these classified routes no longer exist: {stale}"


# --- requests ---------------------------------------------------------------------------------------------


def _resolve(world: World, path: str):
    value = world
    for part in path.split("."):
        value = value[int(part)] if part.isdigit() else getattr(value, part)
    return value


def _value(world: World, spec):
    """An attribute path of the world ("event.id", "draft_event.days.0.id", "calendar_token") or a literal."""
    if isinstance(spec, str) and spec.split(".")[0] in vars(world):
        return _resolve(world, spec)
    return spec


def _url(app, world: World, rule, case: Case) -> str:
    values = {}
    for name in rule.arguments - set(rule.defaults or {}):
        if name in case.values:
            values[name] = _value(world, case.values[name])
        elif case.access == TOKEN and name == "token":
            values[name] = FORGED_TOKEN
        elif name in DEFAULT_VALUES:
            values[name] = _value(world, DEFAULT_VALUES[name])
        else:
            raise AssertionError(f"no value for <{name}> of {rule.rule}: give one in its Case")
    values.update(rule.defaults or {})
    with app.test_request_context():
        path = rule.build(values, append_unknown=False)[1]
    query = {name: _value(world, spec) for name, spec in case.query.items()}
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def _client(app, world: World, actor: str):
    client = app.test_client()
    if actor != "anonymous":
        user = getattr(world, actor)
        with client.session_transaction() as session:
            session["_user_id"] = user_sessions.start_session(user)
            session["_fresh"] = True
    return client


def _refused(response) -> bool:
    if response.status_code in (403, 404):
        return True
    return response.status_code in (301, 302, 303) and "/auth/login" in response.headers.get("Location", "")


def _methods(rule) -> list[str]:
    return [m for m in ("GET", "POST") if m in rule.methods]


def _ask(app, world: World, actor: str, method: str, url: str, case: Case):
    """One request whose writes are undone afterwards (its commits only flush), so every request sees A's
    world as it was built, whatever an earlier request (a hole, or the owner's own POST) changed."""
    session = db.session

    def commit_as_flush():
        session.flush()
        mail.forget_uncommitted()  # as a commit would: the mails are stored (until the rollback below)

    session.commit = commit_as_flush
    try:
        response = _client(app, world, actor).open(
            url, method=method, data=case.data if method == "POST" else None
        )
        response.get_data()  # a streamed download runs (and ends its request context) here, not later
    finally:
        del session.commit
        session.rollback()
        g.pop("_login_user", None)
    return response


def _check(app, world: World, endpoint: str) -> list[str]:
    problems = []
    for rule in [r for r in _object_rules(app) if r.endpoint == endpoint]:
        for case in ROUTES[endpoint]:
            problems += _check_case(app, world, rule, case)
    return problems


def _check_case(app, world: World, rule, case: Case) -> list[str]:
    problems = []
    url = _url(app, world, rule, case)
    for method in _methods(rule):
        for actor in case.intruders:
            response = _ask(app, world, actor, method, url, case)
            where = f"{method} {url} as {actor} ({case.access})"
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
            leaked = SECRET.encode() in response.data or SECRET.lower().encode() in response.data
            if leaked and not case.owners_data:
                problems.append(f"{where}: shows A's private data")
            if case.access == PRIVATE and not _refused(response):
                problems.append(f"{where}: answered {response.status_code}, expected 403/404/login")
            if case.access == TOKEN and not (400 <= response.status_code < 500 or _refused(response)):
                problems.append(f"{where}: forged token answered {response.status_code}")
        if case.access == PUBLIC and method == "GET":
            response = _ask(app, world, "anonymous", method, url, case)
            if response.status_code != 200:
                problems.append(f"GET {url} (public) answered {response.status_code} to a visitor")
        if case.owner and case.access in (PRIVATE, OWN_VIEW):
            response = _ask(app, world, case.owner, method, url, case)
            if response.status_code in (403, 404) or response.status_code >= 500 or _refused(response):
                problems.append(
                    f"{method} {url} as the owner {case.owner} answered {response.status_code}: "
                    "the ids of this case are wrong, so its refusals prove nothing"
                )
    return problems


@pytest.fixture(autouse=True)
def request_context(app, monkeypatch):
    # The event is over for the outcome surveys (its day is in the future for the agenda pages).
    monkeypatch.setattr(outcomes_service, "today", lambda: EVENT_DAY + timedelta(days=1))
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize("area", sorted({endpoint.split(".")[0] for endpoint in ROUTES}))
def test_other_users_cannot_reach_objects_of_a(app, make_user, make_organisation, area):
    world = _world(make_user, make_organisation)
    problems = []
    for endpoint in sorted(e for e in ROUTES if e.split(".")[0] == area):
        problems += _check(app, world, endpoint)
    assert not problems, "\n".join(problems)


# Where B puts its own container around A's object: (URL variable, actor) -> B's value.
B_CONTAINERS = {
    ("event_id", "organizer_b"): "event_b.id",
    ("event_id", "buyer_b"): "event_b.id",
    ("event_id", "supplier_b"): "event_b.id",
    ("organisation_id", "buyer_b"): "gov_b.id",
    ("organisation_id", "supplier_b"): "sup_b.id",
}


def test_objects_of_a_inside_urls_of_b_are_refused(app, make_user, make_organisation):
    """/events/<B's event>/.../<A's meeting>: a route must check that the object belongs to the container in
    its URL, not only that the user may manage that container."""
    world = _world(make_user, make_organisation)
    problems, checked = [], 0
    for endpoint, cases in sorted(ROUTES.items()):
        case = cases[0]
        if case.access not in (PRIVATE, OWN_VIEW):
            continue
        for rule in [r for r in _object_rules(app) if r.endpoint == endpoint]:
            ids = [a for a in rule.arguments - set(rule.defaults or {}) if a.endswith("_id")]
            for actor in INTRUDERS[:-1]:
                containers = {a: B_CONTAINERS[(a, actor)] for a in ids if (a, actor) in B_CONTAINERS}
                if not containers or len(ids) < 2:
                    continue
                mixed = Case(
                    PRIVATE, None, {**case.values, **containers}, (actor,), query=case.query, data=case.data
                )
                problems += _check_case(app, world, rule, mixed)
                checked += 1
    assert checked >= 30
    assert not problems, "\n".join(problems)


def test_the_year_form_of_another_organisation_refuses_changes(app, make_user, make_organisation):
    """The tracker's year page is public to read; posting its budget form is for A's administrators."""
    world = _world(make_user, make_organisation)
    url = f"/tracker/organisations/{world.gov_a.id}/years/{world.year.year}"
    for actor in INTRUDERS:
        response = _client(app, world, actor).post(url, data={"budget": "1"})
        g.pop("_login_user", None)
        assert _refused(response), (actor, response.status_code)
    db.session.expire_all()
    assert world.year.budget_cents == 100_000_00


def test_the_right_calendar_token_opens_only_its_own_agenda(app, make_user, make_organisation):
    world = _world(make_user, make_organisation)
    client = app.test_client()
    response = client.get(f"/calendar/{world.calendar_token}.ics")
    assert response.status_code == 200
    assert b"BEGIN:VCALENDAR" in response.data
    assert client.get(f"/calendar/{world.calendar_token[:-1]}.ics").status_code == 404


# --- bad input from the owner ------------------------------------------------------------------------------

JUNK = {
    "nul": "\x00",
    "huge number": "9" * 40,
    "negative": "-1",
    "long text": "a" * 20_000,
    "markup": "<script>alert(1)</script>{{ 7*7 }}%(x)s",
}


def _field_names(html: str) -> set[str]:
    import re

    return set(re.findall(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"', html)) - {"csrf_token"}


@pytest.mark.parametrize("junk", sorted(JUNK))
def test_forms_answer_junk_from_their_owner_without_a_500(app, make_user, make_organisation, junk):
    """Every GET+POST object form, filled in by the person it belongs to with nonsense in every field."""
    world = _world(make_user, make_organisation)
    problems, forms = [], 0
    for endpoint, cases in sorted(ROUTES.items()):
        for case in cases:
            if not case.owner or case.access not in (PRIVATE, OWN_VIEW):
                continue
            for rule in [r for r in _object_rules(app) if r.endpoint == endpoint]:
                if not {"GET", "POST"} <= rule.methods:
                    continue
                url = _url(app, world, rule, case)
                page = _ask(app, world, case.owner, "GET", url, case)
                names = _field_names(page.get_data(as_text=True))
                if not names:
                    continue
                forms += 1
                data = dict.fromkeys(names, JUNK[junk])
                response = _ask(
                    app, world, case.owner, "POST", url, Case(case.access, query=case.query, data=data)
                )
                if response.status_code >= 500:
                    problems.append(f"POST {url} as {case.owner} with {junk} in {sorted(names)}: 500")
    assert forms >= 15
    assert not problems, "\n".join(problems)


QUERY_NAMES = [
    *("page", "per_page", "q", "theme", "themes", "registration", "table", "supplier", "buyer", "role"),
    *("per_item", "limit", "lang", "email", "declined", "to", "status", "kind", "sort", "year", "domain"),
    *("event", "need", "offering", "language", "mode", "tab", "organisation", "min_score", "decision", "trl"),
    *("innovation_type", "procurement_route", "cpv_codes", "deadline", "registered_only", "next", "format"),
]


def test_pages_answer_junk_query_strings_without_a_500(app, make_user, make_organisation):
    """Every GET route, with nonsense in every query parameter any page reads, as its owner and a visitor
    (the kinds of nonsense rotate over routes and parameters, so each route gets all of them)."""
    from urllib.parse import urlencode

    world = _world(make_user, make_organisation)
    flavours = [JUNK[name] for name in sorted(JUNK)]
    problems, pages = [], 0
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    for n, rule in enumerate(sorted(rules, key=lambda r: r.rule)):
        query = urlencode({name: flavours[(n + i) % len(flavours)] for i, name in enumerate(QUERY_NAMES)})
        case = ROUTES[rule.endpoint][0] if rule.arguments else Case(OWN_VIEW, "admin")
        url = _url(app, world, rule, case)
        url += ("&" if "?" in url else "?") + query
        for actor in (case.owner or "admin", "anonymous"):
            pages += 1
            response = _ask(app, world, actor, "GET", url, case)
            if response.status_code >= 500:
                problems.append(f"GET {url[:120]} as {actor}: {response.status_code}")
    assert pages >= 150
    assert not problems, "\n".join(problems)


# Pages without an object in their URL that only organizers and administrators may open.
STAFF_PAGES = [
    "/events/manage",
    "/events/new",
    "/matches/overview",
    "/matches/overview.csv",
    "/catalogue/exchange",
    "/catalogue/themes/new",
    "/admin/",
    "/admin/users",
    "/admin/organisations",
    "/admin/pages",
    "/admin/pages/new",
    "/jobs/failed",
]


def test_staff_pages_refuse_participants_and_visitors(app, make_user, make_organisation):
    world = _world(make_user, make_organisation)
    problems = []
    for path in STAFF_PAGES:
        for actor in ("buyer_a", "supplier_a", "anonymous"):
            response = _ask(app, world, actor, "GET", path, Case(PRIVATE))
            if not _refused(response):
                problems.append(f"GET {path} as {actor}: {response.status_code}")
        if _ask(app, world, "admin", "GET", path, Case(PRIVATE)).status_code != 200:
            problems.append(f"GET {path} as admin is not 200: the list is out of date")
    assert not problems, "\n".join(problems)


def test_no_listing_shows_private_data_of_a(app, make_user, make_organisation):
    """Lists, searches, dashboards, feeds: every GET page without an object in its URL, seen by B."""
    world = _world(make_user, make_organisation)
    problems = []
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and not r.arguments]
    assert len(rules) >= 40
    for rule in rules:
        for actor in INTRUDERS:
            response = _ask(app, world, actor, "GET", rule.rule + "?q=Draft", Case(OWN_VIEW))
            if response.status_code >= 500:
                problems.append(f"GET {rule.rule} as {actor}: {response.status_code}")
            if SECRET.encode() in response.data or SECRET.lower().encode() in response.data:
                problems.append(f"GET {rule.rule} as {actor}: shows A's private data")
    assert not problems, "\n".join(problems)
