"""The systemd units in deploy/systemd/ are ones systemd accepts, and each
runs sandboxed as the service's own user.

systemd-analyze checks every key and command of a unit; the units name
/opt/accounts, so a copy points at this checkout (whose .venv has the
programs) instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.support.processes import ROOT

UNITS = ROOT / "deploy" / "systemd"
SERVICES = sorted(p.name for p in UNITS.glob("*.service"))


def test_systemd_accepts_every_unit(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: apt-get install -y systemd")
    for unit in UNITS.iterdir():
        text = unit.read_text().replace("/opt/accounts/", f"{ROOT}/")
        (tmp_path / unit.name).write_text(text)
    # A template unit is checked through an instance of it.
    names = [
        name.replace("@.service", "@8001.service")
        for name in sorted(p.name for p in UNITS.iterdir())
    ]

    result = subprocess.run(
        [analyze, "verify", "--man=no", *(f"./{name}" for name in names)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )

    # It exits 0 on unknown keys too, and says so: any word is a defect.
    assert result.returncode == 0
    assert result.stdout + result.stderr == ""


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_is_sandboxed(name):
    text = (UNITS / name).read_text()
    settings = dict(re.findall(r"^(\w+)=(.*)$", text, re.MULTILINE))

    assert settings["NoNewPrivileges"] == "yes"
    assert settings["ProtectSystem"] == "strict"
    if name != "accounts-nginx.service":  # starts as root to bind 443, then drops
        assert settings["User"] == "accounts"
