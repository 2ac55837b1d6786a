"""Builds the platform benchmark's catalogue into a migrated PostgreSQL database with bulk inserts (SQLAlchemy
core for the rows, COPY for the search index's millions of rows), not the ORM: organisations with one account
each, published offerings and open needs with their themes, CPV codes and search words, the bench's own
buyer, supplier and organizer, draft offerings to publish during the run, and an event with 500 participants,
two days of meeting slots and a published agenda.

Ids are assigned here (sequences are moved past them at the end), so nothing is read back while inserting.
The returned `meta` (ids and e-mail addresses the run needs) is stored beside the cached dump."""

from __future__ import annotations

import random
import time
import uuid
from datetime import date, datetime, timedelta
from datetime import time as clock

import sqlalchemy as sa

PASSWORD = "bench-password-0123456789"  # noqa: S105 - every bench account's password (a scratch database)
PER_ROLE = 250  # buyers and suppliers at the event
TABLES = 40
DAYS = 2
SLOTS_PER_DAY = 24
DRAFTS = 60  # draft offerings of the bench supplier, published during the run
BENCH_ITEMS = 5  # published offerings of the bench supplier, open needs of the bench buyer


def _now() -> datetime:
    return datetime.utcnow().replace(microsecond=0)


def _insert(conn, table: sa.Table, rows: list[dict], batch: int = 5000) -> None:
    for start in range(0, len(rows), batch):
        conn.execute(sa.insert(table), rows[start : start + batch])


