"""gunicorn's settings file, read from the working directory (the units and the Procfile run gunicorn in the
project's folder): only a hook here; the command lines hold the settings."""


def post_worker_init(worker):
    """A new worker loads what its first request would (matchmaker/warmup.py)."""
    from matchmaker.warmup import warm_up

    warm_up(worker.wsgi)
