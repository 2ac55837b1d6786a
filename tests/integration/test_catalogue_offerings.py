"""Offerings: creating, editing with preview, the life cycle, who may see and change them, lost updates."""

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import Offering, Theme
from matchmaker.services import ServiceError, catalogue
from tests.factories import add_offering
from tests.helpers import offering_form


@pytest.fixture
def supplier(auth):
    return auth.login_as("supplier", language="en")


def _only_offering() -> Offering:
    return db.session.scalars(sa.select(Offering)).one()


# -- creating ------------------------------------------------------------------------------------


def test_new_offering_form_renders_with_the_cpv_picker(client, supplier):
    response = client.get("/catalogue/offerings/new")
    assert response.status_code == 200
    assert b"data-cpv-picker" in response.data
    assert b'name="version"' in response.data


def test_supplier_creates_a_draft_offering(client, supplier):
    response = client.post("/catalogue/offerings/new", data=offering_form())
    offering = _only_offering()
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/catalogue/offerings/{offering.id}")
    assert offering.status == "draft"
    assert offering.organisation_id == supplier.organisation.id
    assert offering.created_by_id == supplier.id
    assert offering.trl == 6
    assert offering.cpv_codes == ["34996000"]
    assert offering.link_list == [("Brochure", "https://example.org/brochure.pdf")]


def test_created_offering_gets_the_chosen_themes(client, supplier):
    theme = Theme(slug="mobility", name_nl="Mobiliteit", name_fr="Mobilité", name_en="Mobility")
    db.session.add(theme)
    db.session.commit()
    client.post("/catalogue/offerings/new", data=offering_form(themes=[str(theme.id)]))
    assert [t.slug for t in _only_offering().themes] == ["mobility"]


def test_cpv_codes_with_check_digit_and_repeats_are_normalised(client, supplier):
    client.post("/catalogue/offerings/new", data=offering_form(cpv_codes="72000000-5, 48000000 ;72000000"))
    assert _only_offering().cpv_codes == ["48000000", "72000000"]


def test_trl_may_be_left_empty(client, supplier):
    client.post("/catalogue/offerings/new", data=offering_form(trl=""))
    assert _only_offering().trl is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "", "This field is required."),
        ("title", "x" * 201, "Field cannot be longer than 200 characters."),
        ("summary", "y" * 501, "Field cannot be longer than 500 characters."),
        ("trl", "12", "Not a valid choice."),
        ("trl", "0", "Not a valid choice."),
        ("innovation_type", "magic", "Not a valid choice."),
        ("language", "de", "Not a valid choice."),
        ("cpv_codes", "72000000, 99999999", "Unknown CPV code(s): 99999999."),
        ("cpv_codes", "software", "Unknown CPV code(s): software."),
        ("links", "ftp://example.org/file", "Line 1 of the links is not a web address"),
        ("links", "https://ok.example\nBrochure | javascript:alert(1)", "Line 2 of the links"),
    ],
)
def test_bad_offering_input_is_refused_with_a_message_and_kept(client, supplier, field, value, message):
    data = offering_form(**{field: value})
    data["keywords"] = "kept-keyword-42"
    response = client.post("/catalogue/offerings/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert b"kept-keyword-42" in response.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_inactive_theme_cannot_be_chosen(client, supplier):
    theme = Theme(slug="old", name_nl="Oud", name_fr="Vieux", name_en="Old", active=False)
    db.session.add(theme)
    db.session.commit()
    response = client.post("/catalogue/offerings/new", data=offering_form(themes=[str(theme.id)]))
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_preview_renders_markdown_and_saves_nothing(client, supplier):
    data = offering_form(description="Dit is **vet** en dit <script>alert(1)</script>", action="preview")
    response = client.post("/catalogue/offerings/new", data=data)
    assert response.status_code == 200
    assert b"<strong>vet</strong>" in response.data
    assert b"<script>alert(1)" not in response.data
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_buyer_cannot_create_offerings(client, auth):
    auth.login_as("buyer")
    assert client.get("/catalogue/offerings/new").status_code == 403
    assert client.post("/catalogue/offerings/new", data=offering_form()).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Offering)) == 0


def test_user_without_organisation_is_sent_to_register_one(client, auth):
    auth.login_as("supplier", with_organisation=False)
    response = client.get("/catalogue/offerings/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/organisations/mine")


def test_anonymous_visitor_is_asked_to_log_in_for_the_form(client):
    response = client.get("/catalogue/offerings/new")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# -- my offerings ----------------------------------------------------------------------------------


def test_my_offerings_lists_own_items_only(client, supplier, make_user, make_organisation):
    add_offering(supplier, title="Eigen aanbod")
    other = make_user()
    make_organisation(admins=(other,))
    add_offering(other, title="Aanbod van een ander", status="published")
    page = client.get("/catalogue/offerings/mine").get_data(as_text=True)
    assert "Eigen aanbod" in page
    assert "Aanbod van een ander" not in page


def test_buyer_going_to_my_offerings_lands_on_my_needs(client, auth):
    auth.login_as("buyer")
    response = client.get("/catalogue/offerings/mine")
    assert response.headers["Location"].endswith("/catalogue/needs/mine")


