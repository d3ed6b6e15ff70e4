"""Gunicorn settings for `make run` and deployments; the environment can override them."""

import os

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Each worker builds its own app and database engine after the fork: no connection pool is
# ever shared between processes (so no preload_app).
preload_app = False
timeout = 30  # a worker stuck for 30 s is restarted
graceful_timeout = 20
keepalive = 5
max_requests = 5000  # recycle workers now and then, so slow leaks cannot build up
max_requests_jitter = 500
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'
errorlog = "-"
