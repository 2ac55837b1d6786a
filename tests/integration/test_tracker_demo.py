"""The tracker step of `flask seed-demo`: 3%-norm figures that can be checked by hand, and meetings with
outcomes at the past demo event."""

import pytest
import sqlalchemy as sa

from matchmaker.demo import FOUNDATION_STEPS
from matchmaker.demo.events import PAST_TITLE, seed_demo_events
from matchmaker.demo.tracker import seed_demo_tracker
from matchmaker.extensions import db
from matchmaker.models import (
    Event,
    InnovationProject,
    Meeting,
    MeetingAttendee,
    MeetingOutcome,
    ProcurementYear,
)
from matchmaker.services import outcomes as outcomes_service

pytestmark = pytest.mark.usefixtures("request_context")


def _seed(make_participant):
    for _name, step in FOUNDATION_STEPS:
        step(lambda message: None)
    for n in range(3):
        make_participant("buyer", name=f"Demo buyer {n}", title=f"Need number {n}")
        make_participant("supplier", name=f"Demo supplier {n}", title=f"Offering number {n}")
    seed_demo_events()
    return seed_demo_tracker()


def _counts():
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (ProcurementYear, InnovationProject, Meeting, MeetingAttendee, MeetingOutcome)
    )


def test_the_demo_figures_give_the_shares_computed_by_hand(client, make_participant):
    report = _seed(make_participant)
    assert "16 years and 23 projects added" in report
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"

    overall = client.get("/tracker/").text
    # Flemish government, budgets 10M + 20M + 5M + 7M = 42,000,000 a year:
    # 2022: (200000+400000+50000+70000)/42000000 = 720000/42000000 = 1.714% -> 1.71%
    # 2023: (250000+400000+100000+140000)/42000000 = 890000/42000000 = 2.119% -> 2.12%
    # 2024: (300000+600000+150000+210000)/42000000 = 1260000/42000000 = 3.00%
    # 2025: (350000+800000+200000+280000)/42000000 = 1630000/42000000 = 3.881% -> 3.88%
    for share in ("1.71%", "2.12%", "3.00%", "3.88%"):
        assert f'share-cell">{share}<' in overall, share
    # All years: (720000+890000+1260000+1630000)/(4*42000000) = 4500000/168000000 = 2.678% -> 2.68%
    assert 'share-cell">2.68%<' in overall

    mow = client.get("/tracker/domains/mow").text
    # MOW = Wegen en Verkeer (10M) + De Werkvennootschap (20M):
    # 2022: (200000+400000)/30000000 = 2.00%; 2023: (250000+400000)/30000000 = 2.17%;
    # 2024: (300000+600000)/30000000 = 3.00%; 2025: (350000+800000)/30000000 = 3.833% -> 3.83%
    for share in ("2.00%", "2.17%", "3.00%", "3.83%"):
        assert f'share-cell">{share}<' in mow, share

    awv = db.session.scalar(
        sa.select(ProcurementYear.organisation_id)
        .join(ProcurementYear.organisation)
        .where(ProcurementYear.year == 2024, ProcurementYear.budget_cents == 10 * 100 * 1_000_000)
    )
    page = client.get(f"/tracker/organisations/{awv}").text
    # Wegen en Verkeer: (150000+50000)/10M = 2.00%, 250000/10M = 2.50%, (200000+100000)/10M = 3.00%,
    # (250000+100000)/10M = 3.50%
    for share in ("2.00%", "2.50%", "3.00%", "3.50%"):
        assert f'share-cell">{share}<' in page, share
    assert "Slimme verkeerslichten voor fietsers" in page


def test_the_past_demo_event_has_published_meetings_with_outcomes(make_participant):
    _seed(make_participant)
    event = db.session.scalar(sa.select(Event).where(Event.title == PAST_TITLE))
    meetings = db.session.scalars(sa.select(Meeting).where(Meeting.event_id == event.id)).all()
    assert len(meetings) == 8  # 3 accepted requests, then other buyer-supplier pairs up to 8
    assert all(m.published and m.cancelled_at is None and len(m.attendees) == 2 for m in meetings)
    assert outcomes_service.current_round(event) == 2  # the past event was 120 days ago
    summary = outcomes_service.event_summary(event)
    # Answers: meeting 1 buyer "procurement launched" + supplier "further contact"; meeting 2 both "market
    # consultation"; meeting 3 both "did not take place"; meeting 4 buyer "further contact": 7 answers.
    assert (summary.answers, summary.answered_meetings, summary.not_held) == (7, 4, 2)
    assert summary.procurements_begun == 1


def test_the_tracker_step_runs_twice_without_adding_anything(make_participant):
    _seed(make_participant)
    before = _counts()
    assert "0 years and 0 projects added" in seed_demo_tracker()
    assert _counts() == before


def test_the_sql_procurement_count_gives_the_same_figures_as_before_on_the_demo_data(make_participant):
    """procurements_begun_by_year used to count in Python over every answer (begun_procurements); it is an
    SQL aggregate now. On the demo data, for everyone, each organisation and each policy domain, the two
    agree, and so do the dashboards built on them."""
    from collections import Counter

    from matchmaker.models import Organisation, OrganisationKind
    from matchmaker.services import tracker as tracker_service

    _seed(make_participant)

    def reference(ids=None):
        wanted = None if ids is None else set(ids)
        return dict(
            Counter(
                b.year
                for b in outcomes_service.begun_procurements()
                if wanted is None or b.buyer_organisation_id in wanted
            )
        )

    government = db.session.scalars(
        sa.select(Organisation).where(Organisation.kind == OrganisationKind.GOVERNMENT)
    ).all()
    assert sum(reference().values()) == 1  # the demo's one procurement launched at the past event
    assert outcomes_service.procurements_begun_by_year() == reference()
    assert outcomes_service.procurements_begun_by_year([o.id for o in government]) == reference(
        [o.id for o in government]
    )
    for organisation in government:
        assert outcomes_service.procurements_begun_by_year([organisation.id]) == reference([organisation.id])
        rows = tracker_service.organisation_dashboard(organisation).rows
        assert {r.year: r.from_meetings for r in rows if r.from_meetings} == reference([organisation.id])
    for domain in {o.policy_domain for o in government if o.policy_domain}:
        ids = [o.id for o in government if o.policy_domain == domain]
        rows = tracker_service.domain_dashboard(domain).rows
        assert {r.year: r.from_meetings for r in rows if r.from_meetings} == reference(ids)
    assert tracker_service.overall_dashboard().total.from_meetings == 1
