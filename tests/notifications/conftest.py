"""A real SMTP server (aiosmtpd) for the whole session, and the real task worker run in a subprocess."""

import email
import os
import socket
import subprocess
import sys
from email import policy
from pathlib import Path
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller

# The company, its lot, its employee and its contact of the company portal's tests (reminders, declaration e-mails).
from tests.companies.conftest import contact, employee, holder, lot, second_employee  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]


class Inbox:
    """What the SMTP server received, parsed (email.message.EmailMessage)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller
    controller.stop()


@pytest.fixture
def smtp_inbox(smtp_server, settings):
    """An empty inbox, and the settings of this process sending to it by SMTP."""
    smtp_server.handler.messages.clear()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": smtp_server.hostname, "port": smtp_server.port, "use_tls": False, "timeout": 5},
        }
    }
    return smtp_server.handler.messages


def database_url() -> str:
    from django.db import connection

    data = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{data['NAME']}"
    credentials = quote(data["USER"] or "", safe="")
    if data["PASSWORD"]:
        credentials += ":" + quote(data["PASSWORD"], safe="")
    return f"postgres://{credentials}@{data['HOST'] or '127.0.0.1'}:{data['PORT'] or 5432}/{data['NAME']}"


def worker_environment(smtp_server=None) -> dict:
    from django.conf import settings

    env = {key: value for key, value in os.environ.items() if not key.startswith(("EMAIL_", "REPORTING_DATABASE"))}
    env.update(
        DATABASE_URL=database_url(),
        DEBUG="0",
        SECRET_KEY=settings.SECRET_KEY,
        SITE_URL=settings.SITE_URL,
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
    )
    if smtp_server is not None:
        env.update(EMAIL_HOST=smtp_server.hostname, EMAIL_PORT=str(smtp_server.port), EMAIL_USE_TLS="0")
    return env


def worker_command(*options: str) -> list[str]:
    return [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", *options]


@pytest.fixture
def run_worker(smtp_server):
    """Run the real worker once over the tasks ready now (`db_worker --batch`) and return its output."""

    def run() -> subprocess.CompletedProcess:
        done = subprocess.run(  # noqa: S603 (our own command)
            worker_command("--batch", "--interval", "0"),
            cwd=ROOT,
            env=worker_environment(smtp_server),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done

    return run
