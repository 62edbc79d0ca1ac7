"""Loyalty Points Live Sync: ``create_app()`` builds the HTTP service; ``main()`` is the CLI."""

from flask import Flask
from flask.cli import FlaskGroup

from . import cli, db
from .api import init_api, observability
from .api.app import LoyaltyFlask
from .config import load_config


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the environment (see ``config.load_config``), then ``test_config``."""
    app = LoyaltyFlask(__name__)
    app.config.from_mapping(load_config())
    if test_config:
        app.config.update(test_config)
    observability.init_app(app)  # before db.init_app: its teardown must run after db's
    db.init_app(app)
    init_api(app)
    cli.init_app(app)
    return app


def main() -> None:
    """The ``loyalty`` console script: Flask's CLI with this app preset, so every command
    works from anywhere the package is installed (no ``--app``, no ``flask`` on the PATH)."""
    FlaskGroup(name="loyalty", create_app=create_app, help="Loyalty Points Live Sync").main()
