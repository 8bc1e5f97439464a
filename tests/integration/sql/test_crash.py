"""Crash safety: a process killed with SIGKILL in the middle of a unit of work leaves all of it or none of it.

The child writes the case, the history and the outbox rows of one command, tells the parent through a pipe and
sleeps before committing; the parent kills it. A second child commits in a tight loop and is killed at an
arbitrary moment (possibly inside a commit). Afterwards every committed command is there completely (case version,
history row, outbox row), nothing else is, and another process can write.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from uuid import UUID

import sqlkit
from sqlkit import AT, database, sql_uow

SPAWN = multiprocessing.get_context("spawn")


def consistent(url: str, case_id: UUID) -> int:
    """Assert case, history and outbox agree on every command of the case; return its version."""
    with database(url) as db:
        version = sqlkit.stored_version(db, case_id)
        assert sqlkit.history_versions(db, case_id) == list(range(1, version + 1))
        assert sqlkit.outbox_versions(db, case_id) == list(range(1, version + 1))
        uow = sql_uow(db)
        with uow:
            case = uow.cases.get(case_id)
            assert case.version == version
            assert [e.version for e in uow.history(case_id)] == list(range(1, version + 1))
        return version


def still_writable(url: str, case_id: UUID) -> None:
    """Another process (this one, a fresh engine) can write after the crash."""
    before = consistent(url, case_id)
    with database(url) as db:
        service = sqlkit.service_on(sql_uow(db))
        assert service.classify(case_id, "medium", actor="survivor", at=AT).version == before + 1
    assert consistent(url, case_id) == before + 1


def kill(proc: multiprocessing.process.BaseProcess) -> None:
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(30)
    assert proc.exitcode == -signal.SIGKILL


def test_kill_before_commit_leaves_nothing(sql_url: str) -> None:
    with database(sql_url) as db:
        case = sqlkit.receive_case(sqlkit.service_on(sql_uow(db)))
    receiver, sender = SPAWN.Pipe(duplex=False)
    proc = SPAWN.Process(target=sqlkit.hold_uncommitted, args=(sql_url, str(case.case_id), sender))
    proc.start()
    try:
        assert receiver.poll(60), "the child never reached its commit"
        what, (version, history, outbox) = receiver.recv()
        # inside its transaction the child had written all three
        assert (what, version, history, outbox) == ("written", 2, 2, 2)
    finally:
        kill(proc)
    assert consistent(sql_url, case.case_id) == 1, "an uncommitted command survived the crash"
    still_writable(sql_url, case.case_id)


def test_kill_while_committing_keeps_whole_commands(sql_url: str) -> None:
    with database(sql_url) as db:
        case = sqlkit.receive_case(sqlkit.service_on(sql_uow(db)))
    receiver, sender = SPAWN.Pipe(duplex=False)
    proc = SPAWN.Process(target=sqlkit.commit_in_a_loop, args=(sql_url, str(case.case_id), sender))
    proc.start()
    last = 0
    try:
        while last < 40:  # let it commit for a while, then kill it wherever it is
            assert receiver.poll(60), "the child stopped committing"
            last = receiver.recv()
    finally:
        kill(proc)
    while receiver.poll(0):
        last = receiver.recv()
    version = consistent(sql_url, case.case_id)
    assert version >= last, "a reported commit was lost"
    assert version <= last + 1, "more than the one in-flight command appeared"
    still_writable(sql_url, case.case_id)