# -- editing ---------------------------------------------------------------------------------------


def test_edit_form_is_filled_with_the_saved_values(client, supplier):
    offering = add_offering(supplier, keywords="drone, lucht")
    page = client.get(f"/catalogue/offerings/{offering.id}/edit").get_data(as_text=True)
    assert 'value="drone, lucht"' in page
    assert 'name="version" type="hidden" value="1"' in page


def test_member_saves_changes(client, supplier):
    offering = add_offering(supplier)
    response = client.post(
        f"/catalogue/offerings/{offering.id}/edit", data=offering_form(title="Nieuwe titel", version="1")
    )
    assert response.status_code == 302
    db.session.refresh(offering)
    assert offering.title == "Nieuwe titel"
    assert offering.version == 2


def test_archived_offering_cannot_be_edited(client, supplier):
    offering = add_offering(supplier, status="archived")
    response = client.post(
        f"/catalogue/offerings/{offering.id}/edit",
        data=offering_form(title="Nieuw", version=str(offering.version)),
    )
    assert "Restore this offering before you change it." in response.get_data(as_text=True)


# -- optimistic locking ----------------------------------------------------------------------------


def test_later_save_on_an_old_version_is_refused_and_keeps_the_typed_text(client, supplier, make_user):
    offering = add_offering(supplier, title="Origineel")
    colleague = make_user()
    from matchmaker.models import Membership

    db.session.add(Membership(user=colleague, organisation_id=supplier.organisation.id))
    db.session.commit()
    # The colleague saves first, while our form still carries version 1.
    catalogue.update_offering(
        colleague,
        offering,
        catalogue.OfferingInput(title="Versie van collega", cpv_codes=""),
        expected_version=1,
    )
    response = client.post(
        f"/catalogue/offerings/{offering.id}/edit",
        data=offering_form(title="Mijn versie", description="Mijn zorgvuldig getypte tekst", version="1"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone else saved this item while you were editing it" in page
    assert "Mijn zorgvuldig getypte tekst" in page  # what we typed is still in the form
    assert "Versie van collega" in page  # and the saved version is shown beside it
    assert 'name="version" type="hidden" value="2"' in page  # saving again is a deliberate choice
    db.session.refresh(offering)
    assert offering.title == "Versie van collega"


def test_saving_again_after_a_conflict_succeeds(client, supplier):
    offering = add_offering(supplier)
    catalogue.update_offering(
        supplier, offering, catalogue.OfferingInput(title="Tussendoor"), expected_version=1
    )
    client.post(
        f"/catalogue/offerings/{offering.id}/edit", data=offering_form(title="Mijn versie", version="1")
    )
    response = client.post(
        f"/catalogue/offerings/{offering.id}/edit", data=offering_form(title="Mijn versie", version="2")
    )
    assert response.status_code == 302
    db.session.refresh(offering)
    assert offering.title == "Mijn versie"


def test_edit_without_a_version_is_refused(client, supplier):
    offering = add_offering(supplier)
    response = client.post(
        f"/catalogue/offerings/{offering.id}/edit", data=offering_form(title="Zonder versie")
    )
    assert response.status_code == 409


def test_database_refuses_a_concurrent_update_that_passed_the_version_check(app, supplier):
    """Two saves that both read version 1: the second UPDATE matches no row and becomes an EditConflict."""
    offering = add_offering(supplier)
    # Another worker commits version 2 behind this session's back.
    db.session.execute(
        Offering.__table__.update().where(Offering.__table__.c.id == offering.id).values(version=2)
    )
    with app.test_request_context(), pytest.raises(catalogue.EditConflict):
        catalogue.update_offering(
            supplier, offering, catalogue.OfferingInput(title="Te laat"), expected_version=1
        )


# -- life cycle ------------------------------------------------------------------------------------


def test_publishing_makes_the_offering_public(client, supplier):
    offering = add_offering(supplier)
    response = client.post(f"/catalogue/offerings/{offering.id}/publish")
    assert response.status_code == 302
    db.session.refresh(offering)
    assert offering.status == "published"
    assert offering.published_at is not None


def test_publishing_needs_a_summary_and_description(client, supplier):
    offering = add_offering(supplier, summary="", description="")
    response = client.post(f"/catalogue/offerings/{offering.id}/publish", follow_redirects=True)
    assert "Complete these fields before publishing: Summary, Description." in response.get_data(as_text=True)
    db.session.refresh(offering)
    assert offering.status == "draft"


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("published", "unpublish", "draft"),
        ("published", "archive", "archived"),
        ("draft", "archive", "archived"),
        ("archived", "restore", "draft"),
    ],
)
def test_offering_transitions(client, supplier, start, action, end):
    offering = add_offering(supplier, status=start)
    client.post(f"/catalogue/offerings/{offering.id}/{action}")
    db.session.refresh(offering)
    assert offering.status == end


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("draft", "unpublish"),
        ("draft", "restore"),
        ("published", "publish"),
        ("archived", "publish"),
        ("archived", "archive"),
        ("published", "restore"),
    ],
)
def test_impossible_offering_transitions_are_refused(client, supplier, start, action):
    offering = add_offering(supplier, status=start)
    response = client.post(f"/catalogue/offerings/{offering.id}/{action}", follow_redirects=True)
    assert "This is not possible in the item&#39;s current status." in response.get_data(as_text=True)
    db.session.refresh(offering)
    assert offering.status == start


