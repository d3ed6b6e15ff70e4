"""The framework's ceiling: the smallest Flask app, served like the portal in the benchmark."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """Answer with a short text and do nothing else."""
    return "Hello, World!"
