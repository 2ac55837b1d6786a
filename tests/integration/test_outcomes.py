"""Outcomes of meetings: who rates what and when, the answers, the procurement count, the survey command."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from markupsafe import escape

from matchmaker.extensions import db
from matchmaker.models import FollowUp, Job, MeetingOutcome, Notification, OutcomeSurvey, utcnow
from matchmaker.services import ServiceError
from matchmaker.services import outcomes as outcomes_service
from matchmaker.services import tracker as tracker_service
from matchmaker.tasks.periodic import enqueue_periodic
from tests.helpers import days_ago, move_event_to

# Services translate their refusals: in English here, as the tests read them.
pytestmark = pytest.mark.usefixtures("english_request_context")


HELD_USEFUL = {
    "held": "yes",
    "usefulness": "4",
    "follow_up": "procurement_launched",
    "comment": "Tender in May",
}


@pytest.fixture
def setting(event, buyer, supplier, make_participant, register, make_meeting):
    """An event ten days ago: the buyer meets two suppliers; a third meeting is without the buyer."""
    buyer.language = supplier.language = "en"
    db.session.commit()
    rb, rs = register(buyer, event), register(supplier, event)
    other_supplier = make_participant("supplier", name="Otto Other")
    ro = register(other_supplier, event)
    other_buyer = make_participant("buyer", name="Bea Elsewhere")
    rb2 = register(other_buyer, event)
    m1 = make_meeting(event, rb, rs, slot_index=0)
    m2 = make_meeting(event, rb, ro, slot_index=1)
    m3 = make_meeting(event, rb2, ro, slot_index=0, table_index=1)  # the buyer is not in it
    move_event_to(event, days_ago(10))
    return {
        "rb": rb,
        "rs": rs,
        "ro": ro,
        "rb2": rb2,
        "m1": m1,
        "m2": m2,
        "m3": m3,
        "other_buyer": other_buyer,
        "other_supplier": other_supplier,
    }


def _answers():
    db.session.expire_all()
    return db.session.scalars(sa.select(MeetingOutcome).order_by(MeetingOutcome.id)).all()


# --- rating ---------------------------------------------------------------------------------------------


def test_a_participant_rates_a_meeting_after_the_event(client, auth, event, buyer, setting):
    auth.login(buyer)
    page = client.get(f"/outcomes/events/{event.id}")
    assert page.status_code == 200
    assert "Sofie Supplier" in page.text and "Otto Other" in page.text and "Bea Elsewhere" not in page.text
    assert "0 of 2 meetings rated" in page.text
    url = f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}"
    assert client.get(url).status_code == 200
    response = client.post(url, data=HELD_USEFUL)
    # On to the next meeting still to rate.
    assert response.status_code == 302 and response.location.endswith(f"/meetings/{setting['m2'].id}")
    [outcome] = _answers()
    assert (outcome.meeting_id, outcome.registration_id, outcome.round) == (
        setting["m1"].id,
        setting["rb"].id,
        1,
    )
    assert (outcome.held, outcome.usefulness, outcome.follow_up, outcome.comment) == (
        True,
        4,
        FollowUp.PROCUREMENT_LAUNCHED,
        "Tender in May",
    )
    # The answer is linked to the buyer side's needs.
    assert [n.title for n in outcome.needs] == [n.title for n in setting["rb"].needs] and outcome.needs
    assert "1 of 2 meetings rated" in client.get(f"/outcomes/events/{event.id}").text
    # Changing the answer in the same round replaces it.
    client.post(url, data={**HELD_USEFUL, "usefulness": "2", "follow_up": "further_contact"})
    [outcome] = _answers()
    assert (outcome.usefulness, outcome.follow_up) == (2, FollowUp.FURTHER_CONTACT)


def test_the_supplier_side_links_its_answer_to_the_buyers_needs(client, auth, event, supplier, setting):
    auth.login(supplier)
    client.post(f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}", data=HELD_USEFUL)
    [outcome] = _answers()
    assert outcome.registration_id == setting["rs"].id
    assert {n.id for n in outcome.needs} == {n.id for n in setting["rb"].needs}


def test_a_meeting_that_did_not_take_place_has_no_score_and_no_follow_up(client, auth, event, buyer, setting):
    auth.login(buyer)
    response = client.post(
        f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}",
        data={"held": "no", "usefulness": "5", "follow_up": "contract_awarded"},
    )
    assert response.status_code == 302
    [outcome] = _answers()
    assert (outcome.held, outcome.usefulness, outcome.follow_up) == (False, None, FollowUp.NONE)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"usefulness": "4", "follow_up": "none"}, "Say whether the meeting took place."),
        ({"held": "yes", "follow_up": "none"}, "Say how useful the meeting was, from 1 to 5."),
        ({"held": "yes", "usefulness": "9", "follow_up": "none"}, 'id="usefulness-error"'),
        ({"held": "yes", "usefulness": "3", "follow_up": "world_peace"}, 'id="follow_up-error"'),
        (
            {"held": "yes", "usefulness": "3", "follow_up": "none", "comment": "x" * 2001},
            'id="comment-error"',
        ),
    ],
)
def test_an_incomplete_answer_answers_422_and_keeps_the_earlier_one(
    client, auth, event, buyer, setting, data, message
):
    auth.login(buyer)
    url = f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}"
    client.post(url, data=HELD_USEFUL)
    response = client.post(url, data=data)
    assert response.status_code == 422
    assert message in response.text
    [outcome] = _answers()
    assert (outcome.usefulness, outcome.follow_up) == (4, FollowUp.PROCUREMENT_LAUNCHED)


def test_a_participant_cannot_rate_someone_elses_meeting(client, auth, event, buyer, setting, make_user):
    auth.login(buyer)
    url = f"/outcomes/events/{event.id}/meetings/{setting['m3'].id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=HELD_USEFUL).status_code == 404
    with pytest.raises(ServiceError, match="only rate your own meetings"):
        outcomes_service.save_outcome(
            buyer, event, setting["m3"], outcomes_service.OutcomeInput(True, 4, "none")
        )
    # Somebody who did not take part in the event at all.
    auth.login(make_user(roles=("supplier",)))
    assert client.get(f"/outcomes/events/{event.id}").status_code == 404
    assert (
        client.post(f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}", data=HELD_USEFUL).status_code
        == 404
    )
    assert _answers() == []


def test_a_meeting_of_another_event_or_unpublished_or_cancelled_is_not_found(
    client, auth, event, buyer, setting, make_event, make_meeting
):
    from matchmaker.services.event_rules import local_now

    setting["m2"].published = False
    setting["m1"].cancelled_at = local_now()
    db.session.commit()
    auth.login(buyer)
    for meeting in (setting["m1"], setting["m2"]):
        assert client.get(f"/outcomes/events/{event.id}/meetings/{meeting.id}").status_code == 404
    other = make_event(title="Other event")
    assert client.get(f"/outcomes/events/{other.id}/meetings/{setting['m3'].id}").status_code == 404


def test_meetings_cannot_be_rated_before_the_event_is_over(client, auth, event, buyer, setting):
    move_event_to(event, days_ago(0))  # today: not over yet
    auth.login(buyer)
    url = f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}"
    assert client.get(f"/outcomes/events/{event.id}").status_code == 403
    assert client.get(url).status_code == 403
    assert client.post(url, data=HELD_USEFUL).status_code == 403
    with pytest.raises(ServiceError, match="once the event is over"):
        outcomes_service.save_outcome(
            buyer, event, setting["m1"], outcomes_service.OutcomeInput(True, 4, "none")
        )
    assert _answers() == []
    assert "Rate your meetings" not in client.get(f"/events/{event.id}").text


def test_the_event_page_links_to_the_survey_once_the_event_is_over(client, auth, event, buyer, setting):
    auth.login(buyer)
    page = client.get(f"/events/{event.id}").text
    assert f'href="/outcomes/events/{event.id}"' in page
    assert f'href="/outcomes/events/{event.id}"' in client.get("/outcomes/").text


def test_the_second_round_asks_again_and_keeps_the_first(client, auth, app, event, buyer, setting):
    auth.login(buyer)
    url = f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}"
    client.post(url, data={**HELD_USEFUL, "follow_up": "further_contact"})
    move_event_to(event, days_ago(130))  # past OUTCOME_SECOND_SURVEY_DAYS (120)
    page = client.get(url)
    assert "Second survey" in page.text and "Your answer just after the event" in page.text
    client.post(url, data={**HELD_USEFUL, "follow_up": "contract_awarded"})
    answers = _answers()
    assert [(a.round, a.follow_up) for a in answers] == [(1, "further_contact"), (2, "contract_awarded")]


# --- procurements begun at a meet & greet ------------------------------------------------------------------


def _answer(user, event, meeting, follow_up, held=True):
    outcomes_service.save_outcome(
        user, event, meeting, outcomes_service.OutcomeInput(held, 4 if held else None, follow_up)
    )


def test_a_procurement_counts_once_per_meeting_for_the_buyers_organisation(event, buyer, supplier, setting):
    _answer(buyer, event, setting["m1"], "procurement_launched")
    _answer(supplier, event, setting["m1"], "contract_awarded")  # the same meeting: still one
    begun = outcomes_service.begun_procurements()
    # Confirmed by the buyer's side, whose word decides what it was: the supplier's "award" is not public.
    assert len(begun) == 1 and begun[0].confirmed and begun[0].follow_up == "procurement_launched"
    year = setting["m1"].slot.starts_at.year
    agency = buyer.organisation
    assert outcomes_service.procurements_begun_by_year([agency.id]) == {year: 1}
    assert outcomes_service.procurements_begun_by_year([setting["other_buyer"].organisation.id]) == {}
    # The tracker dashboards show it, also for a year without figures.
    rows = tracker_service.organisation_dashboard(agency).rows
    assert [(r.year, r.from_meetings) for r in rows] == [(year, 1)]
    assert tracker_service.overall_dashboard().total.from_meetings == 1


def test_the_latest_round_decides(app, event, buyer, setting):
    _answer(buyer, event, setting["m1"], "procurement_launched")
    assert len(outcomes_service.begun_procurements()) == 1
    move_event_to(event, days_ago(125))
    _answer(buyer, event, setting["m1"], "further_contact")  # round 2: the procurement was stopped
    assert outcomes_service.begun_procurements() == []


def test_the_organizer_sees_the_outcomes_of_the_event(
    client, auth, event, organizer, buyer, supplier, setting
):
    _answer(buyer, event, setting["m1"], "procurement_launched")
    _answer(supplier, event, setting["m1"], "further_contact")
    _answer(buyer, event, setting["m2"], "none", held=False)
    summary = outcomes_service.event_summary(event)
    assert (summary.meetings, summary.answered_meetings, summary.answers) == (3, 2, 3)
    assert (summary.held, summary.not_held, summary.average_usefulness) == (2, 1, 4.0)
    assert summary.procurements_begun == 1 and summary.contracts_awarded == 0
    auth.login(organizer)
    page = client.get(f"/outcomes/events/{event.id}/summary")
    assert page.status_code == 200 and 'id="procurements-begun">1<' in page.text
    assert f"/outcomes/events/{event.id}/summary" in client.get(f"/events/{event.id}/dashboard").text


def test_only_the_organizer_sees_the_summary(client, auth, event, buyer, setting, make_user):
    auth.login(buyer)
    assert client.get(f"/outcomes/events/{event.id}/summary").status_code == 403
    auth.login(make_user(roles=("organizer",)))  # another organizer
    assert client.get(f"/outcomes/events/{event.id}/summary").status_code == 403
    auth.logout()
    assert client.get(f"/outcomes/events/{event.id}/summary").status_code == 302


# --- the survey command -------------------------------------------------------------------------------------


def _surveys():
    db.session.expire_all()
    return sorted((s.registration_id, s.round) for s in db.session.scalars(sa.select(OutcomeSurvey)).all())


def _survey_mails(outbox):
    return [mail for mail in outbox if "/outcomes/events/" in mail.body]


def test_the_survey_command_sends_the_first_round_after_the_event_once(runner, event, setting, outbox):
    result = runner.invoke(args=["outcomes", "send-surveys"])
    assert result.exit_code == 0, result.output
    assert "4 survey invitation(s) sent" in result.output
    with_meetings = sorted(setting[k].id for k in ("rb", "rs", "ro", "rb2"))
    assert _surveys() == [(rid, 1) for rid in with_meetings]
    assert len(_survey_mails(outbox)) == 4
    assert {mail.to for mail in _survey_mails(outbox)} == {
        r.user.email for r in (setting[k] for k in ("rb", "rs", "ro", "rb2"))
    }
    assert all(f"/outcomes/events/{event.id}" in mail.body for mail in _survey_mails(outbox))
    kinds = db.session.scalars(
        sa.select(Notification.kind).where(Notification.kind.like("outcome_survey%"))
    ).all()
    assert kinds == ["outcome_survey_first"] * 4
    # Not twice.
    result = runner.invoke(args=["outcomes", "send-surveys"])
    assert "0 survey invitation(s) sent" in result.output
    assert len(_survey_mails(outbox)) == 4


def test_the_survey_command_sends_the_second_round_after_n_days(runner, app, event, setting, outbox):
    runner.invoke(args=["outcomes", "send-surveys"])
    move_event_to(event, days_ago(119))
    assert "0 survey invitation(s) sent" in runner.invoke(args=["outcomes", "send-surveys"]).output
    move_event_to(event, days_ago(120))
    result = runner.invoke(args=["outcomes", "send-surveys"])
    assert "4 survey invitation(s) sent" in result.output
    assert [r for _rid, r in _surveys()].count(2) == 4
    assert "0 survey invitation(s) sent" in runner.invoke(args=["outcomes", "send-surveys"]).output
    assert len(_survey_mails(outbox)) == 8


@pytest.mark.parametrize("app_overrides", [{"OUTCOME_SECOND_SURVEY_DAYS": 30}])
def test_the_second_survey_delay_is_configurable(runner, event, setting, app_overrides):
    move_event_to(event, days_ago(31))
    runner.invoke(args=["outcomes", "send-surveys"])
    # Only the latest due round is sent: the first survey is skipped when the second is due already.
    assert {r for _rid, r in _surveys()} == {2}


def test_no_survey_before_the_event_is_over_or_without_meetings(
    runner, event, setting, make_participant, register
):
    move_event_to(event, days_ago(-5))  # registration closes once the event is over: register before it
    loner = register(make_participant("supplier", name="No Meetings"), event)
    move_event_to(event, days_ago(0))
    assert "0 survey invitation(s) sent" in runner.invoke(args=["outcomes", "send-surveys"]).output
    move_event_to(event, days_ago(1))
    runner.invoke(args=["outcomes", "send-surveys"])
    assert loner.id not in {rid for rid, _r in _surveys()}
    assert len(_surveys()) == 4


def test_a_mail_server_that_is_down_delays_the_invitations_without_losing_them(
    runner, app, event, setting, monkeypatch, outbox
):
    # The invitations are stored with their mails (the outbox); the mails wait for the server, not the survey.
    from matchmaker.models import MailStatus, OutboxMail
    from matchmaker.services import mail

    app.config["MAIL_RETRY_SECONDS"] = 3600
    outbox.clear()  # the set-up's own mails
    real = mail.transmit
    monkeypatch.setattr(mail, "transmit", lambda *a: (_ for _ in ()).throw(OSError("SMTP down")))
    result = runner.invoke(args=["outcomes", "send-surveys"])
    assert result.exit_code == 0 and "4 survey invitation(s) sent" in result.output
    assert len(_surveys()) == 4 and outbox == []
    waiting = sa.select(OutboxMail.message_id).where(OutboxMail.status == MailStatus.QUEUED)
    assert len(db.session.scalars(waiting).all()) == 4
    monkeypatch.setattr(mail, "transmit", real)
    db.session.execute(sa.update(OutboxMail).values(next_attempt_at=None))
    db.session.commit()
    for message_id in db.session.scalars(waiting).all():
        assert mail.deliver_mail(message_id) == "sent"
    assert len(outbox) == 4
    assert "0 survey invitation(s) sent" in runner.invoke(args=["outcomes", "send-surveys"]).output


def test_the_database_keeps_one_answer_per_meeting_participant_and_round(event, buyer, setting):
    _answer(buyer, event, setting["m1"], "none")
    db.session.add(MeetingOutcome(meeting_id=setting["m1"].id, registration_id=setting["rb"].id, round=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(OutcomeSurvey(registration_id=setting["rb"].id, round=1))
    db.session.add(OutcomeSurvey(registration_id=setting["rb"].id, round=1))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_current_round_boundaries(app, event, setting):
    move_event_to(event, days_ago(0))
    assert outcomes_service.current_round(event) is None
    move_event_to(event, days_ago(1))
    assert outcomes_service.current_round(event) == 1
    move_event_to(event, days_ago(119))
    assert outcomes_service.current_round(event) == 1
    move_event_to(event, days_ago(120))
    assert outcomes_service.current_round(event) == 2
    assert outcomes_service.second_round_opens(event) == event.last_day + timedelta(days=120)


def test_a_participants_answers_are_in_their_personal_data_export(event, buyer, setting):
    from matchmaker.services import accounts

    _answer(buyer, event, setting["m1"], "market_consultation")
    [answer] = accounts.export_personal_data(buyer)["data"]["meeting_outcomes"]
    assert (answer["with"], answer["round"]) == ("Sofie Supplier", 1)
    assert answer["follow_up"] == "market_consultation"


# --- the organizer reads comments; overview of events; the participants' menu ----------------------------


def _comment(user, event, meeting, text, usefulness=4, held=True, follow_up="further_contact"):
    outcomes_service.save_outcome(
        user,
        event,
        meeting,
        outcomes_service.OutcomeInput(held, usefulness if held else None, follow_up, text),
    )


def test_the_summary_shows_the_comments_with_who_wrote_them(
    client, auth, event, organizer, buyer, supplier, setting
):
    _comment(buyer, event, setting["m1"], "Good fit for our <tender> in May", usefulness=5)
    _comment(supplier, event, setting["m1"], "", usefulness=3)  # no comment: not listed
    _comment(buyer, event, setting["m2"], "They did not show up", held=False)
    summary = outcomes_service.event_summary(event)
    assert [(c.text, c.author.user_id, c.partner.id) for c in summary.comments] == [
        ("Good fit for our <tender> in May", buyer.id, setting["rs"].id),
        ("They did not show up", buyer.id, setting["ro"].id),
    ]
    auth.login(organizer)
    html = client.get(f"/outcomes/events/{event.id}/summary").text
    section = html[html.index('id="comments-heading"') :]
    assert "Good fit for our &lt;tender&gt; in May" in section  # escaped
    assert (
        f"{buyer.display_name} ({buyer.organisation.name}) about the meeting with {supplier.display_name}"
        in section
    )
    assert "usefulness 5 of 5" in section and "the meeting did not take place" in section
    assert 'id="average-usefulness">4.0<' in html  # (5 + 3) / 2


def test_the_comment_field_says_the_organizer_reads_it(client, auth, event, buyer, setting):
    auth.login(buyer)
    html = client.get(f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}").text
    assert "The organizers of the event read your comment, with your name." in html


def test_the_summary_gives_the_average_usefulness_per_round(app, event, buyer, supplier, setting):
    _comment(buyer, event, setting["m1"], "", usefulness=2)
    _comment(supplier, event, setting["m1"], "", usefulness=4)
    move_event_to(event, days_ago(130))
    _comment(buyer, event, setting["m1"], "", usefulness=5)
    summary = outcomes_service.event_summary(event)
    assert summary.average_by_round == {1: 3.0, 2: 5.0}
    assert summary.average_usefulness == 4.5  # the latest answers: buyer 5 (round 2), supplier 4


def test_the_organizer_overview_lists_past_events_with_their_average(
    client, auth, event, organizer, buyer, supplier, setting
):
    _comment(buyer, event, setting["m1"], "", usefulness=5, follow_up="procurement_launched")
    _comment(supplier, event, setting["m1"], "", usefulness=2)
    _comment(buyer, event, setting["m2"], "", held=False)
    [row] = outcomes_service.outcomes_overview([event])
    assert (row.answers, row.average_usefulness, row.procurements_begun) == (3, 3.5, 1)
    auth.login(organizer)
    html = client.get("/outcomes/organizer").text
    assert f'href="/outcomes/events/{event.id}/summary"' in html
    assert ">3.5<" in html
    assert 'href="/outcomes/organizer"' in client.get(f"/outcomes/events/{event.id}/summary").text


def test_the_organizer_overview_is_for_organizers_and_shows_only_their_events(
    client, auth, event, setting, buyer, make_user
):
    auth.login(buyer)
    assert client.get("/outcomes/organizer").status_code == 403
    auth.login(make_user(roles=("organizer",)))
    html = client.get("/outcomes/organizer").text
    assert f"/outcomes/events/{event.id}/summary" not in html
    assert "None of your events is over yet" in html


def test_my_surveys_is_in_the_user_menu_of_participants(client, auth, buyer, make_user):
    auth.login(buyer)
    assert 'href="/outcomes/">My surveys<' in client.get("/").text
    auth.login(make_user(roles=("organizer",)))
    assert "My surveys" not in client.get("/").text


# --- the procurement count is an SQL aggregate --------------------------------------------------------------


def _reference_by_year(organisation_ids=None):
    """What procurements_begun_by_year gave before: counted in Python over every answer."""
    from collections import Counter

    wanted = None if organisation_ids is None else set(organisation_ids)
    return dict(
        Counter(
            b.year
            for b in outcomes_service.begun_procurements()
            if b.confirmed and (wanted is None or b.buyer_organisation_id in wanted)
        )
    )


def test_the_aggregate_count_agrees_with_the_answers(app, event, buyer, supplier, setting):
    other_buyer = setting["other_buyer"]
    _answer(buyer, event, setting["m1"], "procurement_launched")
    _answer(supplier, event, setting["m1"], "contract_awarded")  # same meeting: once
    _answer(setting["other_supplier"], event, setting["m2"], "none", held=False)
    _answer(other_buyer, event, setting["m3"], "contract_awarded")
    ids = [buyer.organisation.id, other_buyer.organisation.id]
    for wanted in (None, ids, ids[:1], ids[1:], []):
        assert outcomes_service.procurements_begun_by_year(wanted) == _reference_by_year(wanted), wanted
    year = setting["m1"].slot.starts_at.year
    assert outcomes_service.procurements_begun_by_year() == {year: 2}
    move_event_to(event, days_ago(130))
    _answer(buyer, event, setting["m1"], "further_contact")  # round 2 of the buyer; the supplier's stays
    _answer(other_buyer, event, setting["m3"], "contract_awarded")  # round 2 confirms the award
    for wanted in (None, ids, ids[:1], ids[1:]):
        assert outcomes_service.procurements_begun_by_year(wanted) == _reference_by_year(wanted), wanted
    # The supplier's award alone is no longer the buyer's word: only m3 counts.
    assert outcomes_service.procurements_begun_by_year() == {setting["m3"].slot.starts_at.year: 1}
    assert outcomes_service.procurements_begun_by_year([buyer.organisation.id]) == {}


def test_the_aggregate_count_is_one_query_however_many_answers(app, event, buyer, supplier, setting):
    from matchmaker.extensions import db as database

    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    _answer(buyer, event, setting["m1"], "procurement_launched")
    _answer(setting["other_supplier"], event, setting["m3"], "procurement_launched")
    organisation_id = buyer.organisation.id
    sa.event.listen(database.engine, "before_cursor_execute", record)
    try:
        outcomes_service.procurements_begun_by_year([organisation_id])
    finally:
        sa.event.remove(database.engine, "before_cursor_execute", record)
    assert len(statements) == 1
    assert "meeting_outcome" in statements[0] and "count(" in statements[0].lower()


def test_the_daily_survey_job_invites_once(event, setting, outbox):
    job_id = enqueue_periodic("outcomes.send_surveys")
    assert db.session.get(Job, job_id).result == {"sent": 4, "failed": 0}
    assert len(_survey_mails(outbox)) == 4
    assert enqueue_periodic("outcomes.send_surveys") is None  # today's job ran
    job_id = enqueue_periodic("outcomes.send_surveys", now=utcnow() + timedelta(days=1))
    assert db.session.get(Job, job_id).result == {"sent": 0, "failed": 0}  # each round once
    assert len(_survey_mails(outbox)) == 4


def test_a_claim_of_the_supplier_alone_stays_with_the_organizers(
    client, auth, event, organizer, buyer, supplier, setting
):
    """Issue 13: a supplier's "contract awarded" put a public claim about an agency on its tracker page while
    the agency answered "nothing yet". It is now reported to organizers as one side's claim only."""
    _answer(buyer, event, setting["m1"], "none")
    _answer(supplier, event, setting["m1"], "contract_awarded")
    agency = buyer.organisation
    assert outcomes_service.procurements_begun_by_year([agency.id]) == {}
    assert outcomes_service.begun_for_organisation(agency.id) == []
    assert [r.from_meetings for r in tracker_service.organisation_dashboard(agency).rows] == []
    page = client.get(f"/tracker/organisations/{agency.id}")
    assert page.status_code == 200 and str(escape(event.title)) not in page.text
    summary = outcomes_service.event_summary(event)
    assert (summary.procurements_begun, summary.contracts_awarded, summary.reported_by_one_side) == (0, 0, 1)
    auth.login(organizer)
    page = client.get(f"/outcomes/events/{event.id}/summary")
    assert 'id="reported-by-one-side">1<' in page.text and 'id="procurements-begun">0<' in page.text
    # The buyer's survey shows the claim to confirm; the supplier's does not.
    auth.login(buyer)
    rate = client.get(f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}")
    assert "reports: a contract was awarded." in rate.text
    auth.login(supplier)
    assert "outcome-claim" not in client.get(f"/outcomes/events/{event.id}/meetings/{setting['m1'].id}").text
    # The buyer's side confirms: now it is public, as the buyer states it.
    _answer(buyer, event, setting["m1"], "procurement_launched")
    assert outcomes_service.procurements_begun_by_year([agency.id]) == {setting["m1"].slot.starts_at.year: 1}
    details = outcomes_service.begun_for_organisation(agency.id)
    assert [d.begun.follow_up for d in details] == ["procurement_launched"]
    assert str(escape(event.title)) in client.get(f"/tracker/organisations/{agency.id}").text


