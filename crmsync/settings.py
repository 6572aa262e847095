"""Django settings for crmsync, all taken from the environment (see README)."""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

from . import environment as env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.os.environ.get("CRMSYNC_VAR_DIR", BASE_DIR / "var"))

DEBUG = env.flag("DJANGO_DEBUG")
SECRET_KEY = env.django_secret_key(VAR_DIR)
ALLOWED_HOSTS = env.words("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env.words("DJANGO_CSRF_TRUSTED_ORIGINS")
CRMSYNC_SECRET_KEYS = env.credential_keys(VAR_DIR)

INSTALLED_APPS = [
    "crmsync.apps.CrmsyncAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "formtools",
    "csp",
    "auditlog",
    "crmsync",
    "connectors",
    "wizard",
    "workflows",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "crmsync.audit.AuditActorMiddleware",
]

ROOT_URLCONF = "crmsync.urls"
WSGI_APPLICATION = "crmsync.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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
        env="DATABASE_URL",
        default=f"sqlite:///{VAR_DIR / 'crmsync.sqlite3'}",
        conn_max_age=60,
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    # Several threads (web, in-process tasks) write the same file: wait, don't fail.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.os.environ.get("CRMSYNC_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.os.environ.get("CRMSYNC_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Serve straight from the apps' static folders when collectstatic has not run
# (the embedded first-run mode); production images run collectstatic.
WHITENOISE_USE_FINDERS = True

LOGIN_URL = "admin:login"

# --- HTTPS deployment (behind a TLS-terminating proxy) ------------------------
CRMSYNC_HTTPS = env.flag("CRMSYNC_HTTPS")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
# Scripts only from our own static files, or inline with the response's nonce (the
# run page, the wizard); inline styles are allowed because the dashboard's server-
# rendered SVG charts carry their own <style>. Nothing may frame the console.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
if CRMSYNC_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.flag("DJANGO_SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- REST API ---------------------------------------------------------------------
REST_FRAMEWORK = {
    # Token first, so that anonymous requests get 401 with a WWW-Authenticate header.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["crmsync.permissions.StaffModelPermissions"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "crmsync.pagination.Pagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "crmsync.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "crmsync API",
    "DESCRIPTION": "External accounts, schemas, enumerations and sync workflows of crmsync.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {"RunStatusEnum": "workflows.models.RunStatus"},
}

# --- Celery -----------------------------------------------------------------------
CELERY_BROKER_URL = env.os.environ.get("CELERY_BROKER_URL", "")
CRMSYNC_IN_PROCESS_TASKS = not CELERY_BROKER_URL
# Which side set each field of each row (wizard.provenance); off only to measure its cost.
CRMSYNC_FIELD_PROVENANCE = env.flag("CRMSYNC_FIELD_PROVENANCE", True)
if CRMSYNC_IN_PROCESS_TASKS:
    CELERY_BROKER_URL = "memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# The queue runs are sent to (and scheduled runs, through their periodic task).
CRMSYNC_QUEUE = env.os.environ.get("CRMSYNC_QUEUE", "celery")
CELERY_TASK_DEFAULT_QUEUE = CRMSYNC_QUEUE
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "detect-vanished-runs": {"task": "workflows.detect_vanished_runs", "schedule": 60.0},
}
# A running run whose worker has not reported for this long is failed (its worker
# vanished); the next run resumes from the last committed watermark.
CRMSYNC_RUN_STALE_AFTER = int(env.os.environ.get("CRMSYNC_RUN_STALE_AFTER", "300"))
CELERY_TIMEZONE = TIME_ZONE

# --- Cache (the wizard's table listing, shared by every web process) ------------
CRMSYNC_CACHE_URL = env.os.environ.get("CRMSYNC_CACHE_URL", "")
if CRMSYNC_CACHE_URL or CELERY_BROKER_URL.startswith("redis://"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CRMSYNC_CACHE_URL or CELERY_BROKER_URL,
            "KEY_PREFIX": "crmsync",
        }
    }

# --- Logging ----------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.os.environ.get("CRMSYNC_LOG_LEVEL", "INFO")},
}

# --- Connectors ---------------------------------------------------------------------
# Modules that register a connector class when imported (one package per CRM).
CRMSYNC_CONNECTORS = env.words(
    "CRMSYNC_CONNECTORS", "connectors.salesforce.connector,connectors.dynamics.connector"
)
