"""Settings, read from the environment.

Embedded default: DEBUG on, SQLite inside the project, console email, the `file`
ERP connector and Django's immediate task backend. Production: set DJANGO_ENV=production
(DEBUG off, secure cookies, HSTS) plus DATABASE_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

from __future__ import annotations

import os
from datetime import timedelta
from importlib.util import find_spec
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


PRODUCTION = os.environ.get("DJANGO_ENV", "development") == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production.")
    SECRET_KEY = "django-insecure-development-key-never-used-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "guardian",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "django_tasks_db",
    "bootstrap",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "core",
    "projects",
    "commitments",
    "invoices",
    "erp_integrations",
    "api",
    "demo",
]
# The benchmark's data set and `seed_bench` live in the checkout only: the installed
# package does not ship them (pyproject.toml), so a production install has no
# `benchmarks` to load. `bin/benchmark` runs from the checkout, where it is importable.
if find_spec("benchmarks") is not None:
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After AuthenticationMiddleware and HtmxMiddleware: it reads request.user and .htmx.
    "config.login_redirects.LoginRedirectMiddleware",
]

# The benchmark's instruments (config/benchmarking.py): a query counter and a floor view.
BENCHMARK_VIEWS = env_bool("BENCHMARK_VIEWS", default=False)
if BENCHMARK_VIEWS:
    MIDDLEWARE.insert(0, "config.benchmarking.QueryCountMiddleware")

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["core.templatetags.display"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "projects.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web process and a task worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The pages run short queries whose planner cost can still cross PostgreSQL's JIT
    # threshold on large tables; compiling them then takes far longer than running them.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
# No guardian anonymous user: anonymous visitors are sent to the login page.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "projects:list"
LOGOUT_REDIRECT_URL = "login"

# --- Sign-in protection, password reset and sessions ------------------------------------
# django-axes counts failed logins per username and client IP, on the site login and on
# /admin/login/ alike (both authenticate through the backend below), and locks that pair out
# for a cooling-off period. Site admins see and delete lockouts in Django admin
# (Axes > Access attempts).
INSTALLED_APPS += ["axes"]
# Last, as axes asks: it turns a locked-out login's response into the lockout page.
MIDDLEWARE += ["axes.middleware.AxesMiddleware"]
# First, so a locked-out pair is refused before any password is checked.
AUTHENTICATION_BACKENDS.insert(0, "axes.backends.AxesStandaloneBackend")
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# The lock lasts the cooling-off from the lockout, as the page says; a further attempt
# during it neither extends it nor counts.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Failures count in a row: a successful login starts the count again.
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The client IP is REMOTE_ADDR unless TRUSTED_PROXY_COUNT reverse proxies (each appending
# the address it saw to X-Forwarded-For) stand in front of the app: then it is the address
# the outermost proxy saw, counted from the right of X-Forwarded-For, so that addresses a
# client writes into the header itself are never taken for its own.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
if TRUSTED_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER: tuple[str, ...] = ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR")
    AXES_IPWARE_PROXY_ORDER = "left-most"
    # django-ipware counts the proxies between the client and the last one, whose own
    # address is REMOTE_ADDR rather than in the header.
    AXES_IPWARE_PROXY_COUNT = TRUSTED_PROXY_COUNT - 1
    # A header with more addresses than the proxies (a client's own on the left) is read
    # from the right rather than discarded.
    IPWARE_STRICT = False
else:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)

# A reset link works once, and for this long (Django's default is three days).
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(24 * 60 * 60)))
# A session ends this long after it was last saved (12 hours by default, at login and
# whenever it changes), so a forgotten shared tablet does not stay signed in for Django's
# default two weeks.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(12 * 60 * 60)))
# --- end of sign-in protection ------------------------------------------------------------

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Invoice attachments go through Django's storage API: files under MEDIA_ROOT by default,
# an S3-compatible bucket when ATTACHMENTS_S3_BUCKET is set. Either way no URL serves them
# directly: the download view checks the invoice's permission and streams the file.
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"  # never routed; files are only served by the download view
ATTACHMENTS_S3_BUCKET = os.environ.get("ATTACHMENTS_S3_BUCKET", "")
if ATTACHMENTS_S3_BUCKET:
    DEFAULT_STORAGE = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ATTACHMENTS_S3_BUCKET,
            "endpoint_url": os.environ.get("ATTACHMENTS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("ATTACHMENTS_S3_REGION") or None,
            "location": os.environ.get("ATTACHMENTS_S3_PREFIX", ""),
            # Credentials come from boto3's own AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
            # (or the instance role). Objects stay private and are never overwritten.
            "default_acl": "private",
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# Email (Django 6.1 mailers): printed to the console in development, SMTP (configured by
# the EMAIL_* variables) in production.
EMAIL_BACKEND_PATH = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
MAILERS = {
    "default": {
        "BACKEND": EMAIL_BACKEND_PATH,
        "OPTIONS": (
            {
                "host": os.environ.get("EMAIL_HOST", "localhost"),
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": env_bool("EMAIL_USE_TLS", default=False),
                "timeout": 10,
            }
            if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend")
            else {}
        ),
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "erp-integrations@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Background work (ERP exports) goes through django.tasks. The embedded default runs a
# task as soon as the transaction commits; production uses the database queue and
# `manage.py db_worker`.
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "django.tasks.backends.immediate.ImmediateBackend"
        )
    }
}

# Where the `file` ERP connector writes its export documents, unless the company's ERP
# connection names a folder of its own.
ERP_EXPORT_DIR = Path(os.environ.get("ERP_EXPORT_DIR", BASE_DIR / "var" / "erp-exports"))
# A worker holds the item it exports for a lease, renewed every third of a lease while it
# delivers; a claim not renewed (its worker died) runs out and the item is picked up
# again. An accepted item no worker has claimed within the pickup grace (its batch's
# worker died before reaching it, or its task was lost) is enqueued again.
ERP_EXPORT_LEASE_SECONDS = float(os.environ.get("ERP_EXPORT_LEASE_SECONDS", "30"))
ERP_EXPORT_PICKUP_SECONDS = float(os.environ.get("ERP_EXPORT_PICKUP_SECONDS", "10"))
# Transient failures retry after 30 s, 60 s, 120 s, ... up to this many attempts.
ERP_EXPORT_MAX_ATTEMPTS = int(os.environ.get("ERP_EXPORT_MAX_ATTEMPTS", "5"))
ERP_EXPORT_RETRY_BASE_SECONDS = int(os.environ.get("ERP_EXPORT_RETRY_BASE_SECONDS", "30"))
# An ERP agent (the Agent connector) holds the items it claims for this long; one it has
# not reported on by then goes back to the pool for any agent to claim.
ERP_AGENT_LEASE_SECONDS = float(os.environ.get("ERP_AGENT_LEASE_SECONDS", "300"))
# The most items one claim takes.
ERP_AGENT_CLAIM_LIMIT = int(os.environ.get("ERP_AGENT_CLAIM_LIMIT", "100"))

# Attachments: the largest file accepted, and how many one invoice may have.
ATTACHMENT_MAX_BYTES = int(os.environ.get("ATTACHMENT_MAX_BYTES", str(25 * 1024 * 1024)))
ATTACHMENTS_PER_INVOICE = int(os.environ.get("ATTACHMENTS_PER_INVOICE", "50"))
# Uploads above this size go to a temporary file instead of memory; form fields (not
# files) may total at most DATA_UPLOAD_MAX_MEMORY_SIZE.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# The HTTP ERP connector sends each attachment as a signed download link, valid this long,
# on this site's address.
ATTACHMENT_LINK_SECONDS = int(os.environ.get("ATTACHMENT_LINK_SECONDS", str(7 * 24 * 3600)))
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Content-Security-Policy (Django's middleware sends it on every response). Every script
# and style comes from our own static files: no inline script, no inline style, no eval.
# htmx is told not to inject its indicator <style> (the htmx-config meta tag in base.html);
# Bootstrap's CSS draws its icons from data: URIs. No plugins, no <base>, no framing.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# The JSON API (/api/v1/, the api app). A request authenticates with a personal token
# (`Authorization: Bearer <key>`) or with the browser's session, which checks CSRF. JSON
# only: no browsable API (its pages would need inline script).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    # Per token (per user for the session), e.g. "600/minute". Counted in Django's cache:
    # configure a shared cache (CACHES) when several web processes serve the API.
    "DEFAULT_THROTTLE_RATES": {"api": os.environ.get("API_THROTTLE_RATE", "600/minute")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "ERP Invoices API",
    "DESCRIPTION": "Projects, commitments and subcontractor invoices, as the pages show them.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's files from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
