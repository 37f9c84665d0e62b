"""The offline dependency audit (`.ci/audit.py`): its table is well formed and it flags what it should."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
audit = importlib.util.module_from_spec(spec)
sys.modules["ci_audit"] = audit  # dataclasses look their module up there
spec.loader.exec_module(audit)


def test_every_advisory_names_its_package_id_and_a_valid_affected_range():
    table = audit.load_table()
    assert table["reviewed"]
    for advisory in table["advisory"]:
        assert advisory["id"].startswith("GHSA-") and advisory["summary"]
        for part in advisory["affected"].split("||"):
            SpecifierSet(part.strip())  # raises on a malformed range


@pytest.mark.parametrize(("package", "version", "flagged"), [
    ("flask", "2.2.4", {"GHSA-m2qf-hxjv-5gpq"}),
    ("flask", "2.2.5", set()),
    ("flask", "2.3.1", {"GHSA-m2qf-hxjv-5gpq"}),
    ("flask", "3.1.3", set()),
    ("werkzeug", "3.0.2", {"GHSA-2g68-c3qc-8985", "GHSA-q34m-jh98-gwm2"}),
    ("urllib3", "1.26.18", {"GHSA-34jh-p97f-mpxf", "GHSA-pq67-6m6q-mj2v"}),
    ("urllib3", "2.0.7", {"GHSA-34jh-p97f-mpxf", "GHSA-pq67-6m6q-mj2v"}),
    ("setuptools", "65.5.0", {"GHSA-r9hx-vwmv-q579", "GHSA-cx63-2mw6-8hw5", "GHSA-5rjg-fvgr-3xxf"}),
    ("gunicorn", "21.2.0", {"GHSA-w3h3-4rj7-4ph4"}),
    ("jinja2", "3.1.6", set()),
])
def test_the_offline_check_flags_known_vulnerable_versions_only(package, version, flagged):
    findings = audit.check_offline(audit.load_table(), {package: version})
    assert {f.id for f in findings} == flagged


def test_the_installed_environment_passes_the_offline_check():
    assert audit.check_offline(audit.load_table(), audit.installed_versions()) == []
