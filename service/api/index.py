"""The API's front door: ``/`` lists where to go, and the docs UI's assets are served from the
pinned ``swagger-ui-bundle`` package, so ``/api/docs/`` works without internet."""

import flask
import swagger_ui_bundle
from flask.views import MethodView

from .common import Blueprint, api_endpoint
from .schemas.shared import IndexSchema

SWAGGER_UI_ASSETS = "/api/docs/assets/"

blp = Blueprint("index", __name__, description="Where to find the docs and the probes")
assets = flask.Blueprint("swagger_ui_assets", __name__, url_prefix=SWAGGER_UI_ASSETS.rstrip("/"))


@blp.route("/")
class Index(MethodView):
    @api_endpoint(blp, response=IndexSchema)
    def get(self):
        """Links to the interactive docs, the OpenAPI document and the health probes"""
        return {
            "name": flask.current_app.config["API_TITLE"],
            "links": {
                "docs": "/api/docs/",
                "openapi": "/api/docs/openapi.json",
                "health": "/healthz",
                "ready": "/readyz",
            },
        }


@assets.route("/<path:filename>")
def swagger_ui_asset(filename):
    return flask.send_from_directory(swagger_ui_bundle.swagger_ui_path, filename)
