"""Every kind of calendar file the platform writes, read by four iCalendar parsers nobody here wrote (issue
18): Python's icalendar and vobject, Mozilla's ical.js (Thunderbird's) and node-ical. They must agree on every
entry: its UID, its start and end as the same instant (the time zone read right, in summer and in winter),
its SEQUENCE and STATUS; and a meeting moved to another day stays one entry, with a higher SEQUENCE.

ical.js and node-ical run in Node.js (tests/tools/ical_parsers.mjs), installed by `make test` into
.cache/node; without them the test is skipped, except where MATCHMAKER_REQUIRE_CALENDAR_PARSERS is set (CI).
"""

import json
import os
import shutil
import subprocess
from datetime import UTC, date
from pathlib import Path

import icalendar
import pytest
import vobject

from matchmaker.extensions import db
from matchmaker.models import Registration
from matchmaker.services import agendas
from tests.factories import EVENT_DAY, add_day
from tests.helpers import cancel_meeting, move_meeting, slot_at

pytestmark = [pytest.mark.usefixtures("request_context"), pytest.mark.output_check]

REPO = Path(__file__).resolve().parents[2]
NODE_MODULES = REPO / ".cache" / "node" / "node_modules"
SCRIPT = REPO / "tests" / "tools" / "ical_parsers.mjs"


def _node() -> str:
    node = shutil.which("node")
    if node and (NODE_MODULES / "ical.js").is_dir() and (NODE_MODULES / "node-ical").is_dir():
        return node
    reason = f"ical.js and node-ical need Node.js and {NODE_MODULES} (make test installs them)"
    if os.environ.get("MATCHMAKER_REQUIRE_CALENDAR_PARSERS"):
        pytest.fail(reason)
    pytest.skip(reason)


def _entry(uid, start, end, sequence, status, summary) -> dict:
    return {
        "uid": str(uid),
        "start": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        "end": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        "sequence": int(sequence or 0),
        "status": str(status or ""),
        "summary": str(summary),
    }


def _with_icalendar(body: bytes) -> list[dict]:
    return [
        _entry(
            e["UID"],
            e.decoded("DTSTART"),
            e.decoded("DTEND"),
            e.get("SEQUENCE"),
            e.get("STATUS"),
            e["SUMMARY"],
        )
        for e in icalendar.Calendar.from_ical(body).walk("VEVENT")
    ]


def _with_vobject(body: bytes) -> list[dict]:
    calendar = vobject.readOne(body.decode("utf-8"))
    found = []
    for e in calendar.contents.get("vevent", []):

        def value(name: str, e=e):
            return getattr(e, name).value if hasattr(e, name) else None

        found.append(
            _entry(
                value("uid"),
                value("dtstart"),
                value("dtend"),
                value("sequence"),
                value("status"),
                value("summary"),
            )
        )
    return found


def _with_node(paths: list[Path]) -> dict[str, dict[str, list[dict]]]:
    run = subprocess.run(
        [_node(), str(SCRIPT), str(NODE_MODULES), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(run.stdout)
    return {
        path: {
            parser: [
                {**e, "start": e["start"][:16], "end": e["end"][:16], "status": e["status"] or ""}
                for e in entries
            ]
            for parser, entries in parsers.items()
        }
        for path, parsers in found.items()
    }


def _other_season(day: date) -> date:
    """A day of next year in the other half of the year's time (summer time against winter time)."""
    return date(day.year + 1, 1 if 4 <= day.month <= 9 else 7, 15)


def test_four_parsers_read_every_calendar_file_alike(client, auth, event, meeting, pair, supplier, tmp_path):
    _node()
    _buyer_registration, supplier_registration = pair
    add_day(event, _other_season(EVENT_DAY))
    auth.login(supplier)
    assert client.get(f"/events/{event.id}/agenda").status_code == 200
    auth.logout()
    registration = db.session.get(Registration, supplier_registration.id)
    feed = f"/calendar/{registration.calendar_token}.ics"

    files: dict[str, bytes] = {
        "event.ics": client.get(f"/events/{event.id}.ics").data,
        "feed-before.ics": client.get(feed).data,
        "invitation.ics": agendas.meeting_invitation(registration, meeting, "noreply@example.org"),
    }
    uid = meeting.uid
    move_meeting(meeting, slot_at(event, _other_season(EVENT_DAY), 10, 0))  # another day, another season
    files["feed-moved.ics"] = client.get(feed).data
    cancel_meeting(meeting, "A train strike")
    files["feed-cancelled.ics"] = client.get(feed).data
    files["cancellation.ics"] = agendas.meeting_invitation(registration, meeting, "noreply@example.org")

    paths = []
    for name, body in files.items():
        (tmp_path / name).write_bytes(body)
        paths.append(tmp_path / name)
    from_node = _with_node(paths)

    read: dict[str, list[dict]] = {}
    for path in paths:
        body = path.read_bytes()
        by_parser = {
            "icalendar": _with_icalendar(body),
            "vobject": _with_vobject(body),
            **from_node[str(path)],
        }
        reference = sorted(by_parser["icalendar"], key=lambda e: (e["uid"], e["start"]))
        assert reference, path.name
        for parser, entries in by_parser.items():
            assert sorted(entries, key=lambda e: (e["uid"], e["start"])) == reference, (path.name, parser)
        read[path.name] = reference

    assert len(read["event.ics"]) == 2  # one entry per day of the event
    [before], [moved], [cancelled] = (
        read[name] for name in ("feed-before.ics", "feed-moved.ics", "feed-cancelled.ics")
    )
    assert before["uid"] == moved["uid"] == cancelled["uid"] == uid  # one entry, whatever happens to it
    assert before["start"][:10] != moved["start"][:10]
    assert before["sequence"] < moved["sequence"] < cancelled["sequence"]
    assert (moved["status"], cancelled["status"]) == ("CONFIRMED", "CANCELLED")
    assert read["invitation.ics"][0]["uid"] == read["cancellation.ics"][0]["uid"] == uid
    assert read["cancellation.ics"][0]["status"] == "CANCELLED"
