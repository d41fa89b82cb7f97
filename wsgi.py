"""WSGI entry point: `flask --app wsgi ...` and `gunicorn wsgi:app`."""
import gc

from kinerja_admin import create_app

app = create_app()
# Everything built at startup (views, mappers, templates, translations) lives as long as the worker:
# move it out of the garbage collector's reach, so that full collections during requests only walk
# the objects of requests (a full pass over the startup heap cost 100-170 ms per pause).
gc.freeze()
