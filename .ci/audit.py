"""Dependency vulnerability check for CI: pip-audit when it can reach its service, otherwise the
committed advisory table (`security/advisories.toml`) against the installed versions.

`python .ci/audit.py` (with the project's virtualenv Python). Exit 1 when an installed package
is known to be vulnerable; it always says which check ran and why. CI never depends on the
network: the probe of pip-audit's service has a 3-second timeout, and without it the offline
table decides.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import urllib.request
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "security" / "advisories.toml"
SERVICE_PROBE = "https://pypi.org/pypi/pip/json"  # pip-audit's default vulnerability service (PyPI JSON API)


@dataclass(frozen=True)
class Finding:
    package: str
    installed: str
    id: str
    cve: str
    affected: str
    summary: str


def load_table(path: Path = TABLE) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


def affects(affected: str, version: str) -> bool:
    """`affected` is one or more PEP 440 specifier sets joined by `||`."""
    parsed = Version(version)
    return any(parsed in SpecifierSet(part.strip()) for part in affected.split("||"))


def installed_versions() -> dict[str, str]:
    return {dist.metadata["Name"].lower(): dist.version for dist in metadata.distributions()}


def check_offline(table: dict, installed: dict[str, str]) -> list[Finding]:
    findings = []
    for advisory in table["advisory"]:
        version = installed.get(advisory["package"].lower())
        if version is not None and affects(advisory["affected"], version):
            findings.append(Finding(advisory["package"], version, advisory["id"], advisory.get("cve", ""),
                                    advisory["affected"], advisory["summary"]))
    return findings


def service_answers(timeout: float = 3.0) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(SERVICE_PROBE, timeout=timeout) as response:  # noqa: S310 - fixed https URL
            return response.status == 200, f"HTTP {response.status}"
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return False, f"{type(exc).__name__}: {str(exc)[:80]}"


def _pip_audit() -> str | None:
    candidate = Path(sys.executable).parent / "pip-audit"
    return str(candidate) if candidate.exists() else shutil.which("pip-audit")


def main() -> int:
    tool = _pip_audit()
    reachable, why = service_answers() if tool else (False, "pip-audit is not installed")
    if tool and reachable:
        print(f"audit: pip-audit against the PyPI vulnerability service ({tool})")
        return subprocess.call([tool, "--strict", "--progress-spinner", "off", "--skip-editable"])
    table = load_table()
    installed = installed_versions()
    packages = sorted({a["package"].lower() for a in table["advisory"]})
    present = [p for p in packages if p in installed]
    print(f"audit: pip-audit not used ({why}); offline check of the installed versions against "
          f"security/advisories.toml ({len(table['advisory'])} advisories for {len(packages)} packages, "
          f"reviewed {table['reviewed']})")
    print("  installed: " + ", ".join(f"{p} {installed[p]}" for p in present))
    findings = check_offline(table, installed)
    for f in findings:
        print(f"  VULNERABLE {f.package} {f.installed}: {f.id} {f.cve} (affected {f.affected}) {f.summary}")
    if findings:
        print(f"audit FAILED: {len(findings)} known advisories affect installed packages; upgrade them")
        return 1
    print("audit passed: no installed package is in a known-vulnerable range")
    return 0


if __name__ == "__main__":
    sys.exit(main())
