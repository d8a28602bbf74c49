"""Load on the public pages (issue 18): anonymous visitors, no login, waiting 0.5 to 2 s between requests: mostly
the page of a région, sometimes another year, the list of régions or the open-data CSV (bench/public_page.py)."""

import random
import re

from locust import HttpUser, between, task


class PublicVisitor(HttpUser):
    wait_time = between(0.5, 2)

    def on_start(self):
        self.client.headers["X-Forwarded-Proto"] = "https"  # gunicorn stands where the TLS proxy would
        index = self.client.get("/public/", name="liste des régions").text
        self.pages = sorted(set(re.findall(r'href="(/public/[^/"]+/\d{4}/)"', index)))
        self.regions = sorted(set(re.findall(r'href="(/public/[^/"]+/)"', index)) - {"/public/"})
        if not self.regions:
            raise RuntimeError("Aucune région publiée : lancez bench/public_page.py publish.")

    @task(10)
    def region(self):
        self.client.get(random.choice(self.regions), name="page d'une région")

    @task(4)
    def year(self):
        self.client.get(random.choice(self.pages), name="page d'une région, une année")

    @task(1)
    def index(self):
        self.client.get("/public/", name="liste des régions")

    @task(1)
    def data(self):
        self.client.get(random.choice(self.pages) + "donnees.csv", name="données ouvertes (CSV)")
