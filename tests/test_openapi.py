"""The committed openapi.yaml is what the app generates (run `make openapi` after a change)."""

from pathlib import Path

import yaml
from flask_smorest import Api

COMMITTED = Path(__file__).resolve().parent.parent / "openapi.yaml"


def test_openapi_yaml_matches_the_app(app):
    api: Api = app.extensions["flask-smorest"]["apis"][""]["ext_obj"]
    generated = api.spec.to_dict()
    committed = yaml.safe_load(COMMITTED.read_text())
    assert committed == generated, "openapi.yaml is stale: run `make openapi` and commit it"


def test_every_endpoint_documents_its_problem_responses(app):
    spec = yaml.safe_load(COMMITTED.read_text())
    redeem = spec["paths"]["/api/customer/loyalty/redeem"]["post"]["responses"]
    assert {"201", "200", "401", "404", "409", "422"} <= set(redeem)
    assert "application/problem+json" in redeem["409"]["content"]
