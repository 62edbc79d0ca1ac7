"""What a newcomer meets: the API root, the docs UI without internet, the `loyalty` command."""

import os
import subprocess
import sys
from pathlib import Path

from .harness import database_url
from .helpers import assert_no_store


def test_the_root_links_to_the_docs_and_the_probes(client):
    response = client.get("/")
    assert response.status_code == 200
    assert_no_store(response)
    links = response.json["links"]
    for path in links.values():
        assert client.get(path).status_code == 200, path


def test_the_docs_ui_loads_its_assets_from_the_service_not_a_cdn(client):
    page = client.get("/api/docs/").get_data(as_text=True)
    assert "cdn" not in page and "https://" not in page
    for asset in ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"):
        assert f"/api/docs/assets/{asset}" in page
        response = client.get(f"/api/docs/assets/{asset}")
        assert response.status_code == 200, asset
        assert len(response.get_data()) > 1000
    assert client.get("/api/docs/assets/../../service/config.py").status_code == 404


def test_the_loyalty_command_runs_the_cli_with_the_app_preset(database, tmp_path):
    command = Path(sys.executable).parent / "loyalty"
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [str(command), "ledger", "verify"],
        cwd=tmp_path,  # not the repository: no `--app`, no `service` on the path needed
        env={**os.environ, "DATABASE_URL": database_url(database), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 drifting, 0 differences" in result.stdout
