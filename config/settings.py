"""Claimbase settings, read from the environment with safe development defaults.

DATABASE_URL          default: SQLite file db.sqlite3 in the project root
DATABASE_REPLICA_URLS  comma-separated database URLs of read replicas of DATABASE_URL,
                      aliases replica1, replica2…; reads go to them (api.routers); default: none
DJANGO_DEBUG          default: on (development); set 0/false/off in production
DJANGO_SECRET_KEY     required when DJANGO_DEBUG is off
DJANGO_ALLOWED_HOSTS  comma-separated; default: localhost, 127.0.0.1, [::1]
CLAIMBASE_PUBLIC_READS  default: on; off requires authentication for reads too
DJANGO_THROTTLE_LOOKUP  rate of the fact-checking lookup per client; default 60/minute
REDIS_URL             e.g. redis://127.0.0.1:6379/0: the cache (throttle counters) in Redis,
                      shared by every worker and machine; without it, files in
DJANGO_CACHE_DIR      (default: .cache/), shared by the worker processes of one machine
DJANGO_STATIC_ROOT    where collectstatic puts static files; default: staticfiles/
DJANGO_LOG_LEVEL      default: INFO; logs are JSON lines on stderr, one per request
DJANGO_TRUSTED_PROXIES  proxies in front that append to X-Forwarded-For; default 0 (the
                      header is ignored: throttles and logs count the peer's address)
DJANGO_SECURE_PROXY_SSL_HEADER  trust X-Forwarded-Proto: https; default: on when
                      DJANGO_TRUSTED_PROXIES > 0
DJANGO_CSRF_TRUSTED_ORIGINS  comma-separated origins allowed unsafe requests from
                      elsewhere, e.g. https://claims.example.org
DJANGO_SECURE_SSL_REDIRECT, DJANGO_SECURE_HSTS_SECONDS (default: a year),
DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS, DJANGO_SECURE_HSTS_PRELOAD,
DJANGO_SESSION_COOKIE_SECURE, DJANGO_CSRF_COOKIE_SECURE
                      HTTPS: each on when DJANGO_DEBUG is off, off while debugging; 0 turns
                      one off for a plain-HTTP setup, and check --deploy warns about it
DJANGO_THROTTLE_ANON, DJANGO_THROTTLE_USER  request rates, e.g. 300/minute
CLAIMBASE_REQUIRE_IF_MATCH  default: off; on requires If-Match (an ETag) on every write
DJANGO_SQLITE_TIMEOUT  seconds a SQLite writer waits for the write lock; default 20
DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE  largest request body in bytes; default 6 MiB (6291456)
CLAIMBASE_TOKEN_TTL_DAYS  days an API token lasts unless made otherwise; default 90, 0: forever
CLAIMBASE_PUBLISHER_NAME  who publishes this database: the author of its ClaimReviews
                      (JSON-LD); default: Claimbase
CLAIMBASE_PUBLISHER_URL  that publisher's home page; default: this server's root URL
CLAIMBASE_CORS_ALLOWED_ORIGINS  comma-separated origins (https://app.example.org) whose
                      browser apps may write (POST, PATCH, DELETE); reads are open to any
                      origin; default: none
CLAIMBASE_EMBEDDING_MODEL  the lookup's sentence-embedding model; default:
                      sentence-transformers/all-MiniLM-L6-v2 (installed by the Makefile)
CLAIMBASE_EMBEDDING_MODEL_DIR, CLAIMBASE_EMBEDDING_MODEL_SHA256  another model's folder and
                      the SHA-256 of its model.safetensors (checked at load)
"""

from datetime import timedelta
from os import environ
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    value = environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in environ.get(name, default).split(",") if item.strip()]


DEBUG = env_flag("DJANGO_DEBUG", default=True)

SECRET_KEY = environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")

# HTTPS, on in production (check --deploy is clean); each can be turned off for a
# plain-HTTP setup, and `check --deploy` then warns about exactly what was turned off.
SECURE_SSL_REDIRECT = env_flag("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_HSTS_SECONDS = int(environ.get("DJANGO_SECURE_HSTS_SECONDS") or (0 if DEBUG else 31536000))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_flag(
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG
)
SECURE_HSTS_PRELOAD = env_flag("DJANGO_SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env_flag("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env_flag("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", "")
# Proxies in front of the app that append to X-Forwarded-For; 0: the header is ignored.
TRUSTED_PROXIES = int(environ.get("DJANGO_TRUSTED_PROXIES", "0"))
# Behind a proxy that terminates TLS, its X-Forwarded-Proto says whether the request was
# HTTPS. Trust it only behind a proxy that sets it: a client could send it too.
if env_flag("DJANGO_SECURE_PROXY_SSL_HEADER", default=TRUSTED_PROXIES > 0):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Probes call the health checks over plain HTTP, straight to the app server.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "corsheaders",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "api",
    "sources",
    "claims",
    "lookup",
]

