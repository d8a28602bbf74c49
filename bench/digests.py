"""The weekly digests at national volume, and the throughput of the real worker (issue 16).

    python bench/digests.py [--pings 500] [--skip-worker]

Against the seeded national database (bench/run.sh, or any DATABASE_URL). Prints, each with `cat /proc/loadavg`
beside it:

1. the computation of every digest, e-mails rendered and "sent" through Django's dummy mail backend
   (notifications.tasks.send_digests: the queries, the templates, the DigestDelivery rows), in this process:
   - the at-risk digest, worst case: no LotRiskState yet, so every lot at risk "became at risk" (the first
     week after deployment); then the steady state of the following week (same flags, nothing new);
   - the due-dates digest of every facilitator;
   with wall time and peak resident memory of the process (target: all digests under 60 s, memory bounded);
2. the worker (`manage.py db_worker --batch` in a subprocess, the real worker): tasks per second for `--pings`
   trivial tasks (notifications.tasks.ping), then the two digest tasks through the worker.

The demo seeds one buyer contact in all; the bench gives each buyer organisation with a market a contact
(acheteur-<id>@bench.clausier.fr, created once through organisations.services), as a real deployment would have.
Its rows (LotRiskState, DigestDelivery of the "bench-…" periods) are deleted at the end. Never fails on a time.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time

from common import ROOT, fr, setup_django


def load() -> str:
    with open("/proc/loadavg", encoding="ascii") as handle:
        return " ".join(handle.read().split()[:3])


def peak_mb() -> str:
    return fr(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def buyer_contacts() -> int:
    """One contact per buyer organisation with a market (created once)."""
    from django.test import override_settings

    from markets.models import Market
    from organisations import services
    from organisations.models import Membership, Organisation

    buyers = Organisation.objects.filter(kind="buyer", pk__in=Market.objects.values("buyer"))
    missing = buyers.exclude(pk__in=Membership.objects.values("organisation"))
    # Bench accounts nobody logs into: a fast password hash (the real one costs about 0.3 s an account).
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for organisation in missing.iterator():
            email = f"acheteur-{organisation.pk}@bench.clausier.fr"
            services.add_member(organisation=organisation, email=email, role="admin")
    return buyers.count()


def timed_send(label: str, batch, period: str) -> float:
    from notifications.tasks import send_digests

    started = time.monotonic()
    sent = send_digests(batch, period=period)
    elapsed = time.monotonic() - started
    print(
        f"  {label} : {fr(sent)} courriel(s) en {fr(elapsed, 1)} s ; mémoire de pointe {peak_mb()} Mo — charge {load()}"
    )
    return elapsed


def run_worker(env: dict) -> float:
    started = time.monotonic()
    subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay", "--batch", "--interval", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pings", type=int, default=500)
    parser.add_argument("--skip-worker", action="store_true")
    options = parser.parse_args()
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    setup_django()
    from django.conf import settings
    from django.utils import timezone

    from markets.models import Lot
    from notifications import digests
    from notifications.models import DigestDelivery, LotRiskState
    from organisations.models import Membership

    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.dummy.EmailBackend"}}
    today = timezone.localdate()
    buyers = buyer_contacts()
    facilitators = Membership.objects.filter(organisation__kind="facilitation").values("user").distinct().count()
    print(
        f"Volume : {fr(Lot.objects.filter(clause__isnull=False).count())} lots avec clause, {fr(buyers)} acheteurs "
        f"avec un contact, {fr(facilitators)} membres de structures de facilitation ; au {today:%d/%m/%Y}"
    )
    print(f"Mémoire du processus au départ : {peak_mb()} Mo — charge {load()}")
    LotRiskState.objects.all().delete()
    DigestDelivery.objects.filter(period__startswith="bench-").delete()
    total = 0.0
    total += timed_send(
        "lots devenus à risque, première semaine (tous les lots à risque sont nouveaux)",
        digests.at_risk_digests(today=today, period="bench-1"),
        "bench-1",
    )
    at_risk = LotRiskState.objects.filter(at_risk=True).count()
    print(f"    {fr(at_risk)} lots à risque")
    total += timed_send(
        "lots devenus à risque, semaine suivante (rien de nouveau)",
        digests.at_risk_digests(today=today, period="bench-2"),
        "bench-2",
    )
    total += timed_send("échéances des facilitateur·rices", digests.due_dates_digests(today=today), "bench-1")
    print(f"  tous les récapitulatifs : {fr(total, 1)} s (objectif : moins de 60 s) — charge {load()}")

    if not options.skip_worker:
        from notifications.tasks import ping, send_at_risk_digests, send_due_dates_digests

        env = {**os.environ, "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend", "LOG_LEVEL": "ERROR"}
        empty = run_worker(env)
        print(f"Worker (manage.py db_worker --batch) : démarrage et file vide {fr(empty, 2)} s — charge {load()}")
        for number in range(options.pings):
            ping.enqueue(number)
        elapsed = run_worker(env)
        rate = options.pings / max(elapsed - empty, 1e-6)
        print(
            f"  {fr(options.pings)} tâches triviales : {fr(elapsed, 2)} s, soit {fr(rate)} tâches/s hors démarrage "
            f"({fr(options.pings / elapsed)} tâches/s démarrage compris) — charge {load()}"
        )
        LotRiskState.objects.all().delete()
        send_at_risk_digests.enqueue("bench-3")
        elapsed = run_worker(env)
        sent = DigestDelivery.objects.filter(period="bench-3", kind=digests.AT_RISK).count()
        print(
            f"  tâche « lots devenus à risque » (pire cas) : {fr(elapsed, 1)} s, {fr(sent)} courriels, "
            f"{fr(1 / elapsed, 3)} tâche/s — charge {load()}"
        )
        send_due_dates_digests.enqueue("bench-3")
        elapsed = run_worker(env)
        sent = DigestDelivery.objects.filter(period="bench-3", kind=digests.DUE_DATES).count()
        print(
            f"  tâche « échéances » : {fr(elapsed, 1)} s, {fr(sent)} courriels, {fr(1 / elapsed, 3)} tâche/s "
            f"— charge {load()}"
        )
    LotRiskState.objects.all().delete()
    DigestDelivery.objects.filter(period__startswith="bench-").delete()


if __name__ == "__main__":
    main()
