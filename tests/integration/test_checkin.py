"""Check-in on the event day (issue 16): codes, arrivals, undo, and who may check people in."""

import pytest

from matchmaker.services import NotFound, ServiceError, checkin


@pytest.fixture
def participant(make_event, make_participant, register):
    event = make_event()
    return register(make_participant("supplier", name="Sara Supplier"), event)


def test_a_code_is_made_once_and_found_however_it_is_typed(participant):
    code = checkin.checkin_code(participant)
    assert len(code) == checkin.CODE_LENGTH and set(code) <= set(checkin.CODE_ALPHABET)
    assert checkin.checkin_code(participant) == code
    typed = f" {code[:3].lower()}-{code[3:]} "
    assert checkin.find_by_code(participant.event, typed) == participant
    with pytest.raises(NotFound):
        checkin.find_by_code(participant.event, "QQQQQQ" if code != "QQQQQQ" else "AAAAAA")


def test_checking_in_twice_is_refused_and_undo_removes_the_arrival(participant, organizer):
    event = participant.event
    checkin.check_in(organizer, participant)
    assert checkin.arrived_ids(event) == {participant.id}
    with pytest.raises(ServiceError, match="already checked in"):
        checkin.check_in(organizer, participant)
    checkin.undo_check_in(organizer, participant)
    assert checkin.arrived_ids(event) == set()
    with pytest.raises(ServiceError, match="not checked in"):
        checkin.undo_check_in(organizer, participant)


def test_only_the_events_managers_check_people_in(participant, make_user):
    stranger = make_user(roles=("organizer",))
    with pytest.raises(ServiceError):
        checkin.check_in(stranger, participant)
    assert checkin.arrived_ids(participant.event) == set()


def test_two_organizers_checking_in_one_person_at_once_record_one_arrival(
    app, participant, organizer, make_user
):
    """At the entrance two organizers scan the same badge at the same moment: the unique row keeps one
    arrival, and the second is told the person is already checked in (not an error)."""
    import sqlalchemy as sa

    from matchmaker.extensions import db
    from matchmaker.models import CheckIn, Registration, User
    from tests.helpers import race, require_postgres

    require_postgres()
    admin = make_user(roles=("admin",))
    registration_id, user_ids = participant.id, (organizer.id, admin.id)

    def checks_in(user_id):
        def run():
            checkin.check_in(db.session.get(User, user_id), db.session.get(Registration, registration_id))

        return run

    results = race(app, *(checks_in(user_id) for user_id in user_ids), language="en")
    assert results.count("ok") == 1, results
    refusal = next(r for r in results if r != "ok")
    assert "Sara Supplier is already checked in." in refusal.message
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1


def test_two_requests_asking_for_a_new_code_at_once_agree_on_one(app, participant):
    from matchmaker.extensions import db
    from matchmaker.models import Registration
    from tests.helpers import race, require_postgres

    require_postgres()
    registration_id = participant.id
    codes = []

    def asks():
        codes.append(checkin.checkin_code(db.session.get(Registration, registration_id)))

    assert race(app, asks, asks) == ["ok", "ok"]
    db.session.expire_all()
    stored = db.session.get(Registration, registration_id).checkin_code
    assert set(codes) == {stored}, (codes, stored)  # what each was shown is what is stored


def test_a_code_that_another_participant_has_is_drawn_again(
    participant, make_participant, register, monkeypatch
):
    other = register(make_participant("buyer", name="Bart Buyer"), participant.event)
    taken = checkin.checkin_code(participant)
    draws = iter(taken + "ACDEFG")  # first the code already taken, then a free one
    monkeypatch.setattr(checkin.secrets, "choice", lambda _alphabet: next(draws))
    assert checkin.checkin_code(other) == "ACDEFG" != taken
