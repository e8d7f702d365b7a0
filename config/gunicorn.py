"""Gunicorn settings: `gunicorn -c config/gunicorn.py --bind HOST:PORT` (as `make run` does).

WEB_CONCURRENCY  worker processes; default 2 × cores + 1, at most 9
"""

import os

wsgi_app = "config.wsgi:application"

workers = int(os.environ.get("WEB_CONCURRENCY") or min(2 * (os.cpu_count() or 1) + 1, 9))

# Threaded workers, one request at a time each (as sync workers): their main thread
# tells gunicorn they are alive while a request runs, so the timeout (30 s) stops a
# hung worker, not a long streamed response (the NDJSON export of a large database,
# which a sync worker is killed in the middle of).
worker_class = "gthread"
threads = 1

# Gunicorn answers a request line longer than its limit (at most 8190 bytes) with a
# plain-text 400 of its own. With no limit the request reaches Django, which answers
# with the API's JSON error (a statement too long for a query string is a 400 that
# says so). Bound request sizes at the proxy in front, as with any large body.
limit_request_line = 0
# Long Authorization headers and cookies still fit; gunicorn reads 0 as its 8190 default.
limit_request_field_size = 65536

# Django logs one structured line per request (see LOGGING in config/settings.py);
# gunicorn keeps its own error log on stderr.
accesslog = None
errorlog = "-"

# Gunicorn 25+ opens a control socket at one per-user path; several servers on one
# machine (other checkouts, the tests' servers) would take it from each other.
control_socket_disable = True


def post_worker_init(worker):
    """Each worker loads the lookup's model and vectors before it takes a request.

    Only where the app served has the lookup: the bench's floor (bench/floor.py) is
    served with this file too, with no app of the project installed.
    """
    from django.apps import apps

    if apps.is_installed("lookup"):
        from lookup.index import load_at_start

        load_at_start()