# --- check-in (issue 16) ---------------------------------------------------------------------------------


def test_when_check_in_was_used_only_meetings_of_two_arrivals_are_surveyed(
    client, auth, runner, event, buyer, setting, make_user
):
    """The buyer, Sofie and Otto were checked in; Bea was not: her meeting with Otto (m3) did not take place,
    so neither is asked about it (and Bea, with no other meeting, gets no survey)."""
    from matchmaker.services import checkin

    for key in ("rb", "rs", "ro"):
        checkin.check_in(event.organizer, setting[key])
    result = runner.invoke(args=["outcomes", "send-surveys"])
    assert "3 survey invitation(s) sent" in result.output
    assert {rid for rid, _r in _surveys()} == {setting[k].id for k in ("rb", "rs", "ro")}
    assert outcomes_service.meetings_of(setting["ro"]) == [setting["m2"]]
    assert outcomes_service.meetings_of(setting["rb"]) == [setting["m1"], setting["m2"]]
    auth.login(setting["other_supplier"])
    assert client.get(f"/outcomes/events/{event.id}/meetings/{setting['m3'].id}").status_code == 404
    assert client.get(f"/outcomes/events/{event.id}/meetings/{setting['m2'].id}").status_code == 200


def test_when_nobody_was_checked_in_every_meeting_is_surveyed_as_before(runner, event, setting):
    from matchmaker.services import checkin

    checkin.check_in(event.organizer, setting["rb"])
    checkin.undo_check_in(event.organizer, setting["rb"])  # nobody left checked in
    assert "4 survey invitation(s) sent" in runner.invoke(args=["outcomes", "send-surveys"]).output
