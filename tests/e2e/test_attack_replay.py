"""Issue 13's attack, replayed over HTTP against the running app: the browser tests' live server (a real
server on a local port, CSRF protection on), driven with urllib and a cookie jar, no browser.

As the issue tells it: register as a buyer (self-service), create a "government entity" of policy domain MOW
with an enterprise number whose check digits are right, add a budget year of 1,000,000 and a project of
9,000,000,000,000, sign the charter. Nothing public may change: every page, CSV file, workbook, search answer
and sitemap is read before and after and compared. Then a careless administrator verifies the made-up entity:
the absurd amount is refused, a large one waits for a review, and still no public figure moves.
"""

import io
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookiejar import CookieJar
from urllib.error import HTTPError
from urllib.parse import quote, urlencode, urlsplit
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

import pytest
from openpyxl import load_workbook

from matchmaker.extensions import db
from matchmaker.models import CharterSignature, InnovationProject, Organisation, ProcurementYear
from matchmaker.services import accounts
from tests.factories import PASSWORD, K, M

ATTACKER = "mal@fake.example"
ATTACKER_PASSWORD = "several words make a password"
FAKE = "Agentschap Verzonnen"
PROJECT = "Hyperloop naar Gent"
PROJECT_WORD = "Hyperloop"
# The per-request values of forms: the CSRF token and the spam trap's one-use time stamp.
FORM_VALUES = re.compile(rb'(name="(?:csrf_token|form_stamp)"[^>]*value=")[^"]*"')
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Every public page stays small whatever was attempted (the attack made the tracker page weigh 431 MB).
MAX_BYTES = 200_000


# --- a visitor over HTTP ----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    content_type: str
    body: bytes
    location: str = ""

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


class _NoRedirect(HTTPRedirectHandler):
    """Redirects are answers to read (where a form sends its sender), not to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name"):
            self.values.setdefault(attrs["name"], attrs.get("value") or "")


class Visitor:
    """One person's browser without the browser: a cookie jar, English, and the CSRF token read from the form
    it fills in, as a browser would send it."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self._opener = build_opener(HTTPCookieProcessor(CookieJar()), _NoRedirect)

    def request(self, path: str, data: dict | None = None) -> Answer:
        body = urlencode(data).encode() if data is not None else None
        request = Request(self.base_url + path, data=body, headers={"Accept-Language": "en"})  # noqa: S310 - http://127.0.0.1
        try:
            with self._opener.open(request, timeout=60) as response:
                return Answer(response.status, response.headers.get_content_type(), response.read())
        except HTTPError as answer:  # 3xx (not followed), 4xx and 5xx
            with answer:
                return Answer(
                    answer.code,
                    answer.headers.get_content_type(),
                    answer.read(),
                    location=answer.headers.get("Location", ""),
                )

    def get(self, path: str) -> Answer:
        return self.request(path)

    def post(self, path: str, data: dict, form: str | None = None) -> Answer:
        """Send `data` with the hidden fields of the form on the page `form` (default: `path` itself): the
        CSRF token of this visitor's session among them."""
        inputs = _Inputs()
        inputs.feed(self.get(form or path).text)
        token = inputs.values.get("csrf_token")
        assert token, f"no CSRF token on {form or path}"
        return self.request(path, {"csrf_token": token, **data})

    def log_in(self, email: str, password: str = PASSWORD) -> None:
        answer = self.post("/auth/login", {"email": email, "password": password})
        assert answer.status == 302 and "/auth/login" not in answer.location, answer.status


# --- what the public sees ---------------------------------------------------------------------------------


def _content(answer: Answer):
    """What a reader sees of an answer: a workbook's cells (its bytes hold the time it was written), a page
    without the per-request values of its forms, other files as they are."""
    if answer.content_type == XLSX:
        workbook = load_workbook(io.BytesIO(answer.body), read_only=True)
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in workbook.worksheets]
    return FORM_VALUES.sub(rb"\1\"", answer.body)


def _sitemap_parts(visitor: Visitor) -> list[str]:
    index = visitor.get("/sitemap.xml")
    assert index.status == 200
    return [urlsplit(url).path for url in re.findall(r"<loc>([^<]+)</loc>", index.text)]


