"""Benchmark of the matching engine on synthetic but realistic documents.

Targets (issue 4): exact top-10 for 10,000 needs x 10,000 offerings in under 2 s; one need's top-10 among
100,000 offerings in under 5 ms once the index is built; building that index in under 30 s and 1 GB of memory.
Every run also checks that the fast top-k equals a brute-force top-k (every score, full sort, ties by id) on a
sample.

Documents are made by recombining real text: the CPV labels (Dutch, French, English) as objects, fragments of
the procurement notices of the evaluation sets (when ../shared/eval/matching is there), and connecting
phrases, with declared CPV codes on about half of them and a theme or two on some.

    python -m bench matching                 full run
    python -m bench matching --quick         smaller sizes (a smoke test, no targets checked)
    python -m bench matching --no-bridge     the same without the Dutch/French/English bridge (to compare)
"""

from __future__ import annotations

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
EVAL = REPO.parent / "shared" / "eval" / "matching"
LANGS = ("nl", "fr", "en")
CONNECT = {
    "nl": [
        "Levering van",
        "Wij zoeken",
        "Innovatieve oplossing voor",
        "met",
        "voor",
        "en",
        "inclusief",
        "Ontwikkeling van",
        "Proefproject rond",
        "in samenwerking met de stad",
        "onderhoud van",
    ],
    "fr": [
        "Fourniture de",
        "Nous cherchons",
        "Solution innovante pour",
        "avec",
        "pour",
        "et",
        "y compris",
        "Développement de",
        "Projet pilote autour de",
        "en collaboration avec la ville",
        "entretien de",
    ],
    "en": [
        "Supply of",
        "We are looking for",
        "Innovative solution for",
        "with",
        "for",
        "and",
        "including",
        "Development of",
        "Pilot project on",
        "in cooperation with the city",
        "maintenance of",
    ],
}
THEMES = [
    "mobiliteit",
    "energie",
    "klimaat",
    "gezondheid",
    "digitale overheid",
    "cultuur",
    "onderwijs",
    "water",
]


class Corpus:
    """Random documents from CPV labels and notice fragments (seeded, so every run sees the same corpus)."""

    def __init__(self, seed: int = 7):
        from matchmaker.reference.cpv import vocabulary

        self.rng = random.Random(seed)
        vocab = vocabulary()
        self.codes = sorted(vocab)
        self.labels = {lang: [vocab[c].labels[lang] for c in self.codes] for lang in LANGS}
        self.fragments: dict[str, list[str]] = {lang: [] for lang in (*LANGS, "es")}
        for setdir in sorted(EVAL.glob("*/needs.jsonl")) if EVAL.exists() else []:
            for line in setdir.open(encoding="utf-8"):
                row = json.loads(line)
                lang = row.get("language")
                if lang in self.fragments:
                    text = f"{row.get('title', '')} {row.get('description', '')}".split()
                    for start in range(0, len(text), 12):
                        self.fragments[lang].append(" ".join(text[start : start + 12]))
        # A language with only a notice or two would repeat the same fragments in every document, which no
        # real corpus does: such a language gets CPV labels and connecting words only.
        self.fragments = {lang: pool for lang, pool in self.fragments.items() if len(pool) >= 100}

    def document(self, doc_id: str) -> dict:
        rng = self.rng
        lang = rng.choices((*LANGS, "es"), weights=(5, 3, 3, 1))[0]
        label_lang = lang if lang in LANGS else "en"
        picks = [rng.randrange(len(self.codes)) for _ in range(rng.randint(2, 5))]
        # Related codes: neighbours in the sorted vocabulary are usually in the same group.
        picks += [min(len(self.codes) - 1, p + rng.randint(1, 5)) for p in picks[:2]]
        words = CONNECT[label_lang]
        title = f"{rng.choice(words[:3])} {self.labels[label_lang][picks[0]].lower()}"
        parts = []
        for p in picks[1:]:
            parts.append(f"{rng.choice(words)} {self.labels[label_lang][p].lower()}")
            pool = self.fragments.get(lang)
            if pool and rng.random() < 0.6:
                parts.append(rng.choice(pool))
        doc = {
            "id": doc_id,
            "title": title,
            "description": ". ".join(parts) + ".",
            "language": lang if rng.random() < 0.9 else None,
        }
        if rng.random() < 0.5:
            doc["cpv"] = [self.codes[p] for p in picks[: rng.randint(1, 2)]]
        if rng.random() < 0.3:
            doc["themes"] = rng.sample(THEMES, rng.randint(1, 2))
        return doc

    def documents(self, prefix: str, n: int) -> list:
        from matchmaker.matching import Document

        return [Document.from_mapping(self.document(f"{prefix}{i:06d}")) for i in range(n)]