MIDDLEWARE = [
    "api.request_log.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "api.errors.ApiErrorMiddleware",
    "api.middleware.OptionalTrailingSlashMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(environ.get("DJANGO_CONN_MAX_AGE", "0")),
    )
}
# Read replicas: api.routers sends reads to them, and writes, with the reads made
# while serving a write or inside a transaction, to the primary. Tests use the
# primary's test database for them.
DATABASE_REPLICAS = []
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", ""), start=1):
    DATABASE_REPLICAS.append(f"replica{number}")
    DATABASES[f"replica{number}"] = {
        **dj_database_url.parse(url, conn_max_age=DATABASES["default"]["CONN_MAX_AGE"]),
        "TEST": {"MIRROR": "default"},
    }
DATABASE_ROUTERS = ["api.routers.PrimaryReplicaRouter"]
MIDDLEWARE = ["api.routers.WriteRequestMiddleware", *MIDDLEWARE]

for database in DATABASES.values():
    if database["ENGINE"] != "django.db.backends.sqlite3":
        continue
    # Foreign keys and triggers are on by default in Django's SQLite backend.
    # Concurrent writers queue instead of failing with "database is locked":
    # IMMEDIATE transactions take the write lock when they begin (a deferred one
    # that reads, then writes, cannot wait for the lock and fails at once); the
    # busy timeout (seconds) is how long a writer waits for it; WAL lets readers
    # go on while one writer writes (journal_mode is stored in the file).
    database.setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": float(environ.get("DJANGO_SQLITE_TIMEOUT", "20")),
            "init_command": "PRAGMA journal_mode=WAL",
        }
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The cache holds the throttles' counters, so every worker process must share it.
REDIS_URL = environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "claimbase",
        }
    }
else:
    # Without Redis, files in one directory: the worker processes of one machine share
    # them, with no set-up and without turning each throttled read into a database write
    # (a DatabaseCache would, and on SQLite every request would queue for its one
    # writer). Several machines share a cache only through REDIS_URL.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": Path(environ.get("DJANGO_CACHE_DIR", BASE_DIR / ".cache")),
            # One entry per client and throttle: culling early would forget their counts.
            "OPTIONS": {"MAX_ENTRIES": 10_000},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))

# WhiteNoise serves static files from the app server (admin, Swagger UI, Redoc).
# In production they are collected with hashed, compressed names and cached for
# good; while debugging (and in tests, which never run collectstatic) they are
# found in the apps as they are, so no manifest is needed.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

CORPUS_DIR = Path(environ.get("CLAIMBASE_CORPUS_DIR", BASE_DIR / "fixtures"))

# The sentence-embedding model of the semantic lookup (lookup/encoder.py, docs/lookup.md).
# A model other than the packaged default needs its folder and its weights' SHA-256.
# One BLAS thread per process: the encoder's products are small, server workers are the
# parallelism, and BLAS threads spinning against each other on a busy machine cost tenfold.
environ.setdefault("OPENBLAS_NUM_THREADS", "1")
environ.setdefault("OMP_NUM_THREADS", "1")
CLAIMBASE_EMBEDDING_MODEL = environ.get(
    "CLAIMBASE_EMBEDDING_MODEL", "sentence-transformers/all-MiniLM-L6-v2"
)
CLAIMBASE_EMBEDDING_MODEL_DIR = environ.get("CLAIMBASE_EMBEDDING_MODEL_DIR", "")
CLAIMBASE_EMBEDDING_MODEL_SHA256 = environ.get("CLAIMBASE_EMBEDDING_MODEL_SHA256", "")

# Reads are public unless CLAIMBASE_PUBLIC_READS is off; writes need a curator's token.
CLAIMBASE_PUBLIC_READS = env_flag("CLAIMBASE_PUBLIC_READS", default=True)

# The author of the claims' schema.org ClaimReviews (claims/jsonld.py); the URL defaults
# to the root of the server that answers.
CLAIMBASE_PUBLISHER_NAME = environ.get("CLAIMBASE_PUBLISHER_NAME", "Claimbase")
CLAIMBASE_PUBLISHER_URL = environ.get("CLAIMBASE_PUBLISHER_URL", "")

# What finds the stored claims that say what a new claim says (reported when one is
# created): a function (text, *, exclude, limit) -> [(claim pk, score)]; empty: none.
CLAIMBASE_SIMILAR_CLAIMS = "lookup.similar.similar_claims"

# On: PATCH and DELETE must carry If-Match with the ETag read (428 without it).
CLAIMBASE_REQUIRE_IF_MATCH = env_flag("CLAIMBASE_REQUIRE_IF_MATCH", default=False)