def public_paths(visitor: Visitor, agency_id: int) -> list[str]:
    """The public figures, pages and exports the attack aimed at, and where its made-up entity could show."""
    tracker_exports = [
        f"{base}/export.{fmt}"
        for base in ("/tracker", "/tracker/domains/mow", f"/tracker/organisations/{agency_id}")
        for fmt in ("csv", "xlsx")
    ]
    return [
        "/",
        "/tracker/",
        "/tracker/domains/mow",
        f"/tracker/organisations/{agency_id}",
        *tracker_exports,
        "/charter/",
        f"/search?q={quote(FAKE)}",
        f"/search?q={PROJECT_WORD}",
        "/sitemap.xml",
        *_sitemap_parts(visitor),
    ]


def snapshot(visitor: Visitor, paths: list[str]) -> dict[str, tuple[int, object]]:
    answers = {path: visitor.get(path) for path in paths}
    heavy = {path: len(answer.body) for path, answer in answers.items() if len(answer.body) > MAX_BYTES}
    assert not heavy, heavy
    return {path: (answer.status, _content(answer)) for path, answer in answers.items()}


def changed(before: dict, after: dict) -> list[str]:
    return [path for path in before.keys() | after.keys() if before.get(path) != after.get(path)]


def own_tracker(organisation_id: int) -> list[str]:
    base = f"/tracker/organisations/{organisation_id}"
    return [base, f"{base}/export.csv", f"{base}/export.xlsx"]


# --- the attack's steps -----------------------------------------------------------------------------------


def register_and_create_a_government_entity(attacker: Visitor, outbox) -> int:
    """Self-service: an account as a buyer, its address confirmed, a "government entity" of MOW with an
    enterprise number whose check digits are right. Returns the made-up organisation's id."""
    registered = attacker.post(
        "/auth/register",
        {
            "role": "buyer",
            "email": ATTACKER,
            "display_name": "Mal Icious",
            "password": ATTACKER_PASSWORD,
            "password_repeat": ATTACKER_PASSWORD,
            "language": "en",
        },
    )
    assert registered.status == 302, registered.status
    link = re.findall(re.escape(attacker.base_url) + r"(/\S+)", outbox[-1].body)[-1]
    assert attacker.post(link, {}).status == 302  # the confirmation page's button, which logs the person in
    created = attacker.post(
        "/organisations/new",
        {"name": FAKE, "kind": "government", "enterprise_number": "0718.453.660", "policy_domain": "mow"},
    )
    assert created.status == 302, created.status
    mine = attacker.get(urlsplit(created.location).path)  # its page, with links that hold its id
    return int(re.search(r"/organisations/(\d+)/edit", mine.text).group(1))


def sign_the_charter(attacker: Visitor) -> None:
    """Signed on the made-up entity's behalf: kept, and public only once the entity is verified."""
    signed = attacker.post(
        "/charter/sign",
        {
            "signatory_name": "Mal Icious",
            "signatory_function": "Director",
            "pledge_three_percent": "y",
            "on_behalf": "y",
        },
    )
    assert signed.status == 302, signed.status


def add_a_year(attacker: Visitor, organisation_id: int) -> Answer:
    return attacker.post(
        f"/tracker/organisations/{organisation_id}/years/new",
        {"year": "2025", "budget": "1000000"},
        form="/charter/",  # the unverified get no year's form: the token of any form in the session does
    )


def add_a_project(attacker: Visitor, organisation_id: int, amount: str, explanation: str = "") -> Answer:
    return attacker.post(
        f"/tracker/organisations/{organisation_id}/years/2025/projects/new",
        {
            "title": PROJECT,
            "procurement_route": "pre_commercial_procurement",
            "amount": amount,
            "explanation": explanation,
            "need_id": "",
        },
        form="/charter/",
    )


def verify(administrator: Visitor, organisation_id: int) -> None:
    page = f"/admin/organisations/{organisation_id}/verification"
    answer = administrator.post(page, {"state": "verified", "reason": "Looked fine."})
    assert answer.status == 302, answer.status


# --- the test ---------------------------------------------------------------------------------------------


