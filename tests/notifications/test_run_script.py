"""`make run` (scripts/run.sh): the development server and one worker start together; Ctrl-C stops both."""

import os
import signal
import subprocess
import time
import urllib.request

import pytest

from tests.notifications.conftest import ROOT, free_port, worker_environment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def group_members(group: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.getpgid(int(entry)) == group:
                    members.append(int(entry))
            except ProcessLookupError:
                continue
    return members


def test_make_run_starts_the_server_and_a_worker_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    env = {**worker_environment(), "DEBUG": "1", "PORT": str(port), "PY": ".venv/bin/python"}
    log = tmp_path / "run.log"

    with log.open("w") as output:
        script = subprocess.Popen(  # noqa: S603 (our own script)
            [str(ROOT / "scripts" / "run.sh")],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    worker_group = None
    try:
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline and (status != 200 or "Starting worker" not in log.read_text()):
            time.sleep(0.2)
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/compte/connexion/", timeout=2).status
            except OSError:
                status = None
        text = log.read_text()
        assert status == 200, text
        assert "Starting worker" in text and "Worker des tâches de fond démarré" in text, text
        worker_group = int(text.split("(pid ", 1)[1].split(")", 1)[0])
        assert group_members(worker_group), "le worker n'est pas démarré"
        os.killpg(script.pid, signal.SIGINT)  # Ctrl-C reaches the terminal's foreground group: script and server
        script.wait(timeout=15)
        deadline = time.monotonic() + 10
        while (group_members(worker_group) or group_members(script.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert group_members(worker_group) == []  # the worker and its reloader's child
        assert group_members(script.pid) == []  # the server and its reloader's child
    finally:
        for group in (script.pid, worker_group):
            if group and group_members(group):
                os.killpg(group, signal.SIGKILL)