def _copy(conn, table: sa.Table, columns: list[str], rows) -> int:
    """COPY rows (tuples in `columns` order) into a table: the search words are millions of rows."""
    raw = conn.connection.driver_connection
    count = 0
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def build(url: str, items: int, log=print) -> dict:
    """Fill the (migrated, set-up) database at `url`; returns the meta of the run."""
    from werkzeug.security import generate_password_hash

    from bench.platform_texts import TextMaker
    from matchmaker.extensions import db
    from matchmaker.models import search_index
    from matchmaker.models.search_index import token_rows
    from matchmaker.reference.cpv import vocabulary
    from matchmaker.textutil import fold

    tables = db.metadata.tables
    rng = random.Random(2026)
    texts = TextMaker()
    vocab = vocabulary()
    now = _now()
    started = time.perf_counter()
    n_offerings = round(items * 0.7)
    n_needs = items - n_offerings
    n_orgs = max(2 * PER_ROLE + 100, items // 15)
    n_gov = max(PER_ROLE + 10, int(n_orgs * 0.3))
    password_hash = generate_password_hash(PASSWORD, method="scrypt")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        themes = conn.execute(sa.text("SELECT id, name_nl, name_fr, name_en FROM theme ORDER BY id")).all()
        theme_names = {t.id: (t.name_nl, t.name_fr, t.name_en) for t in themes}
        theme_ids = list(theme_names) or []
        # Organisations and their accounts: ids 1..n_orgs, governments first (buyers), then suppliers.
        orgs, users, roles, members = [], [], [], []
        kinds = ("company", "startup", "sme", "research_centre")
        domains = ("kb", "ewi", "ov", "wvg", "mow", "omg", "lv", "cjsm")
        for oid in range(1, n_orgs + 1):
            gov = oid <= n_gov
            orgs.append(
                {
                    "id": oid,
                    "name": (
                        f"{rng.choice(('Stad', 'Gemeente', 'Agentschap', 'Ville de'))} "
                        f"{rng.choice(('Noord', 'Zuid', 'Oost', 'West', 'Centrum'))} {oid}"
                    )
                    if gov
                    else f"{rng.choice(('Innova', 'Techno', 'Green', 'Data', 'Smart'))}"
                    f"{rng.choice(('Lab', 'Works', 'Systems', 'Solutions'))} {oid} bv",
                    "kind": "government" if gov else rng.choice(kinds),
                    "policy_domain": rng.choice(domains) if gov else None,
                    "website": f"https://org{oid}.example.be",
                    "description": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            orgs[-1]["name_folded"] = fold(orgs[-1]["name"])
            users.append(
                {
                    "id": oid,
                    "email": f"user{oid}@bench.example",
                    "password_hash": password_hash,
                    "display_name": f"Medewerker {oid}",
                    "language": rng.choices(("nl", "fr", "en"), (6, 3, 1))[0],
                    "email_confirmed_at": now,
                    "active": True,
                    "created_at": now,
                }
            )
            roles.append({"user_id": oid, "role": "buyer" if gov else "supplier", "granted_at": now})
            members.append(
                {"id": oid, "user_id": oid, "organisation_id": oid, "role": "admin", "joined_at": now}
            )
        organizer_id = n_orgs + 1
        users.append(
            {
                "id": organizer_id,
                "email": "organizer@bench.example",
                "password_hash": password_hash,
                "display_name": "Bench organizer",
                "language": "en",
                "email_confirmed_at": now,
                "active": True,
                "created_at": now,
            }
        )
        roles += [{"user_id": organizer_id, "role": r, "granted_at": now} for r in ("organizer", "admin")]
        _insert(conn, tables["organisation"], orgs)
        _insert(conn, tables["user_account"], users)
        _insert(conn, tables["user_role"], roles)
        _insert(conn, tables["membership"], members)
        log(f"  {n_orgs} organisations and accounts ({time.perf_counter() - started:.1f} s)")

        bench_buyer_org, bench_supplier_org = 1, n_gov + 1  # the first buyer and supplier at the event
        supplier_orgs = list(range(n_gov + 1, n_orgs + 1))
        gov_orgs = list(range(1, n_gov + 1))

        def search_text(kind: str, row: dict, codes: list[str], item_themes: list[int]) -> str:
            body = [row["description"]] if kind == "offering" else [row["challenge"], row["expected_outcome"]]
            parts = [row["title"], row["summary"], *body, row["keywords"]]
            for code in codes:
                parts.append(code)
                parts.extend(vocab[code].labels[lang] for lang in ("nl", "fr", "en"))
            for theme in item_themes:
                parts.extend(theme_names[theme])
            return fold(" ".join(p for p in parts if p))

        token_buffer = {"offering": [], "need": []}

        def make_items(kind: str, count: int, first_id: int, owner, status: str, source=None):
            rows, codes_rows, theme_rows = [], [], []
            for i in range(count):
                item_id = first_id + i
                text = source[i] if source else (texts.offering() if kind == "offering" else texts.need())
                published = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 1440))
                row = {
                    "id": item_id,
                    "organisation_id": owner(i),
                    "created_by_id": owner(i),
                    "title": text["title"],
                    "summary": text["summary"],
                    "keywords": text["keywords"],
                    "language": text["language"],
                    "status": status,
                    "published_at": published if status != "draft" else None,
                    "created_at": published,
                    "updated_at": published,
                    "version": 1,
                }
                if kind == "offering":
                    row |= {
                        "description": text.get("description") or text.get("challenge", ""),
                        "innovation_type": rng.choice(("product", "service", "technological", "process")),
                        "trl": rng.randint(4, 9),
                        "reference_projects": "",
                        "links": "",
                    }
                else:
                    low = rng.choice((None, 25_000, 50_000, 100_000, 250_000))
                    row |= {
                        "challenge": text["challenge"],
                        "expected_outcome": text["expected_outcome"],
                        "budget_min": low,
                        "budget_max": low * rng.choice((2, 4)) if low else None,
                        "deadline": date.today() + timedelta(days=rng.randint(30, 400)),
                        "procurement_route": rng.choice(
                            ("market_consultation", "pre_commercial_procurement", "not_yet_known")
                        ),
                        "registered_only": False,
                        "closed_at": None,
                    }
                item_themes = rng.sample(theme_ids, min(len(theme_ids), rng.choice((0, 1, 1, 2))))
                row["search_text"] = search_text(kind, row, text["cpv"], item_themes)
                rows.append(row)
                codes_rows += [{f"{kind}_id": item_id, "code": c} for c in text["cpv"]]
                theme_rows += [{f"{kind}_id": item_id, "theme_id": t} for t in item_themes]
                token_buffer[kind].extend(
                    (r["token"], item_id, r["weight"])
                    for r in token_rows(
                        kind, item_id, row["title"], row["summary"], row["keywords"], row["search_text"]
                    )
                )
            _insert(conn, tables[kind], rows, batch=2000)
            _insert(conn, tables[f"{kind}_cpv_code"], codes_rows)
            _insert(conn, tables[f"{kind}_theme"], theme_rows)
            return rows

        # Needs: the bench buyer's first, then the catalogue's, over the government organisations.
        need_rows = make_items("need", BENCH_ITEMS, 1, lambda i: bench_buyer_org, "open")
        need_rows += make_items(
            "need", n_needs - BENCH_ITEMS, BENCH_ITEMS + 1, lambda i: gov_orgs[i % len(gov_orgs)], "open"
        )
        log(f"  {n_needs} open needs ({time.perf_counter() - started:.1f} s)")
        make_items("offering", BENCH_ITEMS, 1, lambda i: bench_supplier_org, "published")
        make_items(
            "offering",
            n_offerings - BENCH_ITEMS,
            BENCH_ITEMS + 1,
            lambda i: supplier_orgs[i % len(supplier_orgs)],
            "published",
        )
        # Drafts that copy the text of a random need: once published, that need's proposals must show them.
        targets = rng.sample(need_rows[BENCH_ITEMS:], DRAFTS)
        mirrored = [
            {
                "language": n["language"],
                "title": n["title"],
                "summary": n["summary"],
                "description": n["challenge"],
                "keywords": n["keywords"],
                "cpv": [
                    r[0]
                    for r in conn.execute(
                        sa.text("SELECT code FROM need_cpv_code WHERE need_id = :i"), {"i": n["id"]}
                    )
                ],
            }
            for n in targets
        ]
        first_draft = n_offerings + 1
        make_items("offering", DRAFTS, first_draft, lambda i: bench_supplier_org, "draft", source=mirrored)
        log(
            f"  {n_offerings} published offerings and {DRAFTS} drafts ({time.perf_counter() - started:.1f} s)"
        )
        for kind, column in (("offering", "offering_id"), ("need", "need_id")):
            table = search_index.token_table(kind)
            count = _copy(conn, table, ["token", column, "weight"], token_buffer[kind])
            log(f"  {count} search words of {kind}s ({time.perf_counter() - started:.1f} s)")
        token_buffer.clear()

        event_id = _event(conn, tables, organizer_id, gov_orgs, supplier_orgs, n_offerings, now)
        log(f"  event {event_id} with {2 * PER_ROLE} participants ({time.perf_counter() - started:.1f} s)")
        # Sequences past the ids given here.
        for name in tables:
            if "id" in tables[name].c and isinstance(tables[name].c.id.type, sa.Integer):
                # The table names are the models' own, not input.
                query = f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), GREATEST((SELECT COALESCE(MAX(id), 0) FROM {name}), 1))"  # noqa: E501, S608
                conn.execute(sa.text(query))
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return {
        "items": items,
        "offerings": n_offerings,
        "needs": n_needs,
        "organisations": n_orgs,
        "event_id": event_id,
        "buyer": "user1@bench.example",
        "supplier": f"user{bench_supplier_org}@bench.example",
        "organizer": "organizer@bench.example",
        "password": PASSWORD,
        "supplier_offerings": list(range(1, BENCH_ITEMS + 1)),
        "buyer_needs": list(range(1, BENCH_ITEMS + 1)),
        "drafts": [[first_draft + i, n["id"]] for i, n in enumerate(targets)],
        "build_seconds": round(time.perf_counter() - started, 1),
    }