def test_detail_page_shows_the_buttons_of_the_possible_transitions(client, supplier):
    offering = add_offering(supplier, status="published")
    page = client.get(f"/catalogue/offerings/{offering.id}").get_data(as_text=True)
    assert f"/catalogue/offerings/{offering.id}/unpublish" in page
    assert f"/catalogue/offerings/{offering.id}/archive" in page
    assert f"/catalogue/offerings/{offering.id}/publish" not in page


# -- who sees what ---------------------------------------------------------------------------------


def test_published_offering_is_public(client, supplier, auth):
    offering = add_offering(supplier, status="published")
    auth.logout()
    response = client.get(f"/catalogue/offerings/{offering.id}")
    assert response.status_code == 200
    assert b"Slimme verkeerslichten" in response.data
    assert f"/catalogue/offerings/{offering.id}/edit".encode() not in response.data


@pytest.mark.parametrize("status", ["draft", "archived"])
def test_unpublished_offering_is_hidden_from_anonymous_visitors(client, supplier, auth, status):
    offering = add_offering(supplier, status=status)
    auth.logout()
    assert client.get(f"/catalogue/offerings/{offering.id}").status_code == 404


def test_draft_is_hidden_from_other_organisations(client, supplier, auth):
    offering = add_offering(supplier)
    auth.login_as("supplier")
    assert client.get(f"/catalogue/offerings/{offering.id}").status_code == 404


def test_draft_is_visible_to_its_organisation_with_a_notice(client, supplier):
    offering = add_offering(supplier)
    response = client.get(f"/catalogue/offerings/{offering.id}")
    assert response.status_code == 200
    assert b"only members of your organisation can see it" in response.data


WRITE_ROUTES = [
    ("get", "/catalogue/offerings/{id}/edit"),
    ("post", "/catalogue/offerings/{id}/edit"),
    ("post", "/catalogue/offerings/{id}/publish"),
    ("post", "/catalogue/offerings/{id}/unpublish"),
    ("post", "/catalogue/offerings/{id}/archive"),
    ("post", "/catalogue/offerings/{id}/restore"),
]


@pytest.mark.parametrize(("method", "url"), WRITE_ROUTES)
def test_other_organisation_gets_403_on_a_published_offering(client, supplier, auth, method, url):
    offering = add_offering(supplier, status="published")
    auth.login_as("supplier")
    response = getattr(client, method)(
        url.format(id=offering.id), data=offering_form(title="Gekaapt", version="2")
    )
    assert response.status_code == 403
    db.session.refresh(offering)
    assert (offering.title, offering.status) == ("Slimme verkeerslichten", "published")


@pytest.mark.parametrize(("method", "url"), WRITE_ROUTES)
def test_other_organisation_gets_404_on_a_draft(client, supplier, auth, method, url):
    offering = add_offering(supplier)
    auth.login_as("supplier")
    response = getattr(client, method)(
        url.format(id=offering.id), data=offering_form(title="Gekaapt", version="1")
    )
    assert response.status_code == 404


@pytest.mark.parametrize(("method", "url"), [r for r in WRITE_ROUTES if r[0] == "post"])
def test_anonymous_writes_are_refused(client, supplier, auth, method, url):
    offering = add_offering(supplier, status="published")
    auth.logout()
    response = client.post(url.format(id=offering.id), data=offering_form(title="Gekaapt", version="2"))
    assert response.status_code == 403
    db.session.refresh(offering)
    assert (offering.title, offering.status) == ("Slimme verkeerslichten", "published")


def test_anonymous_create_is_refused(client):
    assert client.post("/catalogue/offerings/new", data=offering_form()).status_code == 403


def test_unknown_offering_is_404(client, supplier):
    assert client.get("/catalogue/offerings/999999").status_code == 404


def test_service_refuses_an_update_by_another_organisation(app, supplier, make_user, make_organisation):
    offering = add_offering(supplier)
    stranger = make_user()
    make_organisation(admins=(stranger,))
    with app.test_request_context(), pytest.raises(ServiceError):
        catalogue.update_offering(stranger, offering, catalogue.OfferingInput(title="x"), expected_version=1)


# -- rendering -------------------------------------------------------------------------------------


def test_description_is_rendered_as_safe_markdown(client, supplier):
    offering = add_offering(
        supplier,
        status="published",
        description=(
            'Zie [onze site](https://example.org).\n\n<img src=x onerror="alert(1)"><script>alert(2)</script>'
        ),
    )
    page = client.get(f"/catalogue/offerings/{offering.id}").get_data(as_text=True)
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer">onze site</a>' in page
    assert "onerror" not in page
    assert "alert(2)" not in page
