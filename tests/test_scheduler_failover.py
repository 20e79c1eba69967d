"""A real failover on PostgreSQL: two ``run_forever`` processes, the leader frozen with SIGSTOP.

The standby takes over once the leader's heartbeat is older than the lease (3 s here), and the
old leader, woken with SIGCONT, finds its term gone and runs no job: it stands by instead."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from casesys.config import REPO_ROOT
from casesys.extensions import db
from casesys.scheduler.models import SchedulerHeartbeat
from tests.conftest import PG_URL, is_postgres

LEASE = 3.0  # seconds; heartbeats and a standby's looks every 0.75 s

# A scheduler process whose one job appends "pid time" to a file every quarter second.
SCHEDULER = """
import os, sys, time
from casesys import create_app
from casesys.scheduler import runner as scheduler
from tests.conftest import config_for

url, lease, probe = sys.argv[1], float(sys.argv[2]), sys.argv[3]
app = create_app({**config_for(url), "CASESYS_SCHEDULER_LEASE_SECONDS": lease})

def run_probe(now):
    with open(probe, "a") as out:
        out.write(f"{os.getpid()} {time.time()}\\n")

scheduler.JOBS = [scheduler.Job("probe", run_probe, minutes=0.25 / 60)]
scheduler.run_forever(app, echo=lambda line: print(line, flush=True))
"""


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres_only
@pytest.mark.skipif(not is_postgres(), reason="a real failover between processes, on PostgreSQL")
def test_a_frozen_leader_is_replaced_within_the_lease_and_runs_nothing_when_it_wakes(app, tmp_path):
    db.session.rollback()
    probe = tmp_path / "probe.log"
    probe.touch()
    processes: list[subprocess.Popen] = []

    def start(name: str) -> tuple[subprocess.Popen, Path]:
        output = tmp_path / f"{name}.out"
        with output.open("w") as out:
            processes.append(subprocess.Popen([sys.executable, "-c", SCHEDULER, PG_URL, str(LEASE), str(probe)],
                                              cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT))
        return processes[-1], output

    def runs() -> list[tuple[int, float]]:
        return [(int(pid), float(at)) for pid, at in (line.split() for line in probe.read_text().splitlines())]

    def runs_by(process, after: float = 0.0) -> list[float]:
        return [at for pid, at in runs() if pid == process.pid and at > after]

    try:
        started = [start("first"), start("second")]  # one leads, the other stands by
        first_run = wait_for(runs, 20, "a scheduler to lead and run its job")[0][0]
        (leader, leader_output), (standby, standby_output) = sorted(started, key=lambda s: s[0].pid != first_run)
        wait_for(lambda: "standing by" in standby_output.read_text(), 20, "the other scheduler to stand by")
        assert runs_by(standby) == []

        leader.send_signal(signal.SIGSTOP)  # frozen: its process and its database session stay open
        stopped = time.time()
        wait_for(lambda: runs_by(standby), LEASE + 5, "the standby to take over")
        took_over = time.time() - stopped
        assert took_over <= LEASE + LEASE / 4 + 3, took_over  # the lease, one look, and slack for a busy machine
        db.session.rollback()
        holder, term = db.session.execute(select(SchedulerHeartbeat.holder, SchedulerHeartbeat.term)).one()
        db.session.rollback()
        assert f":{standby.pid}:" in holder and term == 2

        leader.send_signal(signal.SIGCONT)  # it wakes up with its jobs overdue
        woke = time.time()
        wait_for(lambda: "lost its lead; standing by" in leader_output.read_text(), 5, "the old leader to stand down")
        wait_for(lambda: runs_by(standby, after=woke + 1), 5, "the new leader to go on")
        assert runs_by(leader, after=stopped) == []  # fenced: not one run after it was frozen
        assert "active (term 1)" in leader_output.read_text() and "active (term 2)" in standby_output.read_text()
    finally:
        for process in processes:
            os.kill(process.pid, signal.SIGCONT)
            process.kill()
            process.wait(timeout=10)
