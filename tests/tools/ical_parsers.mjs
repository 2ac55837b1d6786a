// Reads .ics files with two iCalendar parsers nobody here wrote (Mozilla's ical.js and node-ical) and prints,
// per file and parser, the events each one found: UID, start and end in UTC, SEQUENCE, STATUS, SUMMARY.
// Used by tests/integration/test_calendar_parsers.py; the modules come from .cache/node (make test).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(process.argv[2] + "/");
const ICAL = require("ical.js");
const nodeIcal = require("node-ical");

function withIcalJs(text) {
  const calendar = new ICAL.Component(ICAL.parse(text));
  for (const zone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(new ICAL.Timezone(zone));
  }
  return calendar.getAllSubcomponents("vevent").map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      sequence: event.sequence,
      status: component.getFirstPropertyValue("status"),
      summary: event.summary,
    };
  });
}

function withNodeIcal(text) {
  return Object.values(nodeIcal.sync.parseICS(text))
    .filter((item) => item.type === "VEVENT")
    .map((item) => ({
      uid: item.uid,
      start: item.start.toISOString(),
      end: item.end.toISOString(),
      sequence: Number(item.sequence ?? 0),
      status: item.status,
      summary: typeof item.summary === "string" ? item.summary : item.summary?.val,
    }));
}

const result = {};
for (const path of process.argv.slice(3)) {
  const text = readFileSync(path, "utf8");
  result[path] = { "ical.js": withIcalJs(text), "node-ical": withNodeIcal(text) };
}
console.log(JSON.stringify(result));
