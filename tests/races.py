"""Real concurrency for race tests: threads released together, each with its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connection


def race(work: Callable[[int], object], threads: int, *, join_timeout: float = 120) -> list[object]:
    """Run ``work(i)`` in ``threads`` threads released together; return results or exceptions."""
    barrier = threading.Barrier(threads)
    results: list[object] = [None] * threads

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = work(i)
        except Exception as exc:  # collected and asserted on by the test
            results[i] = exc
        finally:
            connection.close()  # each thread has its own connection; leave none open

    workers = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=join_timeout)
    assert not any(w.is_alive() for w in workers), "a racing thread hung"
    return results
