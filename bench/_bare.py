"""The floor that bench/serve.py compares pages with: a bare Flask page doing two queries.

Served by gunicorn as `bench._bare:app` on the same database as the E-Campus app under test.
"""

from __future__ import annotations

import os

from flask import Flask
from sqlalchemy import create_engine, text

app = Flask(__name__)
engine = create_engine(os.environ["DATABASE_URL"])


@app.route("/bare")
def bare():
    with engine.connect() as connection:
        course = connection.execute(
            text("SELECT id, slug FROM courses ORDER BY id LIMIT 1")).first()
        modules = connection.execute(text("SELECT slug FROM modules WHERE course_id = :id"),
                                     {"id": course.id}).scalars().all()
    return f"<!doctype html><title>{course.slug}</title><p>{len(modules)} modules</p>"