def _event(conn, tables, organizer_id: int, gov_orgs, supplier_orgs, n_offerings: int, now: datetime) -> int:
    """An event with PER_ROLE buyers and suppliers (each bringing their first item), two days of slots,
    TABLES tables and a published agenda of one meeting per table and slot."""
    event_id = 1
    first_day = date.today() + timedelta(days=30)
    _insert(
        conn,
        tables["event"],
        [
            {
                "id": event_id,
                "title": "Innovatiebeurs Vlaanderen (bench)",
                "description": "Meet & greet.",
                "venue_address": "Havenlaan 88, 1000 Brussel",
                "room_plan_note": "",
                "online_url": "",
                "admission": "automatic",
                "max_open_requests": 10,
                "status": "agenda_published",
                "organizer_id": organizer_id,
                "created_at": now,
                "updated_at": now,
            }
        ],
    )
    days, slots, meeting_slots = [], [], []
    slot_id = 0
    for d in range(DAYS):
        day = first_day + timedelta(days=d)
        days.append(
            {
                "id": d + 1,
                "event_id": event_id,
                "day": day,
                "start_time": clock(9),
                "end_time": clock(17, 40),
                "slot_minutes": 20,
            }
        )
        start = datetime.combine(day, clock(9))
        for i in range(SLOTS_PER_DAY + 1):
            slot_id += 1
            kind = "break" if i == 12 else "meeting"
            slots.append(
                {
                    "id": slot_id,
                    "event_id": event_id,
                    "day_id": d + 1,
                    "starts_at": start + timedelta(minutes=20 * i),
                    "ends_at": start + timedelta(minutes=20 * (i + 1)),
                    "kind": kind,
                    "label": "Lunch" if kind == "break" else "",
                }
            )
            if kind == "meeting":
                meeting_slots.append(slot_id)
    _insert(conn, tables["event_day"], days)
    _insert(conn, tables["slot"], slots)
    _insert(
        conn,
        tables["event_table"],
        [{"id": t, "event_id": event_id, "number": t, "name": ""} for t in range(1, TABLES + 1)],
    )
    # Registrations 1..PER_ROLE are buyers (organisation = user = 1..), then the suppliers.
    registrations, reg_needs, reg_offers, reg_slots = [], [], [], []
    need_of_org = dict(
        conn.execute(sa.text("SELECT organisation_id, MIN(id) FROM need GROUP BY organisation_id")).all()
    )
    offer_of_org = dict(
        conn.execute(
            sa.text(
                "SELECT organisation_id, MIN(id) FROM offering WHERE status = 'published' "
                "GROUP BY organisation_id"
            )
        ).all()
    )
    for r in range(2 * PER_ROLE):
        buyer = r < PER_ROLE
        org = gov_orgs[r] if buyer else supplier_orgs[r - PER_ROLE]
        rid = r + 1
        registrations.append(
            {
                "id": rid,
                "event_id": event_id,
                "user_id": org,
                "organisation_id": org,
                "role": "buyer" if buyer else "supplier",
                "status": "approved",
                "max_meetings": 12,
                "created_at": now,
                "updated_at": now,
                "decided_at": now,
            }
        )
        if buyer and org in need_of_org:
            reg_needs.append({"registration_id": rid, "need_id": need_of_org[org]})
        if not buyer and org in offer_of_org:
            reg_offers.append({"registration_id": rid, "offering_id": offer_of_org[org]})
        reg_slots += [{"registration_id": rid, "slot_id": s} for s in meeting_slots]
    _insert(conn, tables["registration"], registrations)
    _insert(conn, tables["registration_need"], reg_needs)
    _insert(conn, tables["registration_offering"], reg_offers)
    _insert(conn, tables["registration_slot"], reg_slots)
    meetings, attendees = [], []
    for s_index, slot in enumerate(meeting_slots):
        for t in range(TABLES):
            buyer = (t + TABLES * s_index) % PER_ROLE
            supplier = (buyer + 7 * s_index + 1) % PER_ROLE
            first, second = buyer + 1, PER_ROLE + supplier + 1
            mid = len(meetings) + 1
            meetings.append(
                {
                    "id": mid,
                    "event_id": event_id,
                    "slot_id": slot,
                    "table_id": t + 1,
                    "first_registration_id": first,
                    "second_registration_id": second,
                    "source": "mutual",
                    "weight": 3,
                    "locked": True,
                    "published": True,
                    "uid": f"meeting-{uuid.uuid4()}@bench",
                    "sequence": 0,
                    "notice_pending": False,
                    "created_at": now,
                    "updated_at": now,
                    "cancel_reason": "",
                }
            )
            attendees += [
                {"id": 2 * mid - 1, "meeting_id": mid, "slot_id": slot, "registration_id": first},
                {"id": 2 * mid, "meeting_id": mid, "slot_id": slot, "registration_id": second},
            ]
    _insert(conn, tables["meeting"], meetings)
    _insert(conn, tables["meeting_attendee"], attendees)
    return event_id
