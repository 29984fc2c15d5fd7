"""The one settings module. Defaults run a single machine on SQLite; production sets variables.

Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext_lazy as _

from motcua.lib.codes import validate_code_pattern
from motcua.lib.environment import (
    ConfigurationError,
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_secret,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("MOTCUA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("MOTCUA_DEBUG", False)
SECRET_KEY = env_secret("MOTCUA_SECRET_KEY", "insecure-development-key-change-me-in-production")
ALLOWED_HOSTS = env_list("MOTCUA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("MOTCUA_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("MOTCUA_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_tasks_db",
    "motcua.core",
    "motcua.accounts",
    "motcua.agencies",
    "motcua.audit",
    "motcua.calendars",
    "motcua.notifications",
    "motcua.catalog",
    "motcua.documents",
    "motcua.dossiers",
    "motcua.payments",
    "motcua.ratings",
    "motcua.reports",
    "motcua.supervision",
    "motcua.evaluation",
    "motcua.portal",
    "motcua.backoffice",
    "motcua.api",
    "motcua.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "motcua.core.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "motcua.urls"
WSGI_APPLICATION = "motcua.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "motcua.core.context_processors.center",
                "motcua.backoffice.context_processors.alerts_badge",
            ],
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'motcua.sqlite3'}"),
        base_dir=BASE_DIR,
        server_side_binding=env_bool("MOTCUA_DB_SERVER_SIDE_BINDING", True),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# Citizens sign in on the portal; the back office sends officers to its own page.
LOGIN_URL = "portal:login"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "portal:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

CACHE_URL = env_str("MOTCUA_CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Vietnamese first, English available.
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [Path(__file__).resolve().parent / "locale"]
USE_I18N = True
USE_TZ = True
# Stored in UTC; computed and shown in Vietnam's time zone.
TIME_ZONE = "Asia/Ho_Chi_Minh"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = Path(env_str("MOTCUA_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"

DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "motcua.api.errors.problem_details_handler",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "motcua API",
    "DESCRIPTION": (
        "Public Administration Center: catalogue, intake, processing across agencies, "
        "worklists, lookup and calendar."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}

# The center this installation runs (shown on every form and page heading).
MOTCUA_CENTER_NAME = env_str(
    "MOTCUA_CENTER_NAME", "Trung tâm Phục vụ hành chính công thành phố Huế"
)
MOTCUA_PROVINCE_NAME = env_str("MOTCUA_PROVINCE_NAME", "Ủy ban nhân dân thành phố Huế")
MOTCUA_PLACE_NAME = env_str("MOTCUA_PLACE_NAME", "Huế")

# Deadline rules that vary by province (DOMAIN.md §4).
# "next" starts counting on the working day after reception; "same" counts the reception day.
MOTCUA_DAY_ONE = env_str("MOTCUA_DAY_ONE", "next")
MOTCUA_SAME_DAY_CUTOFF = env_str("MOTCUA_SAME_DAY_CUTOFF", "15:00")
MOTCUA_OFFICE_HOURS = env_str("MOTCUA_OFFICE_HOURS", "07:30-11:30,13:30-17:00")

# Dossier code pattern; placeholders: {unit} {yymmdd} {yyyy} {mm} {dd} {seq} (zero-padded to
# MOTCUA_CODE_SEQ_WIDTH).
MOTCUA_DOSSIER_CODE_PATTERN = env_str("MOTCUA_DOSSIER_CODE_PATTERN", "{unit}-{yymmdd}-{seq}")
MOTCUA_CODE_SEQ_WIDTH = env_int("MOTCUA_CODE_SEQ_WIDTH", 4)
validate_code_pattern(MOTCUA_DOSSIER_CODE_PATTERN)
if MOTCUA_DAY_ONE not in {"next", "same"}:
    raise ConfigurationError(f"MOTCUA_DAY_ONE must be 'next' or 'same', got {MOTCUA_DAY_ONE!r}")

# Public lookup: wrong secrets allowed per client address, and per dossier code, before a pause.
MOTCUA_LOOKUP_MAX_FAILURES = env_int("MOTCUA_LOOKUP_MAX_FAILURES", 5)
MOTCUA_LOOKUP_MAX_FAILURES_PER_CODE = env_int("MOTCUA_LOOKUP_MAX_FAILURES_PER_CODE", 50)
MOTCUA_LOOKUP_WINDOW_SECONDS = env_int("MOTCUA_LOOKUP_WINDOW_SECONDS", 900)

# Scans attached at the counter.
MOTCUA_UPLOAD_MAX_BYTES = env_int("MOTCUA_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
# A ClamAV daemon that scans every upload (tcp://host:3310 or unix:///run/clamav/clamd.ctl);
# empty: no scanning. Once set, an upload is refused while the daemon gives no verdict.
MOTCUA_CLAMD_URL = env_str("MOTCUA_CLAMD_URL", "")
MOTCUA_CLAMD_TIMEOUT_SECONDS = env_int("MOTCUA_CLAMD_TIMEOUT_SECONDS", 30)

# Worklists colour a step "near due" when this much working time or less is left.
MOTCUA_NEAR_DUE_WORKING_HOURS = env_int("MOTCUA_NEAR_DUE_WORKING_HOURS", 8)
# The running period's figures counted by `close_periods` are read while no older than this
# (seconds); older, or never counted, the reports count the dossiers themselves.
MOTCUA_RUNNING_FIGURES_MAX_AGE = env_int("MOTCUA_RUNNING_FIGURES_MAX_AGE", 900)

# Background tasks through django.tasks (applicant messages are delivered by a task).
# "db": queued in this database, run by `manage.py db_worker`; "rq": queued in Redis, run by
# `manage.py rqworker`; "immediate": run at once inside the process that enqueues them.
MOTCUA_TASKS_BACKEND = env_str("MOTCUA_TASKS_BACKEND", "db")
TASK_BACKENDS = {
    "db": "django_tasks_db.DatabaseBackend",
    "rq": "django_tasks_rq.RQBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
if MOTCUA_TASKS_BACKEND not in TASK_BACKENDS:
    choices = ", ".join(TASK_BACKENDS)
    raise ConfigurationError(f"MOTCUA_TASKS_BACKEND must be one of {choices}")
TASKS = {"default": {"BACKEND": TASK_BACKENDS[MOTCUA_TASKS_BACKEND]}}
# django_rq only with the rq backend: its admin dashboard needs Redis to be there.
if MOTCUA_TASKS_BACKEND == "rq":
    INSTALLED_APPS.append("django_rq")
RQ_QUEUES = {"default": {"URL": env_str("MOTCUA_REDIS_URL", "redis://127.0.0.1:6379/0")}}

# Applicant messages: email through Django's mail API, SMS through an HTTP gateway.
DEFAULT_FROM_EMAIL = env_str("MOTCUA_EMAIL_FROM", "motcua@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# smtp://user:password@host:port (?tls=true for STARTTLS), smtps://… (TLS from the start),
# console://, or empty: every email is written as a file under var/mail, so a demo needs no server.
# Lower case, so the password it holds is not a setting shown on Django's debug page.
_email_url = urlsplit(env_secret("MOTCUA_EMAIL_URL", ""))
if _email_url.scheme in {"smtp", "smtps"}:
    _use_ssl = _email_url.scheme == "smtps"
    _use_tls = "tls=true" in _email_url.query.lower()
    _mailer: dict[str, object] = {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": _email_url.hostname or "localhost",
            "port": _email_url.port or (465 if _use_ssl else 587 if _use_tls else 25),
            "username": unquote(_email_url.username or ""),
            "password": unquote(_email_url.password or ""),
            "use_ssl": _use_ssl,
            "use_tls": _use_tls,
            # Well below the delivery claim's lease (notifications.services.CLAIM_LEASE).
            "timeout": 10,
        },
    }
elif _email_url.scheme == "console":
    _mailer = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
elif _email_url.scheme in {"", "file"}:
    _mailer = {
        "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "OPTIONS": {"file_path": _email_url.path or str(VAR_DIR / "mail")},
    }
else:
    raise ConfigurationError(f"MOTCUA_EMAIL_URL scheme {_email_url.scheme!r} is not supported")
# Django 6.1's mailers; the EMAIL_HOST-style settings are deprecated.
MAILERS = {"default": _mailer}
# Empty MOTCUA_SMS_URL: every SMS is written as a file under var/sms instead.
MOTCUA_SMS_URL = env_str("MOTCUA_SMS_URL", "")
MOTCUA_SMS_API_KEY = env_secret("MOTCUA_SMS_API_KEY", "")
MOTCUA_SMS_BRANDNAME = env_str("MOTCUA_SMS_BRANDNAME", "MOTCUA")
MOTCUA_SMS_DIR = VAR_DIR / "sms"
MOTCUA_MESSAGE_MAX_ATTEMPTS = env_int("MOTCUA_MESSAGE_MAX_ATTEMPTS", 5)

# --- Citizen accounts: one-time codes and an OpenID Connect identity provider ---------------
MOTCUA_OTP_TTL_SECONDS = env_int("MOTCUA_OTP_TTL_SECONDS", 600)
MOTCUA_OTP_MAX_ATTEMPTS = env_int("MOTCUA_OTP_MAX_ATTEMPTS", 5)
# Any standard OIDC provider (VNeID is one); empty issuer: no "sign in with" button.
MOTCUA_OIDC_ISSUER = env_str("MOTCUA_OIDC_ISSUER", "")
MOTCUA_OIDC_CLIENT_ID = env_str("MOTCUA_OIDC_CLIENT_ID", "")
MOTCUA_OIDC_CLIENT_SECRET = env_secret("MOTCUA_OIDC_CLIENT_SECRET", "")
MOTCUA_OIDC_PROVIDER_NAME = env_str("MOTCUA_OIDC_PROVIDER_NAME", "VNeID")
# The claim that carries the 12-digit personal ID number.
MOTCUA_OIDC_ID_NUMBER_CLAIM = env_str("MOTCUA_OIDC_ID_NUMBER_CLAIM", "citizen_id")

# --- Online payment gateway (VNPAY-style signed redirect + server-to-server notification) ----
# Defaults point at the local simulator (manage.py payment_gateway_simulator) that make run starts.
MOTCUA_PAYMENT_GATEWAY_URL = env_str("MOTCUA_PAYMENT_GATEWAY_URL", "http://127.0.0.1:8010")
MOTCUA_PAYMENT_MERCHANT_CODE = env_str("MOTCUA_PAYMENT_MERCHANT_CODE", "MOTCUA01")
MOTCUA_PAYMENT_HASH_SECRET = env_secret("MOTCUA_PAYMENT_HASH_SECRET", "demo-secret-change-me")
# A payment still pending after this long is asked about (query) and, if unpaid, expires.
MOTCUA_PAYMENT_TIMEOUT_MINUTES = env_int("MOTCUA_PAYMENT_TIMEOUT_MINUTES", 15)

# --- Digitally signed results (PAdES, pyHanko) -------------------------------------------------
# One certificate + key per issuing agency under this directory; with MOTCUA_SIGNING_DEMO_PKI a
# demo CA and agency certificates are generated there when missing (never in production).
MOTCUA_PKI_DIR = Path(env_str("MOTCUA_PKI_DIR", str(VAR_DIR / "pki")))
MOTCUA_SIGNING_DEMO_PKI = env_bool("MOTCUA_SIGNING_DEMO_PKI", True)

SESSION_COOKIE_SECURE = env_bool("MOTCUA_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("MOTCUA_LOG_LEVEL", "WARNING")},
}
