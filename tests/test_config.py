"""Settings are checked at start-up: each problem gets one clear sentence, all of them at once;
a developer's start (no settings at all) still works."""

import subprocess
import sys
from pathlib import Path

import pytest

from service.config import ConfigError, load_config

from .harness import ROOT, free_port

SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "DB_POOL_SIZE",
    "ADMIN_TOKEN_MAX_AGE",
    "TRUSTED_PROXY_HOPS",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "DB_TIMEOUT",
    "DB_POOL_RECYCLE",
    "FLASK_ENV",
    "LOYALTY_ENV",
)


@pytest.fixture
def env(monkeypatch):
    """A bare environment (a developer's), which each test then spoils."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def problems_of(env) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config()
    return caught.value.problems


def test_a_bare_environment_is_a_working_development_setup(env):
    config = load_config()
    assert config["SECRET_KEY"]
    assert config["DATABASE"].database == "loyalty"
    assert (config["LOG_FORMAT"], config["LOG_LEVEL"], config["TRUSTED_PROXY_HOPS"]) == (
        "json",
        "INFO",
        0,
    )


def test_production_without_secret_key(env):
    env.setenv("LOYALTY_ENV", "production")
    assert problems_of(env) == ["SECRET_KEY must be set in production (a long random string)"]


@pytest.mark.parametrize(
    "url",
    ["postgres://u@h/db", "mysql://root@127.0.0.1:3306", "mysql://root@127.0.0.1:port/db"],
)
def test_malformed_database_url(env, url):
    env.setenv("DATABASE_URL", url)
    [problem] = problems_of(env)
    assert problem.startswith("DATABASE_URL must look like mysql://user:pass@host:port/db")


def test_a_malformed_database_url_does_not_repeat_its_password(env):
    env.setenv("DATABASE_URL", "mysql://app:hunter2@db:33o6/loyalty")
    [problem] = problems_of(env)
    assert "hunter2" not in problem and "app:***@db" in problem


def test_unknown_setting_values(env):
    env.setenv("LOG_FORMAT", "xml")
    env.setenv("LOG_LEVEL", "chatty")
    assert problems_of(env) == [
        "LOG_FORMAT must be one of json, text, not 'xml'",
        "LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, not 'chatty'",
    ]


def test_non_integer_and_out_of_range_numbers(env):
    env.setenv("DB_POOL_SIZE", "ten")
    env.setenv("TRUSTED_PROXY_HOPS", "-1")
    assert problems_of(env) == [
        "DB_POOL_SIZE must be a whole number, not 'ten'",
        "TRUSTED_PROXY_HOPS must be at least 0, not -1",
    ]


def test_time_limits_must_be_positive_numbers(env):
    env.setenv("DB_TIMEOUT", "5s")
    env.setenv("DB_POOL_RECYCLE", "0")
    assert problems_of(env) == [
        "DB_TIMEOUT must be a number of seconds, not '5s'",
        "DB_POOL_RECYCLE must be at least 1, not 0",
    ]
    env.setenv("DB_TIMEOUT", "0.5")
    env.delenv("DB_POOL_RECYCLE")
    assert load_config()["DB_TIMEOUT"] == 0.5


def test_every_problem_is_listed_in_one_error(env):
    env.setenv("FLASK_ENV", "production")
    env.setenv("DATABASE_URL", "sqlite:///x.db")
    env.setenv("LOG_FORMAT", "XML")
    env.setenv("DB_POOL_SIZE", "1.5")
    with pytest.raises(ConfigError) as caught:
        load_config()
    message = str(caught.value)
    assert len(caught.value.problems) == 4
    for problem in caught.value.problems:
        assert f"  - {problem}" in message


def test_settings_are_case_insensitive_where_it_cannot_matter(env):
    env.setenv("LOG_FORMAT", "TEXT")
    env.setenv("LOG_LEVEL", "warning")
    config = load_config()
    assert (config["LOG_FORMAT"], config["LOG_LEVEL"]) == ("text", "WARNING")


def test_gunicorn_refuses_to_start_and_says_why(env):
    env.setenv("LOYALTY_ENV", "production")
    env.setenv("DB_POOL_SIZE", "lots")
    env.setenv("BIND", f"127.0.0.1:{free_port()}")
    started = subprocess.run(  # noqa: S603 (a fixed command line)
        [str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py",
         "service:create_app()"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    output = started.stdout + started.stderr
    assert "SECRET_KEY must be set in production" in output
    assert "DB_POOL_SIZE must be a whole number, not 'lots'" in output
    assert "Traceback" not in output
