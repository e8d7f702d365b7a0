"""Structured logs: one line per request, every log line one JSON object."""

import json
import logging
import time
from datetime import UTC, datetime

logger = logging.getLogger("claimbase.requests")

# The attributes every LogRecord has; anything else on a record was passed in `extra`.
RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object: time, level, logger, message and its `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(
            (key, value) for key, value in vars(record).items() if key not in RECORD_ATTRIBUTES
        )
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestLogMiddleware:
    """Log each request once, when its response is ready: method, path, status, duration, client.

    The client address is the one the throttles count (see DJANGO_TRUSTED_PROXIES).
    """

    def __init__(self, get_response):
        from rest_framework.throttling import BaseThrottle

        self.get_response = get_response
        self.client_address = BaseThrottle().get_ident

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        status = response.status_code
        level = (
            logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
        )
        logger.log(
            level,
            "%s %s %s",
            request.method,
            request.path,
            status,
            extra={
                "method": request.method,
                "path": request.path,
                "status": status,
                "duration_ms": duration_ms,
                "client": self.client_address(request),
            },
        )
        return response
