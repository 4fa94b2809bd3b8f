"""WSGI entry point for gunicorn: `gunicorn intake.wsgi:app`."""

from intake import create_app

app = create_app()
