"""Did you find what you were looking for? And "Share this page" (issue 19): where they show, the answer with
and without JavaScript, its spam traps and validation, and the administrators' overview and export."""

import time
from datetime import date

import pytest
import sqlalchemy as sa

from matchmaker.extensions import db
from matchmaker.models import PageFeedback
from matchmaker.services import antispam
from matchmaker.services import page_feedback as service

JSON = {"Accept": "application/json"}


def old_stamp(seconds: float = 10) -> str:
    return antispam.make_stamp(now=time.time() - seconds)


def answer(**overrides) -> dict:
    data = {"page": "/events/", "answer": "no", "comment": "", "website": "", "form_stamp": old_stamp()}
    data.update(overrides)
    return data


def stored() -> list[PageFeedback]:
    return list(db.session.scalars(sa.select(PageFeedback).order_by(PageFeedback.id)))


def add(path: str, found: bool, month: date, comment: str | None = None, language: str = "nl") -> None:
    db.session.add(PageFeedback(path=path, found=found, month=month, comment=comment, language=language))
    db.session.commit()


# --- where the question and the share block show -----------------------------------------------------------


def test_public_pages_ask_the_question_and_forms_and_admin_pages_do_not(client, auth):
    assert b'id="page-feedback"' in client.get("/").data
    assert b'id="page-feedback"' in client.get("/events/").data
    for path in ("/contact", "/auth/login", "/auth/register", "/newsletter/", "/no-such-page"):
        assert b'id="page-feedback"' not in client.get(path).data, path
    auth.login_as("admin")
    assert b'id="page-feedback"' not in client.get("/admin/").data


def test_the_question_adds_little_to_a_page(client):
    html = client.get("/events/").get_data(as_text=True)
    start = html.index('<div class="page-tools">')
    added = len(html[start : html.index("</main>")].encode())
    assert added < 2000, added


def test_a_published_offering_can_be_shared_by_plain_links_and_a_draft_cannot(
    client, auth, make_supplier, make_offering
):
    supplier = make_supplier()
    published = make_offering(supplier, title="Radar for bridges")
    html = client.get(f"/en/catalogue/offerings/{published.id}").get_data(as_text=True)
    url = f"http://localhost/en/catalogue/offerings/{published.id}"
    assert f'value="{url}"' in html
    encoded = url.replace(":", "%3A").replace("/", "%2F")
    assert f'href="https://www.linkedin.com/sharing/share-offsite/?url={encoded}"' in html
    assert f'href="https://x.com/intent/post?url={encoded}&amp;text=Radar%20for%20bridges' in html
    assert 'href="mailto:?subject=Radar%20for%20bridges' in html
    block = html.split('class="share-page"')[1].split("</section>")[0]
    assert "<script" not in block and "<iframe" not in block  # nothing of theirs runs here

    draft = make_offering(supplier, status="draft", title="Secret draft")
    auth.login(supplier.user)  # the owner sees the draft, which is not shared
    response = client.get(f"/catalogue/offerings/{draft.id}")
    assert response.status_code == 200 and b'class="share-page"' not in response.data


def test_a_need_for_registered_users_only_is_not_shared(client, auth, make_buyer, make_need):
    need = make_need(make_buyer())
    assert b'class="share-page"' in client.get(f"/catalogue/needs/{need.id}").data
    need.registered_only = True
    db.session.commit()
    auth.login_as("supplier")  # who may read it: the page shows, without the share block
    response = client.get(f"/catalogue/needs/{need.id}")
    assert response.status_code == 200 and b'class="share-page"' not in response.data


def test_a_published_knowledge_base_article_asks_and_can_be_shared(client):
    from matchmaker.services.knowledge import seed_knowledge_base

    seed_knowledge_base()
    html = client.get("/en/knowledge/market-consultation").get_data(as_text=True)
    assert 'id="page-feedback"' in html
    assert 'value="http://localhost/en/knowledge/market-consultation"' in html
    response = client.post("/feedback", data=answer(page="/knowledge/market-consultation"), headers=JSON)
    assert response.json["ok"] is True


# --- the answer --------------------------------------------------------------------------------------------


