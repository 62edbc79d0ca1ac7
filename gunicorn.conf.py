"""gunicorn settings for ``gunicorn 'service:create_app()'``; each can be overridden by env."""

import atexit
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Requests spend most of their time waiting on MariaDB, so threads are cheap concurrency;
# a few processes keep one slow request from holding up a whole worker.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2, 4)))
# The app reads it too: rate limits kept in memory are divided by the number of workers.
os.environ["WEB_CONCURRENCY"] = str(workers)
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
# On SIGTERM, or on SIGHUP (a reload replaces the workers), a worker stops accepting and lets
# the requests it has started finish for up to this long (requests are bounded well below it).
graceful_timeout = 25
keepalive = 5
# gunicorn 24+'s control socket (in $HOME) is not used; systemd and signals manage the service.
control_socket_disable = True
# Build the app once before forking: every worker shares one configuration (and SECRET_KEY);
# database pools are created lazily inside each worker.
preload_app = True

# The app logs one JSON line per request itself (service/observability.py), without the query
# string that gunicorn's access line would carry (phone numbers are looked up in it): gunicorn's
# access logger is silenced.
accesslog = None
errorlog = "-"
# The longest request line gunicorn accepts: above the app's own limit (MAX_URL_LENGTH, answered
# 414 problem+json), so only lines no client of this API sends get gunicorn's plain 414 (a front
# proxy should refuse those first).
limit_request_line = 8190
# As many header fields as nginx (deploy/) passes on within its 32 KB of headers: a request it
# accepted is answered by the app, never by gunicorn's HTML "too many headers" page.
limit_request_fields = 10000
# gunicorn's own lines (start, worker boot and exit) and the app's, on stderr in one format:
# JSON, or text with LOG_FORMAT=text.
logconfig_dict = {
    "root": {"level": "INFO", "handlers": ["error_console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "CRITICAL", "handlers": [], "propagate": False},
    },
    "formatters": {
        "generic": {
            "()": "service.logs.formatter",
            "log_format": os.environ.get("LOG_FORMAT", "json").lower(),
        }
    },
}

# Prometheus multiprocess mode: every worker writes its metrics to files in this directory and
# /metrics adds them up. It must be set before the app (and prometheus_client) is imported.
# Without one given (systemd gives /run/loyalty-api/metrics), a private one is made and removed
# when the master exits, however it exits (workers, forked from it, leave it alone).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _own_metrics_dir = tempfile.mkdtemp(prefix="loyalty-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _own_metrics_dir
    _master_pid = os.getpid()
    atexit.register(
        lambda: os.getpid() == _master_pid and shutil.rmtree(_own_metrics_dir, ignore_errors=True)
    )


def on_starting(server):
    # Values left by an earlier run would be added to this one's.
    directory = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
