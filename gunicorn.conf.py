"""gunicorn settings for ``gunicorn 'service:create_app()'``; each can be overridden by env."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Requests spend most of their time waiting on MariaDB, so threads are cheap concurrency;
# a few processes keep one slow request from holding up a whole worker.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() * 2, 4)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 10
keepalive = 5
# Build the app once before forking: every worker shares one configuration (and SECRET_KEY);
# database pools are created lazily inside each worker.
preload_app = True
accesslog = "-"
errorlog = "-"
# The longest request line gunicorn accepts: above the app's own limit (MAX_URL_LENGTH, answered
# 414 problem+json), so only lines no client of this API sends get gunicorn's plain 414 (a front
# proxy should refuse those first).
limit_request_line = 8190