def test_an_answer_without_javascript_returns_to_the_page_with_a_thank_you(client):
    response = client.post(
        "/fr/feedback", data=answer(page="/events/?page=2", comment="  Where are the\r\nslides?\x0b ")
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/fr/events/?page=2#page-feedback"
    [row] = stored()
    assert (row.path, row.language, row.found, row.comment) == (
        "/events/",
        "fr",
        False,
        "Where are the\nslides?",
    )
    assert row.month == date.today().replace(day=1)
    html = client.get("/fr/events/?page=2").get_data(as_text=True)
    assert (
        'role="status"' in html and "data-page-feedback" not in html
    )  # the thank-you instead of the question
    assert "data-page-feedback" in client.get("/fr/events/").get_data(as_text=True)  # once only
    # Nothing tells who answered: no account, no address, no time finer than the month.
    assert {c.name for c in PageFeedback.__table__.columns} == {
        "id",
        "path",
        "language",
        "found",
        "comment",
        "month",
    }


def test_with_javascript_the_answer_is_taken_without_leaving_the_page(client):
    response = client.post("/feedback", data=answer(answer="yes"), headers=JSON)
    assert response.status_code == 200
    assert response.json == {"ok": True, "message": "Thank you for your answer."}
    assert [(r.path, r.found, r.comment) for r in stored()] == [("/events/", True, None)]


def test_the_honeypot_is_thanked_and_nothing_is_stored(client):
    response = client.post("/feedback", data=answer(website="http://spam.example"), headers=JSON)
    assert response.json["ok"] is True
    assert stored() == []


def test_an_answer_sent_too_fast_is_refused_and_its_comment_kept(client):
    data = answer(form_stamp=antispam.make_stamp(), comment="Nothing about tenders")
    response = client.post("/feedback", data=data, headers=JSON)
    assert response.status_code == 422 and "less than 3 seconds" in response.json["message"]
    response = client.post("/feedback", data=data)  # without JavaScript: the form again, with the comment
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "less than 3 seconds" in html and ">Nothing about tenders</textarea>" in html
    assert 'name="page" value="/events/"' in html
    assert stored() == []


@pytest.mark.parametrize("stamp", ["", "12345.forged", "not-a-stamp"])
def test_a_missing_or_forged_stamp_is_refused(client, stamp):
    response = client.post("/feedback", data=answer(form_stamp=stamp), headers=JSON)
    assert response.status_code == 422 and "This form has expired" in response.json["message"]
    assert stored() == []


def test_the_same_form_sent_twice_is_stored_once(client):
    data = answer()
    assert client.post("/feedback", data=data, headers=JSON).json["ok"] is True
    assert client.post("/feedback", data=data, headers=JSON).json["ok"] is True  # a double click
    assert len(stored()) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"answer": ""}, "Choose yes or no."),
        ({"answer": "maybe"}, "Choose yes or no."),
        ({"comment": "x" * 1001}, "Your comment has at most 1000 characters."),
        ({"page": "https://evil.example/events/"}, "Answers are only taken for the public pages"),
        ({"page": "//evil.example/"}, "Answers are only taken for the public pages"),
        ({"page": "/admin/users"}, "Answers are only taken for the public pages"),
        ({"page": "/contact"}, "Answers are only taken for the public pages"),
        ({"page": "/made-up/page"}, "Answers are only taken for the public pages"),
        ({"page": "/" + "x" * 5000}, "Answers are only taken for the public pages"),
        ({"page": ""}, "Answers are only taken for the public pages"),
    ],
)
def test_bad_answers_are_refused_with_a_message(client, overrides, message):
    response = client.post("/feedback", data=answer(**overrides), headers=JSON)
    assert response.status_code == 422 and message in response.json["message"]
    response = client.post("/feedback", data=answer(**overrides))
    assert response.status_code == 422 and message.encode() in response.data
    assert stored() == []


@pytest.mark.parametrize("data", [{}, {"answer": "x" * 5000, "page": "x" * 5000, "form_stamp": "x" * 5000}])
def test_junk_gets_an_answer_not_a_500(client, data):
    assert client.post("/feedback", data=data).status_code == 422
    assert client.post("/feedback", data=data, headers=JSON).status_code == 422
    assert client.get("/feedback").status_code == 405


