import multiprocessing as mp
import time

import pytest

from salesplan.locks import LockBusyError, exclusive_lock


def _hold(path, ready, seconds):
    with exclusive_lock(path, purpose="re-plan as-of 2026-11"):
        ready.set()
        time.sleep(seconds)


def test_a_second_holder_fails_with_the_first_holders_purpose(tmp_path):
    lock = tmp_path / "warehouse.lock"
    ready = mp.get_context("fork").Event()
    holder = mp.get_context("fork").Process(target=_hold, args=(lock, ready, 2.0))
    holder.start()
    try:
        assert ready.wait(10)
        with (
            pytest.raises(LockBusyError, match=r"re-plan as-of 2026-11.*--wait"),
            exclusive_lock(lock, purpose="backfill", timeout_s=0.3),
        ):
            pass
    finally:
        holder.join()


def test_the_lock_is_released_when_the_holder_dies(tmp_path):
    lock = tmp_path / "warehouse.lock"
    ready = mp.get_context("fork").Event()
    holder = mp.get_context("fork").Process(target=_hold, args=(lock, ready, 30.0))
    holder.start()
    assert ready.wait(10)
    holder.kill()
    holder.join()
    with exclusive_lock(lock, purpose="next run", timeout_s=2.0):
        assert "next run" in lock.read_text()


def test_a_waiting_holder_gets_the_lock_once_it_is_free(tmp_path):
    lock = tmp_path / "warehouse.lock"
    ready = mp.get_context("fork").Event()
    holder = mp.get_context("fork").Process(target=_hold, args=(lock, ready, 0.5))
    holder.start()
    try:
        assert ready.wait(10)
        started = time.monotonic()
        with exclusive_lock(lock, purpose="second re-plan", timeout_s=10):
            waited = time.monotonic() - started
        assert 0.2 < waited < 10
    finally:
        holder.join()


def test_the_holder_can_take_its_own_lock_again_without_deadlock(tmp_path):
    lock = tmp_path / "warehouse.lock"
    with (
        exclusive_lock(lock, purpose="re-plan"),
        exclusive_lock(lock, purpose="warehouse step", timeout_s=0),
    ):
        pass
    # Released once the outer block ends: another process can take it.
    ready = mp.get_context("fork").Event()
    other = mp.get_context("fork").Process(target=_hold, args=(lock, ready, 0.1))
    other.start()
    assert ready.wait(10)
    other.join()
