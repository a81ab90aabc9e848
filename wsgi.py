"""WSGI entry point for gunicorn: `gunicorn wsgi:app`. Each worker imports this module, so
each builds the app and gets ready (`ecampus.serving.prepare_worker`) before it serves."""

from ecampus import create_app
from ecampus.serving import prepare_worker

app = create_app()
prepare_worker(app)
