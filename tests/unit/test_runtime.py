"""csms's processes tune CPython's garbage collector once started (csms.runtime)."""

from __future__ import annotations

import gc

from csms.runtime import GC_THRESHOLD, tune_gc


def test_start_up_objects_are_frozen_and_the_young_generation_is_collected_less_often() -> None:
    saved = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == GC_THRESHOLD
        assert gc.get_freeze_count() > 10_000  # this process's modules and objects so far
    finally:
        gc.unfreeze()
        gc.set_threshold(*saved)
