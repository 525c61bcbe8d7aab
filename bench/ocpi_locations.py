"""OCPI locations crawl: 50,000 locations (100,000 EVSEs) of several CPO parties, crawled by Link.

    .venv/bin/python bench/ocpi_locations.py [--locations 50000] [--limit 1000]

A partner (tests/ocpi_peer/crawl.py, the strict eMSP client) GETs the locations endpoint with ``limit`` and then
follows nothing but the server's ``Link`` header to the end, reading every page completely. Printed per server:
p50/p95/max per page, the whole crawl's time, locations per second, and the server process's RSS (sampled every
20 ms during the crawl: before the first page, the highest, after the last page).

Servers measured in the same run:
- ``extrawest-ocpi``: extrawest-ocpi 2025.7.16 as a CPO in its own virtualenv and process (the peer of
  tests/ocpi_peer, ``--role CPO``), serving the locations of ``tests.ocpi_peer.locations.ocpi_locations`` from an
  in-memory store; extrawest puts no cap on ``limit``, so it serves the page size asked for. Its Link header is
  repaired on the way out (tests/ocpi_peer/README.md, "Pagination"), nothing else.
- ``csms``: ``csms serve`` in a subprocess on a fresh PostgreSQL database (``--database``, dropped and made again)
  seeded with the same locations as csms rows (bench/ocpi_csms_seed.py: one CPO tenant per party, every station
  open to one EMP tenant), crawled by that EMP tenant's registered partner at csms's page cap.

Only figures are printed; nothing is asserted. The crawler shares the machine's cores with the server, as a
partner's crawler on the same host would.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ocpi_csms_seed import recreate_database  # noqa: E402
from tests.ocpi_peer.crawl import Crawl, crawl  # noqa: E402
from tests.ocpi_peer.peer import start_peer  # noqa: E402
from tests.support import free_port, start_serve, stop_process  # noqa: E402

TOKEN = "bench-partner-token"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (independent of what else the machine runs, unlike wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class RssSampler:
    """The RSS of process ``pid`` every ``interval`` seconds while the block runs, and its CPU time meanwhile."""

    pid: int
    interval: float = 0.02
    samples: list[float] = field(default_factory=list)
    cpu: float = 0.0

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(rss_mb(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self.cpu = -cpu_seconds(self.pid)
        self.samples.append(rss_mb(self.pid))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.samples.append(rss_mb(self.pid))
        self.cpu += cpu_seconds(self.pid)


@dataclass
class Measured:
    server: str
    result: Crawl
    rss: RssSampler


def measure(server: str, pid: int, url: str, token: str, limit: int | None) -> Measured:
    with RssSampler(pid) as rss:
        result = asyncio.run(crawl(url, token, limit=limit, keep_items=False))
    return Measured(server, result, rss)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def report(results: list[Measured], expected: int) -> None:
    print(f"{'server':<16} {'pages':>6} {'X-Limit':>8} {'locations':>10} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'crawl s':>8} {'loc/s':>7} {'server CPU s':>12} {'RSS MB before / max / after':>30}")  # fmt: skip
    for m in results:
        crawled = m.result
        pages = [p.seconds * 1000 for p in crawled.pages] or [0.0]
        limit = crawled.pages[0].limit if crawled.pages else "-"
        rss = f"{m.rss.samples[0]:.0f} / {max(m.rss.samples):.0f} / {m.rss.samples[-1]:.0f}"
        rate = crawled.count / crawled.seconds if crawled.seconds else 0.0
        print(f"{m.server:<16} {len(crawled.pages):>6} {limit:>8} {crawled.count:>10,} "
              f"{percentile(pages, 0.5):>8.1f} {percentile(pages, 0.95):>8.1f} {max(pages):>8.1f} "
              f"{crawled.seconds:>8.1f} {rate:>7.0f} {m.rss.cpu:>12.1f} {rss:>30}")  # fmt: skip
        if crawled.error or crawled.count != expected:
            print(f"  ! {m.server}: {crawled.count} of {expected} locations; {crawled.error}")
    base = results[0]
    for m in results[1:]:
        print(f"{m.server} crawled {base.result.seconds / m.result.seconds:.1f}x as fast as {base.server} "
              f"({base.rss.cpu / m.rss.cpu:.1f}x less server CPU time)")  # fmt: skip


def run_extrawest(args: argparse.Namespace) -> Measured:
    t0 = time.perf_counter()
    with start_peer(role="CPO", party_id="EXW", tokens=(TOKEN,), locations=args.locations, record=False,
                    log_level="warning", startup_timeout=600) as peer:  # fmt: skip
        print(f"extrawest-ocpi: started with {args.locations:,} locations in {time.perf_counter() - t0:.1f} s",
              flush=True)  # fmt: skip
        return measure("extrawest-ocpi", peer.pid, f"{peer.base_url}/ocpi/cpo/2.2.1/locations/", TOKEN, args.limit)


def run_csms(args: argparse.Namespace) -> Measured:
    import subprocess

    env = {**os.environ, "DATABASE_URL": args.database}
    t0 = time.perf_counter()
    asyncio.run(recreate_database(args.database))
    seeded = subprocess.run(
        [sys.executable, "-c", f"import asyncio, sys; sys.path.insert(0, {str(ROOT)!r}); "
         f"from bench.ocpi_csms_seed import seed; asyncio.run(seed({args.locations}, {TOKEN!r}))"],
        env=env, cwd=ROOT, check=False,
    )  # fmt: skip
    if seeded.returncode:
        raise SystemExit("csms: seeding failed")
    port = free_port()
    proc = start_serve({**env, "PUBLIC_URL": f"http://127.0.0.1:{port}"}, port, start_within=120)
    try:
        print(f"csms: seeded {args.locations:,} locations and started in {time.perf_counter() - t0:.1f} s", flush=True)
        return measure("csms", proc.pid, f"http://127.0.0.1:{port}/ocpi/2.2.1/locations", TOKEN, args.limit)
    finally:
        stop_process(proc)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--locations", type=int, default=50_000)
    parser.add_argument("--limit", type=int, default=1000, help="the page size the crawler asks for")
    parser.add_argument("--database", default="postgresql://postgres@127.0.0.1:5432/csms_bench_ocpi",
                        help="csms's database: dropped and made again")  # fmt: skip
    parser.add_argument("--only", choices=("csms", "extrawest"), help="measure one server only")
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    results = [] if args.only == "csms" else [run_extrawest(args)]
    if args.only != "extrawest":
        results.append(run_csms(args))
    report(results, args.locations)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
