"""A new gunicorn worker loads, before its first request, what that request would otherwise pay for."""

import os
import runpy
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask

from matchmaker.reference.cpv import vocabulary
from matchmaker.warmup import warm_up

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorns_settings_file_warms_each_new_worker(app):
    vocabulary.cache_clear()
    hooks = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    hooks["post_worker_init"](SimpleNamespace(wsgi=app))  # what gunicorn passes: the worker, with the app
    assert vocabulary.cache_info().currsize == 1


def test_warming_up_loads_the_vocabulary_and_the_markdown_converters(app):
    vocabulary.cache_clear()
    assert warm_up(app) == ["cpv", "markdown"]  # the tests' task mode needs no broker
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
    assert warm_up(app) == ["cpv", "markdown"]
    assert "broker could not be reached" in caplog.text


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs TEST_REDIS_URL")
@pytest.mark.parametrize(
    "app_overrides",
    [{"TASK_MODE": "celery", "CELERY_BROKER_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:1/0")}],
    indirect=True,
)
def test_the_broker_connection_is_opened_before_the_first_job(app):
    assert warm_up(app) == ["cpv", "markdown", "broker"]