def brute_force(index, vectors, k: int, rows: list[int]) -> list[list[tuple]]:
    """Every score by a float64 sparse product over all documents, fully sorted (score desc, then id): the
    reference for exactness (public vectors, none of the engine's ranking code)."""
    from matchmaker.matching.engine import _id_key

    matrix = index.matrix.astype(np.float64)
    ids = index.ids
    out = []
    for r in rows:
        scores = (matrix @ vectors[r].astype(np.float64).T).toarray().ravel()
        order = sorted(
            (i for i in range(len(ids)) if scores[i] > 0), key=lambda i: (-scores[i], _id_key(ids[i]))
        )
        out.append([(ids[i], scores[i]) for i in order[:k]])
    return out


def same_ranking(fast, slow, tolerance: float = 1e-5) -> bool:
    """Equal ids in order, except that scores within `tolerance` (float32 vs float64 rounding) may swap."""
    if len(fast) != len(slow):
        return False
    for (fid, fscore), (sid, sscore) in zip(fast, slow, strict=True):
        if abs(fscore - sscore) > tolerance:
            return False
        if fid != sid and not any(i == fid and abs(s - fscore) <= tolerance for i, s in slow):
            return False
    return True


def check_exact(index, vectors, results, k: int, sample: int, rng: random.Random) -> tuple[int, int]:
    rows = sorted(rng.sample(range(vectors.shape[0]), min(sample, vectors.shape[0])))
    slow = brute_force(index, vectors, k, rows)
    agree = sum(
        same_ranking([(m.id, m.score) for m in results[r]], reference)
        for r, reference in zip(rows, slow, strict=True)
    )
    return agree, len(rows)


