"""Browser tests: pytest-playwright driving Debian's Chromium (`playwright install` cannot download here).

A missing Chromium is a failure with a clear message, never a skip.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls of the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("CLAUSIER_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
RESULTS = Path(__file__).resolve().parents[2] / "test-results"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).is_file():
        pytest.fail(
            f"Chromium est introuvable ({CHROMIUM}) : installez-le (apt-get install -y chromium) "
            "ou indiquez son chemin dans CLAUSIER_CHROMIUM. Les tests navigateur ne sont jamais ignorés.",
            pytrace=False,
        )
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "fr-FR",
        "timezone_id": "Europe/Paris",
        "viewport": {"width": 1280, "height": 900},
    }


@pytest.fixture
def results_dir():
    RESULTS.mkdir(exist_ok=True)
    return RESULTS


def log_in(page, base, user):
    """Log in through the login page, as a person would."""
    from playwright.sync_api import expect

    from tests.organisations.factories import TEST_PASSWORD

    page.goto(f"{base}/compte/connexion/")
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("navigation", name="Navigation principale")).to_be_visible()
