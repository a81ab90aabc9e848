"""WSGI entry point for gunicorn: `gunicorn wsgi:app`."""

from ecampus import create_app

app = create_app()
