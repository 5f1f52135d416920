"""How the benchmarks time a short call: in a loop, as timeit does.

Timing one call of a millisecond right after ``gc.collect()`` measures the caches the
collection has just emptied as much as the call; an engine that runs more of its own
code pays more for that. So a run is a loop of calls lasting about ``RUN_SECONDS``
(one call where one call is longer), and a time is CPU seconds per call.
"""

from __future__ import annotations

import time

clock = time.process_time
RUN_SECONDS = 0.05


def calls_per_run(work, run_seconds: float = RUN_SECONDS) -> int:
    """How many calls of ``work`` make a run of about ``run_seconds`` (it calls ``work``
    twice: once to warm up, once to measure)."""
    work()
    start = clock()
    work()
    return max(1, round(run_seconds / max(clock() - start, 1e-6)))


def seconds_per_call(work, calls: int) -> float:
    """CPU seconds per call of ``work``, over one run of ``calls`` calls."""
    start = clock()
    for _ in range(calls):
        work()
    return (clock() - start) / calls
