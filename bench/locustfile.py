"""Load run: 50 users for 60 s on 127.0.0.1 (make bench runs it headless, see bench/README.md).

Users are the demo accounts, in the mix of a working day: facilitators (work queue, grid, dashboard, API),
buyers (dashboard) and the regional coordinator (dashboard, yearly report, report API). Each user logs in once,
in `on_start` (the password hash is checked once per user, never per request), then waits 0.5 to 2 s between
requests. Any HTTP error or unexpected redirect counts as a failure.

Steady state: the password check of a login is expensive by design (Django's PBKDF2, 1.5 M iterations, about
0.8 s of a core on this machine, see bench/password_hasher.py), and 50 users logging in at once keep the 2 cores
busy for tens of seconds. Every request is also written, with its start time, to LOCUST_REQUESTS_CSV when set;
once every user has logged in, the run goes on for LOCUST_STEADY_SECONDS (default 60) and stops, so that
bench/load_summary.py prints the whole run and the 60 s of work after the last login apart.
"""

import csv
import os
import re
import time
from datetime import date, timedelta

import gevent
from locust import HttpUser, between, events, task

PASSWORD = "clausier-demo-2026"  # noqa: S105 - documented demo password
STEADY_SECONDS = float(os.environ.get("LOCUST_STEADY_SECONDS", "60"))
_log = {"writer": None, "handle": None, "logged_in": 0}


@events.test_start.add_listener
def _open_log(environment, **kwargs):
    path = os.environ.get("LOCUST_REQUESTS_CSV")
    if path:
        _log["handle"] = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115 - closed at test_stop
        _log["writer"] = csv.writer(_log["handle"])
        _log["writer"].writerow(["start", "name", "ms", "failed"])


@events.request.add_listener
def _write_request(name, response_time, exception, start_time=None, **kwargs):
    if _log["writer"] is not None:
        _log["writer"].writerow(
            [f"{start_time or time.time():.3f}", name, f"{response_time:.1f}", int(bool(exception))]
        )


@events.test_stop.add_listener
def _close_log(environment, **kwargs):
    if _log["handle"] is not None:
        _log["handle"].close()
        _log["writer"] = _log["handle"] = None


def _user_logged_in(environment) -> None:
    """The last of the users has logged in: mark the moment, stop the run STEADY_SECONDS later."""
    _log["logged_in"] += 1
    if _log["logged_in"] == environment.parsed_options.num_users:
        if _log["writer"] is not None:
            _log["writer"].writerow([f"{time.time():.3f}", "__all_logged_in__", "0", 0])
        gevent.spawn_later(STEADY_SECONDS, environment.runner.quit)


YEAR = date.today().year - 1
LAST_MONTH = (date.today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


class DemoUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    email = ""

    def on_start(self):
        # gunicorn sits where a TLS proxy would (see bench/pages.py): https as seen by Django.
        self.client.headers["X-Forwarded-Proto"] = "https"
        original = self.client.request

        def request(method, url, *args, **kwargs):
            response = original(method, url, *args, **kwargs)
            for cookie in self.client.cookies:
                cookie.secure = False
            return response

        self.client.request = request
        page = self.client.get("/compte/connexion/", name="connexion (formulaire)")
        token = (
            self.client.cookies.get("csrftoken")
            or re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        )
        with self.client.post(
            "/compte/connexion/",
            data={"username": self.email, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host.replace('http://', 'https://', 1)}/compte/connexion/"},
            allow_redirects=False,
            name="connexion",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"connexion refusée : HTTP {response.status_code}")
        _user_logged_in(self.environment)


class Facilitator(DemoUser):
    weight = 10
    email = "facilitateur@demo.clausier.fr"

    @task(2)
    def work_queue(self):
        self.client.get("/", name="file de travail (accueil)")

    @task(4)
    def grid(self):
        self.client.get(f"/heures/?month={LAST_MONTH}", name="grille mensuelle")

    @task(2)
    def dashboard(self):
        self.client.get(f"/tableau-de-bord/?year={YEAR}", name="tableau de bord structure")

    @task(2)
    def api_hours(self):
        self.client.get(f"/api/v1/hours/?year={YEAR}", name="API heures")

    @task(1)
    def beneficiaries(self):
        self.client.get("/participants/", name="liste des participant·es")


class Buyer(DemoUser):
    weight = 6
    email = "acheteur@demo.clausier.fr"

    @task
    def dashboard(self):
        self.client.get(f"/tableau-de-bord/?year={YEAR}", name="tableau de bord acheteur")


class Coordinator(DemoUser):
    weight = 4
    email = "coordination@demo.clausier.fr"

    @task(3)
    def report(self):
        self.client.get(f"/bilan-annuel/?year={YEAR}", name="bilan annuel coordination")

    @task(1)
    def dashboard(self):
        self.client.get(f"/tableau-de-bord/?year={YEAR}", name="tableau de bord coordination")

    @task(1)
    def api_report(self):
        # Coordination bodies see aggregates only: /api/v1/hours/ is a 404 for them (api.base.PeopleOnlyViewSetMixin).
        self.client.get(f"/api/v1/reports/yearly/?year={YEAR}", name="API bilan annuel (région)")
