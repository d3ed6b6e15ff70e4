"""Gunicorn settings for `make run` and deployments; the environment can override them."""

import os
import shutil
import tempfile
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '5000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Each worker builds its own app and database engine after the fork: no connection pool is
# ever shared between processes (so no preload_app).
preload_app = False
# X-Forwarded-* are believed by the app alone, from as many proxies as FLASK_TRUST_PROXY says
# (werkzeug's ProxyFix). gunicorn itself trusts no address: by default it would take
# X-Forwarded-Proto from 127.0.0.1 even with FLASK_TRUST_PROXY=0, and count a hop twice.
forwarded_allow_ips = ""
timeout = 30  # a worker stuck for 30 s is restarted
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so that slow leaks cannot build up. A new worker costs about
# 0.65 s of CPU (imports, create_app, first templates): every 5,000 requests that was 0.13 ms
# a request, more than half of what a bare Flask request costs in all.
max_requests = 50000
max_requests_jitter = 5000
# The app writes one line per request itself (request id, path without the query string,
# staff id; app/ops/logs.py), so gunicorn's access log stays off. Turned on with
# --access-logfile, it still leaves out query strings, addresses and browsers.
accesslog = None
access_log_format = '"%(m)s %(U)s" %(s)s %(B)s %(M)sms'
errorlog = "-"


def on_starting(server):
    """Give the workers' Prometheus metrics a fresh directory (prometheus-client multiprocess
    mode): a temporary one, or PROMETHEUS_MULTIPROC_DIR emptied of the last run's files."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for old in Path(folder).glob("*.db"):
            old.unlink()
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="portal-metrics-")
        server.made_metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"]


def child_exit(server, worker):
    """A worker that ended no longer counts in the live figures of /metrics."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics directory this server made."""
    made = getattr(server, "made_metrics_dir", None)
    if made:
        shutil.rmtree(made, ignore_errors=True)
