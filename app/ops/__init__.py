"""Operating the site: the health check, metrics, request logs, backups and ``status``.

``routes.py`` is ``/healthz``; ``metrics.py`` is ``/metrics`` and what it counts;
``figures.py`` the inbox and outbox figures that ``/metrics`` and ``status`` read;
``logs.py`` the request log lines; ``backup.py`` the ``backup`` and ``restore`` commands;
``schema.py`` which migration a database is at; ``status.py`` the ``status`` command.
"""

from flask import Flask

from app.ops import backup, logs, metrics, status


def init_app(app: Flask) -> None:
    """Serve /metrics, log every request, and register the operator's commands."""
    logs.init_app(app)
    metrics.init_app(app)
    app.cli.add_command(backup.backup_command)
    app.cli.add_command(backup.restore_command)
    app.cli.add_command(status.status_command)
