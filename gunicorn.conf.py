"""Gunicorn settings for `make run`; every value can be overridden from the environment."""

import os

bind = f"127.0.0.1:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
