"""Reference data shipped with the platform (pure Python: no Flask, no SQLAlchemy)."""