@pytest.fixture
def platform(live_app) -> int:
    """A real agency of MOW at 2.68% (a signatory of the charter), and a platform administrator. Returns the
    agency's id."""
    with live_app.app_context():
        accounts.create_user(
            "ilse@example.org", PASSWORD, "Ilse Admin", ("admin",), language="en", confirmed=True
        )
        agency = Organisation(name="Agentschap Echt", kind="government", policy_domain="mow")
        agency.verification = "verified"
        db.session.add(agency)
        db.session.flush()
        year = ProcurementYear(organisation_id=agency.id, year=2025, budget_cents=10 * M)
        db.session.add(year)
        db.session.flush()
        db.session.add_all(
            [
                InnovationProject(
                    procurement_year_id=year.id,
                    title="Slimme sluizen",
                    procurement_route="pre_commercial_procurement",
                    amount_cents=268 * K,
                ),
                CharterSignature(
                    organisation_id=agency.id,
                    signatory_name="Echte Directeur",
                    signatory_function="Director",
                    pledge_three_percent=True,
                ),
            ]
        )
        db.session.commit()
        return agency.id


def test_the_attack_of_issue_13_over_http_leaves_every_public_figure_page_and_export_as_it_was(
    live_server, platform
):
    public = Visitor(live_server.url)  # what anybody sees, without an account
    paths = public_paths(public, platform)
    before = snapshot(public, paths)
    assert b"2.68%" in before["/tracker/"][1] and b"Agentschap Echt" in before["/charter/"][1]
    (domain_sheet,) = before["/tracker/domains/mow/export.xlsx"][1]
    assert ["Agentschap Echt", 10_000_000, 268_000, 2.68] in [row[:4] for row in domain_sheet]

    attacker = Visitor(live_server.url)
    fake = register_and_create_a_government_entity(attacker, live_server.outbox)
    assert add_a_year(attacker, fake).status in (403, 404)
    assert add_a_project(attacker, fake, "9000000000000").status in (403, 404)
    sign_the_charter(attacker)

    assert changed(before, snapshot(public, paths)) == []
    assert [public.get(path).status for path in own_tracker(fake)] == [404, 404, 404]

    # A careless administrator verifies the made-up entity. Absurd amounts are refused; spend above the
    # year's budget needs an explanation, and then waits for a review: the public figures still do not move.
    administrator = Visitor(live_server.url)
    administrator.log_in("ilse@example.org")
    verify(administrator, fake)
    its_own = snapshot(public, own_tracker(fake))  # verified, without figures yet
    assert add_a_year(attacker, fake).status == 302
    absurd = add_a_project(attacker, fake, "9000000000000")
    assert absurd.status == 422 and "at most 100 billion euro" in absurd.text
    unexplained = add_a_project(attacker, fake, "90000000000")
    assert unexplained.status == 422 and "procurement budget of €1,000,000.00" in unexplained.text
    assert add_a_project(attacker, fake, "90000000000", explanation="Trust me.").status == 302

    after = snapshot(public, paths)
    # Verifying it lists the entity where verified organisations are listed: among the signatories of the
    # charter (and their count on the home page), the tracker's organisations, the search and the sitemap.
    # Nothing else moves: no figure, no export, no other page.
    named = {"/charter/", "/tracker/", "/tracker/domains/mow", f"/search?q={quote(FAKE)}"}
    sitemaps = {path for path in paths if path.startswith("/sitemap-")}
    assert set(changed(before, after)) == {"/", *named, *sitemaps}
    assert all(FAKE.encode() in after[path][1] for path in named)
    assert all(f"/tracker/organisations/{fake}<".encode() in after[path][1] for path in sitemaps)
    assert all(b"2.68%" in after[path][1] for path in ("/", "/tracker/", "/tracker/domains/mow"))
    assert b"2 organisations have signed the charter" in after["/"][1]
    # Its own dashboard and exports: the year above its budget waits for a review, so they show what they
    # showed the moment it was verified, and nothing of the project, its amount or its explanation.
    own = snapshot(public, own_tracker(fake))
    page, *exports = own_tracker(fake)
    assert [path for path in exports if own[path] != its_own[path]] == []
    shown = own[page][1]
    assert PROJECT.encode() not in shown and b"90,000,000,000" not in shown and b"Trust me" not in shown