# Request size limits: a larger body gets 413, a longer query string on /api/ gets 414.
# The default body holds a source text at its maximum of 1,000,000 characters, at up to
# 4 bytes a character as UTF-8 (or 6 as \uXXXX escapes of Basic Multilingual Plane ones).
DATA_UPLOAD_MAX_MEMORY_SIZE = int(
    environ.get("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", 6 * 1024 * 1024)
)
CLAIMBASE_MAX_QUERY_STRING = 64 * 1024

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "api.schema.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "api.pagination.CursorPagination",
    "PAGE_SIZE": 20,
    "DEFAULT_FILTER_BACKENDS": [
        "api.filters.FilterBackend",
        "api.filters.OrderingFilter",
    ],
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.CuratorWriteOrPublicRead"],
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.JSONParser"],
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
        # Views with a throttle_scope get its rate on top (the lookup: "lookup").
        "rest_framework.throttling.ScopedRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": environ.get("DJANGO_THROTTLE_ANON", "300/minute"),
        "user": environ.get("DJANGO_THROTTLE_USER", "1200/minute"),
        "lookup": environ.get("DJANGO_THROTTLE_LOOKUP", "60/minute"),
    },
    "ORDERING_PARAM": "ordering",
    # Throttles and request logs count the client address, not a spoofable header.
    "NUM_PROXIES": TRUSTED_PROXIES,
}

# CORS on /api/ (django-cors-headers, api.cors): any origin reads, the listed ones write.
# The middleware goes before WhiteNoise and everything that can answer; gzip compresses
# /api/ responses only (api.middleware.ApiGZipMiddleware), before the middleware that
# writes bodies (the JSON errors) and after WhiteNoise, which serves static files
# compressed already.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOWED_ORIGINS = env_list("CLAIMBASE_CORS_ALLOWED_ORIGINS", "")
CORS_ALLOW_HEADERS = [
    *("accept", "authorization", "content-type", "user-agent", "x-requested-with"),
    *("if-match", "if-none-match", "if-modified-since"),
]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Link"]
CORS_PREFLIGHT_MAX_AGE = 86400
MIDDLEWARE.insert(
    MIDDLEWARE.index("whitenoise.middleware.WhiteNoiseMiddleware"),
    "corsheaders.middleware.CorsMiddleware",
)
MIDDLEWARE.insert(
    MIDDLEWARE.index("api.errors.ApiErrorMiddleware"), "api.middleware.ApiGZipMiddleware"
)

# API tokens (django-rest-knox): stored as SHA-512 digests, sent as `Token <token>`.
CLAIMBASE_TOKEN_TTL_DAYS = int(environ.get("CLAIMBASE_TOKEN_TTL_DAYS", "90"))
REST_KNOX = {
    "AUTH_HEADER_PREFIX": "Token",
    "TOKEN_TTL": timedelta(days=CLAIMBASE_TOKEN_TTL_DAYS) if CLAIMBASE_TOKEN_TTL_DAYS else None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Claimbase API",
    "DESCRIPTION": (
        "Claims, each stored with the exact source passages that support, refute or "
        "discuss it, who said them, and the verdict they add up to."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Operation ids and tags from the path after /api/v1/: `claims_list`, tag `claims`.
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "TAGS": [
        {"name": "claims", "description": "Claims with their citations and verdicts."},
        {"name": "lookup", "description": "The fact-checking lookup: statement in, claims out."},
        {"name": "citations", "description": "Passages cited for claims, with their stances."},
        {"name": "sources", "description": "Archived documents, and finding quotes in them."},
        {"name": "passages", "description": "Spans of source texts, made by anchoring quotes."},
        {"name": "authors", "description": "Whose words passages are."},
        {"name": "changes", "description": "The change feed, to keep a copy in step."},
    ],
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.describe_path_ids",
        "api.schema.link_created_records",
    ],
    "ENUM_NAME_OVERRIDES": {
        "StanceEnum": "claims.models.Stance",
        "AttributionEnum": "claims.models.Attribution",
        "VerdictEnum": "claims.models.Verdict",
        "ClaimStatusEnum": "claims.models.ClaimStatus",
        "EditableClaimStatusEnum": "claims.serializers.EDITABLE_STATUSES",
        "SourceKindEnum": "sources.models.SourceKind",
        "AuthorKindEnum": "sources.models.AuthorKind",
        "DatePrecisionEnum": "sources.models.DatePrecision",
        "ChangeKindEnum": "claims.models.ChangeKind",
        "ChangeOperationEnum": "claims.models.ChangeOperation",
        "HistoryObjectEnum": "claims.history.HistoryObject",
        "HistoryChangeTypeEnum": "claims.history.HistoryChangeType",
        "RelationKindEnum": "claims.models.RelationKind",
        "RelationRoleEnum": "claims.serializers.ROLE_CHOICES",
    },
}

# The schema documents conditional reads (If-None-Match, If-Modified-Since, 304).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"].append("api.conditional.document_conditional_reads")

# One JSON object per log line on stderr, one line per request (api.request_log). 4xx and
# 5xx are in the request line already; django.request adds the traceback of a 5xx.
LOG_LEVEL = environ.get("DJANGO_LOG_LEVEL", "INFO").upper()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "api.request_log.JsonFormatter"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stderr"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"level": "ERROR"},
    },
}
