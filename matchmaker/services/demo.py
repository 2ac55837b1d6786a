"""Demo data: realistic Flemish organisations and accounts. Idempotent."""


def seed_demo_data(progress=lambda message: None) -> str:
    return "nothing yet"
