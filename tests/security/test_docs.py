"""The deployment guidance exists where the code points to it, and states the security settings' real defaults."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
SECURITY_DOC = ROOT / "docs" / "securite.md"


def test_every_pointer_to_a_document_leads_to_one():
    sources = [*ROOT.glob("scripts/*"), ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("config/*.py")]
    pointers = {
        (source.name, match)
        for source in sources
        if source.is_file()
        for match in re.findall(r"docs/[\w-]+\.md", source.read_text(encoding="utf-8"))
    }
    assert ("backup.sh", "docs/securite.md") in pointers
    missing = sorted(f"{source} → {target}" for source, target in pointers if not (ROOT / target).exists())
    assert not missing, missing


def test_the_security_guide_states_the_throttling_defaults():
    text = SECURITY_DOC.read_text(encoding="utf-8")
    defaults = {
        "AXES_FAILURE_LIMIT": settings.AXES_FAILURE_LIMIT,
        "AXES_IP_FAILURE_LIMIT": settings.AXES_IP_FAILURE_LIMIT,
        "AXES_COOLOFF_MINUTES": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "TRUSTED_PROXY_COUNT": settings.TRUSTED_PROXY_COUNT,
        "PASSWORD_RESET_LIMIT_PER_ADDRESS": settings.PASSWORD_RESET_LIMIT_PER_ADDRESS,
        "PASSWORD_RESET_LIMIT_PER_IP": settings.PASSWORD_RESET_LIMIT_PER_IP,
        "PASSWORD_RESET_WINDOW_MINUTES": settings.PASSWORD_RESET_WINDOW_MINUTES,
    }
    for name, value in defaults.items():
        assert f"| `{name}` | {value} |" in text, name
    for command in ("clearsessions", "anonymise_inactive", "axes_reset_logs", "scripts/backup.sh", "changepassword"):
        assert command in text, command
