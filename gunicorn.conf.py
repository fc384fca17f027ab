"""gunicorn's settings for the portal; gunicorn reads this file from the folder it starts in.

Production (README, "Production deployment") and the load benchmark (``benchmarks/server.py``)
start gunicorn with it; flags on the command line override it.
"""
import gc
import os
import sys

wsgi_app = "wsgi:app"
# One worker per core (requests are Python-bound), a few threads each to overlap database waits.
workers = int(os.environ.get("WEB_CONCURRENCY", os.cpu_count() or 2))
threads = int(os.environ.get("PORTAL_THREADS", "4"))

# How often CPython makes a running thread hand the GIL to a waiting one (default 5 ms). A tap
# on the checklist (a few ms of Python) that arrives while another thread of the same worker
# renders a page waited up to 5 ms for every slice it got; at 1 ms short requests get through
# between a long one's slices (mixed load, benchmarks/RESULTS.md: answer save p95 35 → 28 ms,
# checklist page 140 → 120 ms, the same run length).
SWITCH_INTERVAL = 0.001


def post_worker_init(worker):
    """Set in each worker process, after the app is loaded."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    # The ~220,000 objects of the loaded app (modules, models, forms, translations) live as long
    # as the worker. A full collection walked them all: 105-185 ms with the whole worker stopped,
    # 3-5 times a minute per worker under the mixed load. Frozen, they are left out of every
    # collection (a full one then takes 5-45 ms; mixed load, answer save p95 56/35 → 35/29 ms,
    # p99 350/420 → 220/120 ms in an A/B of 60 s runs). Nothing frozen is ever freed, and
    # nothing needs to be.
    gc.freeze()
