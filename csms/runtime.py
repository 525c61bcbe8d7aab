"""Settings of csms's long-running processes (`csms serve`, `csms worker`) that are not the app's."""

from __future__ import annotations

import gc

# CPython collects its youngest generation every 700 allocations and the whole heap often after that. A page of
# 1,000 OCPI locations (about 100,000 short-lived objects) then paid a full collection over the app's 200,000
# long-lived objects on every other page: 250 instead of 130 ms (docs/benchmarks.md, "OCPI locations crawl").
GC_THRESHOLD = (50_000, 20, 100)


def tune_gc() -> None:
    """Objects made while starting up (modules, the app, its routes) leave the collections for good, and the young
    generation is collected after ``GC_THRESHOLD[0]`` allocations: cycles of garbage still go, a little later."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)
