"""A new gunicorn worker loads, before its first request, what that request would otherwise pay for."""

import gc
import os
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from matchmaker.reference.cpv import vocabulary
from matchmaker.warmup import freeze_heap, warm_up

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def unfrozen():
    """The test process's heap is given back to the garbage collector after a test that froze it."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_gunicorns_settings_file_warms_each_new_worker(app, unfrozen):
    vocabulary.cache_clear()
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["post_worker_init"](SimpleNamespace(wsgi=app))  # what gunicorn passes: the worker, with the app
    assert vocabulary.cache_info().currsize == 1
    assert gc.get_freeze_count() > 10_000  # the modules, the app and the vocabulary


def test_a_full_collection_leaves_what_the_worker_loaded_alone(app, unfrozen):
    warm_up(app)
    # What a long test process left for the collector is not the worker's heap. One pass may leave garbage
    # for the next (objects freed by the finalizers it ran), which freeze_heap's own pass then took out of
    # the count: 4,678 objects once, under xdist. Collect until a pass finds nothing (a few passes at most).
    for _ in range(10):
        if not gc.collect():
            break
    tracked = len(gc.get_objects())
    frozen = freeze_heap()
    assert frozen >= tracked - 1_000
    assert len(gc.get_objects()) < 1_000  # what a full collection walks now


def test_another_wsgi_app_in_gunicorn_is_neither_warmed_nor_frozen(unfrozen):
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["post_worker_init"](SimpleNamespace(wsgi=Flask("hello")))
    assert gc.get_freeze_count() == 0


def test_warming_up_loads_the_vocabulary_and_the_markdown_converters(app):
    vocabulary.cache_clear()
    assert warm_up(app) == ["cpv", "markdown", "bridge"]  # the tests' task mode needs no broker
    assert vocabulary.cache_info().currsize == 1


def test_another_wsgi_app_is_left_alone():
    vocabulary.cache_clear()
    assert warm_up(Flask("hello")) == []
    assert warm_up(object()) == []
    assert vocabulary.cache_info().currsize == 0


@pytest.mark.parametrize(
    "app_overrides", [{"TASK_MODE": "celery", "CELERY_BROKER_URL": "redis://127.0.0.1:1/0"}], indirect=True
)
def test_a_broker_out_of_reach_does_not_keep_a_worker_from_starting(app, caplog):
    assert warm_up(app) == ["cpv", "markdown", "bridge"]
    assert "broker could not be reached" in caplog.text


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
@pytest.mark.parametrize(
    "app_overrides",
    [{"TASK_MODE": "celery", "CELERY_BROKER_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:1/0")}],
    indirect=True,
)
def test_the_broker_connection_is_opened_before_the_first_job(app):
    assert warm_up(app) == ["cpv", "markdown", "bridge", "broker"]
