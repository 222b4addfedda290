"""What the page costs the customer: the script's and stylesheet's size as served (minified)
and gzipped (target: 13.5 KB together at most), and the time from the host page's load to
the portal being visible and usable in Chromium (median of runs), and how much the page's
layout shifts until the invoices are in (Core Web Vitals' CLS), against the demo site with
the sandbox behind it.

    python bench/page.py [--runs 15] [--latency 0.0]

Chromium is Debian's, by path (`BILLFLOW_CHROMIUM`, else /usr/bin/chromium). "Usable" is the
portal's first action button enabled, after the portal's data has loaded.
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import time

from playwright.sync_api import sync_playwright

from billflow_core.web.static_files import served, source
from billflow_demo.site import start_demo

# Layout shifts the browser reports, added up as Core Web Vitals' CLS does for one page.
RECORD_SHIFTS = """
window.billflowShifts = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (!entry.hadRecentInput) window.billflowShifts.push(entry.value);
  }
}).observe({type: 'layout-shift', buffered: true});
"""
SETTLED = (
    "() => document.querySelector('.bf-invoice') && [...document.querySelectorAll("
    "'[data-rows]')].every((rows) => rows.getAttribute('aria-busy') === 'false')"
)
# What every page with the portal downloads (embed.d.ts is for developers, never fetched).
DOWNLOADED = ("embed.js", "portal.css")
# The portal's body once the state has loaded, with an action a customer can press.
USABLE = ".bf-body[aria-busy='false'] button:not([disabled])"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]  # fmt: skip


def sizes() -> dict[str, tuple[int, int, int]]:
    """Each downloaded file's size: its source gzipped, as served (minified) and that
    gzipped at level 9, which is what a customer downloads."""
    found = {}
    for name in DOWNLOADED:
        body = served(name)[0]
        found[name] = (len(gzip.compress(source(name), 9)), len(body), len(gzip.compress(body, 9)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--latency", type=float, default=0.0, help="sandbox seconds per answer")
    args = parser.parse_args()

    total = 0
    for name, (source_zipped, plain, zipped) in sizes().items():
        total += zipped
        print(f"{name:<12} {plain:>7} bytes served, {zipped:>6} gzipped "
              f"(source {source_zipped} gzipped)")  # fmt: skip
    print(f"together     {total:>6} bytes gzipped (target <= 13824)")

    demo = start_demo("127.0.0.1", 0, environ={})
    demo.sandbox.latency = args.latency
    chromium = os.environ.get("BILLFLOW_CHROMIUM", "/usr/bin/chromium")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=ARGS)
            timings, shifts = [], []
            for run in range(args.runs + 1):
                context = browser.new_context()  # a cold cache each run, as a first visit
                page = context.new_page()
                page.add_init_script(RECORD_SHIFTS)
                started = time.perf_counter()
                page.goto(demo.url + "/", wait_until="load")
                loaded = time.perf_counter()
                page.wait_for_selector(USABLE, timeout=15_000)
                usable = time.perf_counter()
                page.wait_for_function(SETTLED, timeout=15_000)  # the invoices are in too
                if run:  # the first run warms the catalog cache, as a live site's is
                    timings.append((loaded - started, usable - loaded, usable - started))
                    shifts.append(sum(page.evaluate("() => window.billflowShifts")))
                context.close()
            browser.close()
    finally:
        demo.stop()
    for label, index in (("host page load", 0), ("load → portal usable", 1), ("total", 2)):
        values = [t[index] * 1000 for t in timings]
        print(f"{label:<22} median {statistics.median(values):7.1f} ms   "
              f"max {max(values):7.1f} ms   ({len(values)} runs)")  # fmt: skip
    # Core Web Vitals call under 0.1 good; the portal's own part should be near nothing.
    print(f"{'layout shift (CLS)':<22} median {statistics.median(shifts):7.4f}      "
          f"max {max(shifts):7.4f}      (the page's, until the invoices are in)")  # fmt: skip


if __name__ == "__main__":
    main()
