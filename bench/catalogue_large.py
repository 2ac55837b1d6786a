"""A large synthetic catalogue in the app's database, and what the shared matching index costs on it.

Items are the matching benchmark's documents (CPV labels and notice fragments recombined; see
bench_matching.Corpus), written with plain inserts: `needs` open needs of 50 government organisations and
`offerings` published offerings of 500 companies. Then (unless --no-index) the full refit, the refresh of one
published offering and of one unpublished one, the proposals query of one need, with times and memory.

    python -m bench.catalogue_large --needs 1500 --offerings 3500     (DATABASE_URL picks the database;
                                                                       default: a temporary SQLite file)
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time


def rss_mb() -> float:
    """This process's resident memory now (Linux), in MB."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fill(needs: int, offerings: int, seed: int = 7) -> None:
    """Insert the organisations and items (inside an app context)."""
    import sqlalchemy as sa

    from bench.bench_matching import Corpus
    from matchmaker.extensions import db
    from matchmaker.models import Need, NeedCpvCode, Offering, OfferingCpvCode, Organisation, utcnow

    corpus = Corpus(seed)
    now = utcnow()
    buyers = [Organisation(name=f"Agentschap {i}", kind="government") for i in range(50)]
    sellers = [Organisation(name=f"Bedrijf {i}", kind="sme") for i in range(500)]
    db.session.add_all(buyers + sellers)
    db.session.commit()
    for model, link, count, orgs, status in (
        (Need, NeedCpvCode, needs, buyers, "open"),
        (Offering, OfferingCpvCode, offerings, sellers, "published"),
    ):
        text = "challenge" if model is Need else "description"
        start = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0)))
        rows, codes = [], []
        for i in range(count):
            doc = corpus.document(f"{i}")
            item_id = start + i + 1
            rows.append(
                {
                    "id": item_id, "organisation_id": orgs[i % len(orgs)].id, "title": doc["title"][:200],
                    "summary": doc["description"][:300], text: doc["description"],
                    "language": doc["language"] if doc["language"] in ("nl", "fr", "en") else "nl",
                    "status": status, "published_at": now,
                    "created_at": now, "updated_at": now, "version": 1,
                }
            )  # fmt: skip
            codes += [{f"{model.__tablename__}_id": item_id, "code": c} for c in doc.get("cpv", [])]
            if len(rows) == 2000 or i == count - 1:
                db.session.execute(sa.insert(model), rows)
                rows = []
        for begin in range(0, len(codes), 5000):
            db.session.execute(sa.insert(link), codes[begin : begin + 5000])
        db.session.commit()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.catalogue_large")
    parser.add_argument("--needs", type=int, default=1500)
    parser.add_argument("--offerings", type=int, default=3500)
    parser.add_argument("--no-index", action="store_true")
    args = parser.parse_args(argv)
    if not os.environ.get("DATABASE_URL"):
        path = os.path.join(tempfile.mkdtemp(), "catalogue.db")
        os.environ["DATABASE_URL"] = f"sqlite:///{path}"
        print(f"database: {os.environ['DATABASE_URL']}")

    import sqlalchemy as sa

    from config import Config
    from matchmaker import create_app
    from matchmaker.extensions import db

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        fill(args.needs, args.offerings)
        print(
            f"filled {args.needs} needs and {args.offerings} offerings "
            f"in {time.perf_counter() - started:.1f} s"
        )
        if args.no_index:
            return 0
        from matchmaker.models import MatchModel, Need, Offering
        from matchmaker.services import matching
        from matchmaker.services.matching import proposals

        base = rss_mb()
        started = time.perf_counter()
        report = matching.refit()
        print(
            f"refit: {report.seconds:.1f} s, {report.pairs} pairs stored, RSS {rss_mb():.0f} MB "
            f"(before {base:.0f} MB, peak {peak_mb():.0f} MB)"
        )
        blob = db.session.scalar(sa.select(sa.func.length(MatchModel.data)))
        print(f"model blob: {blob / 1e6:.1f} MB")
        offering = db.session.scalar(sa.select(Offering).order_by(Offering.id.desc()).limit(1))
        offering.title = offering.title + " met batterijen en laadpalen"
        db.session.commit()
        times = []
        for _ in range(3):
            started = time.perf_counter()
            matching.refresh_item("offering", offering.id)
            times.append(time.perf_counter() - started)
        print("refresh of one edited offering: " + ", ".join(f"{t * 1000:.0f} ms" for t in times))
        offering.status = "draft"
        db.session.commit()
        started = time.perf_counter()
        result = matching.refresh_item("offering", offering.id)
        print(f"refresh of an unpublished offering: {(time.perf_counter() - started) * 1000:.0f} ms "
              f"({result.repaired} lists re-ranked)")  # fmt: skip
        matching.index.forget_models()
        started = time.perf_counter()
        matching.refresh_item("offering", offering.id)
        print(f"refresh in a worker that loads the model first: {(time.perf_counter() - started):.1f} s, "
              f"RSS {rss_mb():.0f} MB")  # fmt: skip
        need = db.session.scalar(sa.select(Need).order_by(Need.id).limit(1))
        started = time.perf_counter()
        for _ in range(20):
            found = proposals.proposals_for(need, None, limit=50, language="en")
        print(f"proposals of one need (50 shown): {(time.perf_counter() - started) / 20 * 1000:.1f} ms, "
              f"{len(found.proposals)} proposals")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
