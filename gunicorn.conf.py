"""gunicorn settings for quiz_app: `gunicorn -c gunicorn.conf.py` (see README, 生产部署).

Worker class and count were chosen from bench/load.py runs on a 2-core machine (bench/RESULTS.md):
gthread workers, 2 per core, 4 threads each. Why not sync: a sync worker holds one request at a
time, so a password hash (~50-170 ms of CPU) or a slow database round trip blocks that worker
entirely, and at 9:00 every sync worker is hashing while saves queue behind them. Threads let a
worker overlap database waits (most of a save is waiting on PostgreSQL) and, with the sign-in
admission limit (QUIZ_SIGNIN_MAX_IN_FLIGHT per worker), keep some threads for the quiz while
others hash. Every value can be overridden from the environment without editing this file.
"""

import os

cores = os.cpu_count() or 1
bind = os.environ.get("QUIZ_BIND", "127.0.0.1:8000")
wsgi_app = "quiz_app:create_app()"
worker_class = os.environ.get("QUIZ_WORKER_CLASS", "gthread")
workers = int(os.environ.get("QUIZ_WORKERS", str(2 * cores)))
threads = int(os.environ.get("QUIZ_THREADS", "4"))
# Sign-ins hashing at once on this machine, over all workers: half the cores, so the quiz always
# keeps the other half at 9:00. The rest wait their turn (QUIZ_SIGNIN_QUEUE_SECONDS), then 503.
signin_in_flight = int(os.environ.get("QUIZ_SIGNIN_MAX_IN_FLIGHT_NODE", str(max(1, cores // 2))))


def on_starting(server):  # the master, before it forks the workers
    from quiz_app.web import admission

    admission.share_between_workers(signin_in_flight)


# A request that takes longer is a bug or a stuck database; the page retries saves by itself.
timeout = 30
graceful_timeout = 30
keepalive = 15  # phones reuse the connection between saves (think time ~5 s)
backlog = 2048  # a 9:00 burst waits in the kernel's queue rather than being refused
# Each worker opens its own database connections after the fork (no preload).
preload_app = False
# quiz_app logs one line per request itself (request id, user, route, status, ms).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("QUIZ_LOG_LEVEL", "info")
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "quiz_app": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}