def _cpu_with_children() -> float:
    """CPU seconds of this process (all its threads) and its finished children (the forked fit workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _engine(bridge: bool):
    from matchmaker.matching import MatchingConfig, MatchingEngine

    return MatchingEngine() if bridge else MatchingEngine(MatchingConfig(bridge_weight=0.0))


def bench_all_pairs(corpus: Corpus, n: int, k: int = 10, repeats: int = 3, bridge: bool = True) -> dict:
    offerings = corpus.documents("o", n)
    needs = corpus.documents("n", n)
    engine = _engine(bridge)
    started, cpu = time.perf_counter(), time.process_time()
    index = engine.fit(offerings)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    started = time.perf_counter()
    vectors = index.vectorize(needs)
    vectorize = time.perf_counter() - started
    times, cpu_times = [], []
    for _ in range(repeats):
        started, cpu = time.perf_counter(), _cpu_with_children()
        results = index.top_k_vectors(vectors, k, workers=2)
        times.append(time.perf_counter() - started)
        cpu_times.append(_cpu_with_children() - cpu)
    agree, sampled = check_exact(index, vectors, results, k, 100, random.Random(1))
    return {
        "n": n,
        "build_s": build,
        "vectorize_needs_s": vectorize,
        "rank_s_median": statistics.median(times),
        "rank_s_all": times,
        "rank_cpu_s_median": statistics.median(cpu_times),
        "build_cpu_s": build_cpu,
        "exact": f"{agree}/{sampled}",
    }


def bench_single(corpus: Corpus, n: int, queries: int = 300, k: int = 10, bridge: bool = True) -> dict:
    """Build an index of n offerings (time, memory) and time single-need queries."""
    offerings = corpus.documents("o", n)
    needs = corpus.documents("n", queries)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu, cpu_all = time.perf_counter(), time.process_time(), _cpu_with_children()
    index = _engine(bridge).fit(offerings, workers=2)
    build, build_cpu = time.perf_counter() - started, time.process_time() - cpu
    build_cpu_all = _cpu_with_children() - cpu_all
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    index.top_k(needs[0], k)  # warm caches
    times, cpu_times, results = [], [], []
    for need in needs:
        started, cpu = time.perf_counter(), time.process_time()
        results.append(index.top_k(need, k))
        times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
    vectors = index.vectorize(needs)
    agree, sampled = check_exact(index, vectors, results, k, 30, random.Random(2))
    times_ms = sorted(t * 1000 for t in times)
    return {
        "n": n,
        "build_s": build,
        "peak_rss_mb": rss_after / 1024,
        "build_rss_growth_mb": (rss_after - rss_before) / 1024,
        "worker_peak_rss_mb": rss_workers / 1024,
        "query_ms_median": statistics.median(times_ms),
        "query_cpu_ms_median": statistics.median(t * 1000 for t in cpu_times),
        "build_cpu_s": build_cpu,
        "build_cpu_all_s": build_cpu_all,
        "query_ms_p95": times_ms[int(0.95 * len(times_ms))],
        "exact": f"{agree}/{sampled}",
    }


def child(argv: list[str]) -> int:
    """Run one measurement in this (fresh) process and print it as JSON: memory is then this process's
    alone."""
    kind, n = argv[0], int(argv[1])
    bridge = "--no-bridge" not in argv
    corpus = Corpus()
    if kind == "single":
        result = bench_single(corpus, n, bridge=bridge)
    else:
        result = bench_all_pairs(corpus, n, bridge=bridge)
    print(json.dumps(result))
    return 0


def run_child(kind: str, n: int, bridge: bool = True) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    out = subprocess.run(
        [sys.executable, "-m", "bench.bench_matching", "--child", kind, str(n)]
        + ([] if bridge else ["--no-bridge"]),
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    bridge = "--no-bridge" not in argv
    pairs_n, single_n = (2000, 20000) if quick else (10000, 100000)
    ok = True
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores (wall times below suffer when it is high)")
    if not bridge:
        print("without the Dutch/French/English bridge")
    pairs = run_child("pairs", pairs_n, bridge)
    print(
        f"all pairs {pairs_n} x {pairs_n}, top-10, 2 threads: {pairs['rank_s_median']:.2f} s median wall "
        f"(runs {', '.join(f'{t:.2f}' for t in pairs['rank_s_all'])}; CPU of all processes "
        f"{pairs['rank_cpu_s_median']:.2f} s); analysing the needs first {pairs['vectorize_needs_s']:.2f} s; "
        f"exact vs brute force {pairs['exact']}"
    )
    single = run_child("single", single_n, bridge)
    print(
        f"one need among {single_n} offerings, top-10: {single['query_ms_median']:.2f} ms median wall "
        f"({single['query_cpu_ms_median']:.2f} ms CPU), p95 {single['query_ms_p95']:.2f} ms; "
        f"exact vs brute force {single['exact']}"
    )
    print(
        f"index of {single_n} offerings, 2 workers: {single['build_s']:.1f} s wall "
        f"(CPU of all processes {single['build_cpu_all_s']:.1f} s, of the parent alone "
        f"{single['build_cpu_s']:.1f} s); peak memory {single['peak_rss_mb']:.0f} MB "
        f"(build grew it by {single['build_rss_growth_mb']:.0f} MB; a worker peaked at "
        f"{single['worker_peak_rss_mb']:.0f} MB, mostly pages shared with the parent)"
    )
    for result in (pairs, single):
        agree, total = (int(x) for x in result["exact"].split("/"))
        ok &= agree == total
    if not quick:
        ok &= pairs["rank_s_median"] < 2.0
        ok &= single["query_ms_median"] < 5.0
        ok &= single["build_s"] < 30.0 and single["peak_rss_mb"] < 1024
    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        sys.exit(child(sys.argv[2:]))
    sys.exit(main(sys.argv[1:]))
