"""Static security checks that CI runs after the tests: bandit over the code, pip-audit over
the installed dependencies.

    .venv/bin/python deploy/security_audit.py

* bandit reads its settings from ``[tool.bandit]`` in pyproject.toml; any finding fails.
  The checks skipped there are justified in deploy/security-findings.md.
* pip-audit checks every installed distribution (the venv CI built from pyproject.toml,
  test tools included) against PyPI's vulnerability data. A known vulnerability fails,
  unless its id is in ``ACCEPTED`` below with a justification in
  deploy/security-findings.md. pip-audit needs https://pypi.org/pypi/<name>/<version>/json:
  where that is unreachable (an offline mirror), nothing can be audited and the step says
  so loudly (NOT AUDITED) instead of passing quietly; ``--require-audit`` makes that fail.
"""

from __future__ import annotations

import argparse
import json
import subprocess  # nosec B404
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = ["domain", "services", "projections", "workers", "deploy"]
#: Vulnerability id -> why it does not apply (see deploy/security-findings.md). None today.
ACCEPTED: dict[str, str] = {}


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run one of our own tools (fixed arguments, no shell)."""
    print("+ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603  # nosec B603


def bandit() -> bool:
    result = run([sys.executable, "-m", "bandit", "-c", "pyproject.toml", "-q", "-r", *CODE])
    print(result.stdout + result.stderr)
    return result.returncode == 0


def pip_audit(require: bool) -> bool:
    command = [sys.executable, "-m", "pip_audit", "--skip-editable", "--format", "json", "--progress-spinner", "off"]
    for vuln_id in ACCEPTED:
        command += ["--ignore-vuln", vuln_id]
    result = run(command)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not run:\n{result.stdout}\n{result.stderr}")
        return False
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dependency in vulnerable:
        for vuln in dependency["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            print(f"VULNERABLE {dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixed})")
    if dependencies and not audited:
        print(
            f"pip-audit: NOT AUDITED - none of {len(dependencies)} dependencies could be looked up on PyPI "
            f"(first reason: {dependencies[0].get('skip_reason')})"
        )
        return not require and not vulnerable
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    print(
        f"pip-audit: {len(audited)} dependencies audited, {len(vulnerable)} vulnerable"
        + (f", not found on PyPI: {', '.join(skipped)}" if skipped else "")
    )
    return not vulnerable


def main() -> int:
    parser = argparse.ArgumentParser(description="bandit and pip-audit, as CI runs them")
    parser.add_argument(
        "--require-audit", action="store_true", help="fail when PyPI's vulnerability data cannot be reached"
    )
    args = parser.parse_args()
    ok_bandit = bandit()
    ok_audit = pip_audit(args.require_audit)
    print(f"bandit: {'ok' if ok_bandit else 'FINDINGS'}; pip-audit: {'ok' if ok_audit else 'FAILED'}")
    return 0 if ok_bandit and ok_audit else 1


if __name__ == "__main__":
    sys.exit(main())
