"""deploy/env.example documents every variable services/config.py reads."""

from __future__ import annotations

import re

from tests.servers import REPO_ROOT


def test_every_setting_is_documented_in_the_environment_example():
    read = set(re.findall(r'env\.get\("([A-Z_]+)"', (REPO_ROOT / "services" / "config.py").read_text()))
    example = (REPO_ROOT / "deploy" / "env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    assert read, "config.py reads its variables with env.get(...)"
    missing = sorted(read - documented)
    assert not missing, f"add these to deploy/env.example (a commented line is fine): {missing}"