@pytest.mark.parametrize(
    "app_overrides", [{"RATELIMIT_ENABLED": True, "PAGE_FEEDBACK_RATE_LIMIT": "2 per minute"}]
)
def test_answers_are_rate_limited_but_refusals_do_not_count(client):
    for _attempt in range(3):
        assert client.post("/feedback", data=answer(answer="")).status_code == 422
    for _answer in range(2):
        assert client.post("/feedback", data=answer()).status_code == 302
    assert client.post("/feedback", data=answer()).status_code == 429
    assert len(stored()) == 2


@pytest.mark.parametrize("app_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_the_answer_needs_the_forms_csrf_token(client):
    html = client.get("/events/").get_data(as_text=True)
    form = html[html.index("data-page-feedback") :]
    token = form.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/feedback", data=answer()).status_code == 400
    assert client.post("/feedback", data=answer(csrf_token=token)).status_code == 302
    assert len(stored()) == 1


@pytest.mark.parametrize(
    ("page", "path"),
    [
        ("/events/", "/events/"),
        ("/nl/events/?page=3&utm_source=x", "/events/"),
        ("/en/", "/"),
        ("/initiative/hoe-het-werkt", "/initiative/hoe-het-werkt"),
        ("/events", None),  # redirects to /events/: not a page of its own
        ("/auth/login", None),
        ("/events/1/edit", None),
        ("javascript:alert(1)", None),
        ("/\\evil.example", None),
    ],
)
def test_answers_are_stored_under_the_pages_own_path(app, page, path):
    with app.test_request_context():
        assert service.page_path(page) == path


# --- administrators ----------------------------------------------------------------------------------------


@pytest.fixture
def answers(app):
    december, november = date(2026, 12, 1), date(2026, 11, 1)
    for found in (True, True, True, False):
        add("/events/", found, december)
    add("/charter/", False, december, comment="No list of signatories per sector", language="fr")
    add("/charter/", True, november, comment="=HYPERLINK(1)")
    add("/tracker/", True, november)
    return december, november


def test_administrators_see_the_worst_pages_first(client, auth, answers):
    auth.login_as("admin")
    html = client.get("/admin/feedback").get_data(as_text=True)
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    assert rows.index("/charter/") < rows.index("/events/") < rows.index("/tracker/")
    assert "50%" in rows and "25%" in rows
    html = client.get("/admin/feedback?month=2026-11").get_data(as_text=True)
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    assert "/charter/" in rows and "/tracker/" in rows and "/events/" not in rows
    assert client.get("/admin/feedback?month=junk").status_code == 200


def test_administrators_read_a_pages_comments_per_month(client, auth, answers):
    auth.login_as("admin")
    html = client.get("/admin/feedback/page?path=/charter/").get_data(as_text=True)
    assert "No list of signatories per sector" in html and 'lang="fr"' in html
    assert "December 2026" in html and "November 2026" in html
    assert client.get("/admin/feedback/page?path=/nowhere").status_code == 404
    assert client.get("/admin/feedback/page").status_code == 404


def test_administrators_export_the_answers_as_csv(client, auth, answers):
    auth.login_as("admin")
    response = client.get("/admin/feedback/answers.csv?month=2026-11")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "page-feedback-2026-11.csv" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines == [
        "Page,Month,Language,Answer,Comment",
        "/charter/,2026-11,nl,yes,'=HYPERLINK(1)",  # a formula is neutralised
        "/tracker/,2026-11,nl,yes,",
    ]


@pytest.mark.parametrize("role", ["buyer", "supplier", "organizer"])
def test_only_administrators_read_the_answers(client, auth, answers, role):
    for url in ("/admin/feedback", "/admin/feedback/page?path=/charter/", "/admin/feedback/answers.csv"):
        assert client.get(url).status_code == 302  # to the login page
    auth.login_as(role)
    for url in ("/admin/feedback", "/admin/feedback/page?path=/charter/", "/admin/feedback/answers.csv"):
        assert client.get(url).status_code == 403
