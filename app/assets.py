"""Static files: a content hash in every URL, so browsers may keep them for a year."""

import hashlib
from pathlib import Path

from flask import Flask

ONE_YEAR = 365 * 24 * 3600


def init_app(app: Flask) -> None:
    """Add ``?v=<hash of the file>`` to every ``url_for('static', …)``."""
    if app.config["SEND_FILE_MAX_AGE_DEFAULT"] is None:
        app.config["SEND_FILE_MAX_AGE_DEFAULT"] = ONE_YEAR
    folder = Path(app.static_folder)
    versions: dict[str, str] = {}  # hashed once per worker; in debug mode, on every use

    @app.url_defaults
    def static_version(endpoint: str, values: dict) -> None:
        if endpoint != "static" or "filename" not in values:
            return
        filename = values["filename"]
        if filename not in versions or app.debug:
            try:
                versions[filename] = hashlib.sha256((folder / filename).read_bytes()).hexdigest()[
                    :12
                ]
            except OSError:
                return
        values["v"] = versions[filename]
