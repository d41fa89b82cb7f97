"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""
from kinerja_admin import create_app

app = create_app()
