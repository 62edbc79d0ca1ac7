"""The admin app's pure live-sync rules, run by Node's built-in test runner (no npm packages)."""

import shutil
import subprocess

import pytest

from .harness import ROOT

pytestmark = pytest.mark.pure  # no database: see conftest.py

NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_state_rules_pass_under_node_test():
    result = subprocess.run(  # noqa: S603 (a fixed command line)
        [NODE, "--test", "frontend/tests/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "# fail 0" in result.stdout
