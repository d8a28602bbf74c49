"""The files of a history import between its preview and its confirmation (beneficiaries.history_views).

A workbook of five years of people, contracts and hours does not belong in a session, nor in a host's temporary
folder: it is written to the private storage `storages["exports"]` (never served by the web server, shared by the
hosts and the worker, see config/settings.py), under an unguessable token, and read back at the confirmation. The
confirmation or a new upload deletes it; a preview left without an answer (« Annuler » only leaves the page) is
deleted by the hourly job `prune_history_uploads` once PENDING_KEEP has passed, so that no person's data lingers
on disk.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.tasks import task
from django.utils import timezone

FOLDER = "history-imports"
# How long a preview waits for its confirmation (the preview page says so).
PENDING_KEEP = timedelta(hours=6)


def _storage():
    return storages["exports"]


def _name(token: str, index: int) -> str:
    return f"{FOLDER}/{token}-{index}"


def keep(files: list[tuple[str, bytes]]) -> dict:
    """Write the files; returns what the session keeps to find and check them (token, names, digests)."""
    token = secrets.token_hex(16)
    storage = _storage()
    for index, (_filename, data) in enumerate(files):
        storage.save(_name(token, index), ContentFile(data))
    return {
        "token": token,
        "names": [filename for filename, _data in files],
        "digests": [hashlib.sha256(data).hexdigest() for _filename, data in files],
    }


def read(pending: dict) -> list[tuple[str, bytes]] | None:
    """The files kept for `pending`, or None when one is missing (pruned, deleted) or was altered."""
    token = str(pending.get("token", ""))
    if not token.isalnum():
        return None
    storage = _storage()
    files = []
    for index, (filename, digest) in enumerate(zip(pending.get("names", []), pending.get("digests", []), strict=True)):
        name = _name(token, index)
        if not storage.exists(name):
            return None
        with storage.open(name, "rb") as handle:
            data = handle.read()
        if hashlib.sha256(data).hexdigest() != digest:
            return None
        files.append((filename, data))
    return files or None


def discard(pending: dict | None) -> None:
    """Delete the files kept for `pending` (nothing to do when they are already gone)."""
    if not pending or not str(pending.get("token", "")).isalnum():
        return
    storage = _storage()
    for index in range(len(pending.get("names", []))):
        name = _name(pending["token"], index)
        if storage.exists(name):
            storage.delete(name)


def prune_pending(*, now=None) -> int:
    """Delete the kept files older than PENDING_KEEP; returns how many. Running it twice deletes nothing more."""
    storage = _storage()
    if not storage.exists(FOLDER):
        return 0
    limit = (now or timezone.now()) - PENDING_KEEP
    count = 0
    for filename in storage.listdir(FOLDER)[1]:
        name = f"{FOLDER}/{filename}"
        if storage.get_modified_time(name) <= limit:
            storage.delete(name)
            count += 1
    return count


@task()
def prune_history_uploads(period: str) -> int:
    """Hourly (notifications.recurring.JOBS): the files of history imports previewed and never confirmed."""
    return prune_pending()
