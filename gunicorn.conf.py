"""gunicorn settings of the documented production setup; gunicorn reads ./gunicorn.conf.py by itself
when started from the project folder (`gunicorn wsgi:app`), command-line flags override it.

- Workers: WEB_CONCURRENCY (default 4), bound to KINERJA_BIND (default 127.0.0.1:8000, behind the
  TLS-terminating proxy).
- No `Server: gunicorn/<version>` banner: gunicorn has no setting for it, so its response's
  default header list is filtered here, before the workers fork.
- Refuses to start a production server with several workers on `memory://` rate-limit storage
  (each worker would count on its own: 4 workers accept 4x every limit); the app itself refuses
  memory:// in production unless KINERJA_SINGLE_WORKER=1, and this hook catches that flag set
  while starting more than one worker.
"""
import os

from gunicorn.http import wsgi as _gunicorn_wsgi

bind = os.environ.get("KINERJA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
timeout = 60
# X-Forwarded-* are trusted by the app through KINERJA_PROXY_HOPS (werkzeug ProxyFix), not here.
forwarded_allow_ips = "127.0.0.1"

_default_headers = _gunicorn_wsgi.Response.default_headers


def _headers_without_banner(self):
    return [h for h in _default_headers(self) if not h.lower().startswith("server:")]


_gunicorn_wsgi.Response.default_headers = _headers_without_banner


def on_starting(server):
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    production = os.environ.get("KINERJA_ENV", "development") == "production"
    if storage.startswith("memory://") and server.cfg.workers > 1:
        message = (f"RATELIMIT_STORAGE_URI=memory:// with {server.cfg.workers} workers: every worker counts "
                   "rate limits, login throttles and survey bursts on its own. Set RATELIMIT_STORAGE_URI="
                   "redis://... (shared) or run one worker.")
        if production:
            raise RuntimeError(message)
        server.log.warning(message)
