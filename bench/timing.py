"""The one timing loop every benchmark uses: interleaved rounds, best time kept.

Interleaving means load on the shared machine hits all variants alike; the best
of several rounds is the least disturbed measurement of each.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_of(fns: dict[str, Callable[[], Any]], repeats: int, *, warm_up: bool = True) -> dict[str, tuple[float, Any]]:
    """Optionally warm each up once, then ``repeats`` interleaved rounds; per variant the best time (s) and a result.

    Each run starts from the same heap: the variant's previous result is dropped and
    garbage collected first, so no variant pays for collecting another's leftovers.
    """
    results = {name: fn() for name, fn in fns.items()} if warm_up else {}
    best = dict.fromkeys(fns, float("inf"))
    for _ in range(repeats):
        for name, fn in fns.items():
            results[name] = None
            gc.collect()
            t0 = time.perf_counter()
            results[name] = fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return {name: (best[name], results[name]) for name in fns}
