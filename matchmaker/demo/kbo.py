"""The demo's KBO/BCE register: the sample in `kbo_sample/`, loaded at once (it is tiny) when no register is
loaded, so that the administrators' verification pages show checks. A register loaded already (a real one on a
staging platform) is left alone."""

from pathlib import Path

SAMPLE = Path(__file__).resolve().parent / "kbo_sample"


def seed_demo_kbo(progress) -> str:
    from matchmaker.services import kbo

    loaded = kbo.loaded_import()
    if loaded is not None:
        return f"KBO register: already loaded (snapshot of {loaded.snapshot_date}, {loaded.source})"
    row = kbo.import_register(SAMPLE)
    return f"KBO register: sample loaded ({row.enterprises} enterprises, snapshot of {row.snapshot_date})"
