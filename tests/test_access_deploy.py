"""`manage.py check --deploy` with production settings (DJANGO_DEBUG=0, DJANGO_SECURE=1, a long secret key): no
warning. Without DJANGO_SECURE the four HTTPS warnings are expected: the contract serves plain HTTP then."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from tests.reliability.figures import figure, record

ROOT = Path(__file__).resolve().parent.parent
HTTPS_ONLY = {"security.W004", "security.W008", "security.W012", "security.W016"}


def check_deploy(**env) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**base, "DJANGO_SETTINGS_MODULE": "ielts_site.settings", "DJANGO_DEBUG": "0",
             "DJANGO_SECRET_KEY": secrets.token_urlsafe(64), "DJANGO_ALLOWED_HOSTS": "ielts.example.com", **env},
    )  # fmt: skip


def test_check_deploy_is_clean_with_production_settings():
    secure = check_deploy(DJANGO_SECURE="1")
    plain = check_deploy(DJANGO_SECURE="0")
    plain_ids = {word.strip("():") for word in plain.stderr.split() if word.strip("():").startswith("security.")}
    record(
        "check_deploy",
        title="`manage.py check --deploy` (DJANGO_DEBUG=0, DJANGO_SECURE=1, a 64-byte secret key)",
        unit="checks", tried=1, survived=int(secure.returncode == 0), lost=int(secure.returncode != 0),
        figures=[
            figure("warnings with DJANGO_SECURE=1", 0 if secure.returncode == 0 else secure.stderr.count("security."),
                   "0", secure.returncode == 0),  # fmt: skip
            figure("warnings with DJANGO_SECURE=0 (plain HTTP, as the contract allows)",
                   ", ".join(sorted(plain_ids)) or "none", "only the HTTPS ones (W004, W008, W012, W016)",
                   plain_ids <= HTTPS_ONLY),  # fmt: skip
        ],
    )  # fmt: skip
    assert secure.returncode == 0, secure.stdout + secure.stderr
    assert "no issues" in secure.stdout
    assert plain_ids <= HTTPS_ONLY, plain.stderr
