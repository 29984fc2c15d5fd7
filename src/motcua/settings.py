"""The one settings module. Defaults run a single machine on SQLite; production sets variables.

Every variable is documented in docs/configuration.md.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from motcua.lib.codes import validate_code_pattern
from motcua.lib.environment import (
    ConfigurationError,
    database_from_url,
    env_bool,
    env_choice,
    env_int,
    env_list,
    env_secret,
    env_str,
    require_strong_secret,
)

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("MOTCUA_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("MOTCUA_DEBUG", False)
_DEVELOPMENT_SECRET_KEY = "insecure-development-key-change-me-in-production"
# Refused at start-up with MOTCUA_HTTPS unless strong (see "Production" below).
SECRET_KEY = env_secret("MOTCUA_SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("MOTCUA_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("MOTCUA_CSRF_TRUSTED_ORIGINS", [])
# Earlier keys still accepted for signatures and for the officers' stored second-factor secrets
# while a new MOTCUA_SECRET_KEY is rolled out.
SECRET_KEY_FALLBACKS = env_list("MOTCUA_SECRET_KEY_FALLBACKS", [])
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed (core/proxy.py).
MOTCUA_TRUSTED_PROXIES = env_list("MOTCUA_TRUSTED_PROXIES", [])
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
    # First: everything after it (metrics' loopback rule, sign-in and lookup limits) sees the
    # client's own address, not the reverse proxy's.
    "motcua.core.proxy.ForwardedClientMiddleware",
    # Outermost but for that, so that every response is counted and timed (redirects to HTTPS,
    # 503s and the responses of the other middleware too) ...
    "motcua.core.metrics.RequestMetricsMiddleware",
    # ... and that every log line of the request, from any middleware, carries its id.
    "motcua.core.logs.RequestLogMiddleware",
    # /healthz, /readyz and /metrics are answered here: probes reach a node by its address over
    # plain HTTP, so they must pass before host validation, the HTTPS redirect and sessions.
    "motcua.core.health.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The policy goes on every response that passes on its way out, whoever made it.
    "motcua.core.security.ContentSecurityPolicyMiddleware",
    # A database that cannot be reached answers 503 (problem details or a short page), not 500.
    "motcua.core.unavailable.DatabaseUnavailableMiddleware",
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

# --- Read replica (docs/configuration.md, "Read replica and object storage") ----------------
# Reports, the dashboard, the 766 index, the evaluation lists and the public lookup read from a
# streaming replica of "default" while it is fit (motcua.core.replica); every other read, and
# every write, uses "default". Lower case: the URL may hold a password.
_replica_url = env_secret("MOTCUA_REPLICA_DATABASE_URL", "")
if _replica_url:
    _replica = database_from_url(
        _replica_url,
        base_dir=BASE_DIR,
        server_side_binding=env_bool("MOTCUA_DB_SERVER_SIDE_BINDING", True),
    )
    if {_replica["ENGINE"], DATABASES["default"]["ENGINE"]} != {"django.db.backends.postgresql"}:
        raise ConfigurationError(
            "MOTCUA_REPLICA_DATABASE_URL and DATABASE_URL must both be postgres:// URLs"
        )
    _replica_options = _replica["OPTIONS"]
    assert isinstance(_replica_options, dict)
    # A replica that does not answer costs one request this long, then reads go to "default".
    _replica_options["connect_timeout"] = 3
    # In tests the alias keeps the replica's host and port and takes the name of the primary's
    # test database, which streaming copies to the replica like every database of the cluster.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
DATABASE_ROUTERS = ["motcua.core.replica.ReplicaRouter"]
# Reads go back to "default" while the replica has not replayed what it received for longer
# than this; how often each process asks the replica how far behind it is.
MOTCUA_REPLICA_MAX_LAG_SECONDS = env_int("MOTCUA_REPLICA_MAX_LAG_SECONDS", 30)
MOTCUA_REPLICA_CHECK_SECONDS = env_int("MOTCUA_REPLICA_CHECK_SECONDS", 2)

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

# --- Documents in object storage (docs/configuration.md, "Read replica and object storage") --
# Files under MEDIA_ROOT by default; with MOTCUA_S3_BUCKET, an S3-compatible bucket (MinIO,
# Ceph, AWS) shared by every app machine. Documents are served only by the pages and API that
# check who asks, so the bucket stays private and no address in it is ever handed out.
MOTCUA_S3_BUCKET = env_str("MOTCUA_S3_BUCKET", "")
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
if MOTCUA_S3_BUCKET:
    from botocore.config import Config as S3ClientConfig

    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": MOTCUA_S3_BUCKET,
            "endpoint_url": env_str("MOTCUA_S3_ENDPOINT_URL", "") or None,
            # Empty: boto3's own chain (AWS_* variables, instance role).
            "access_key": env_str("MOTCUA_S3_ACCESS_KEY_ID", "") or None,
            "secret_key": env_secret("MOTCUA_S3_SECRET_ACCESS_KEY", "") or None,
            "region_name": env_str("MOTCUA_S3_REGION", "us-east-1"),
            "default_acl": "private",
            # Only a signed, short-lived address could ever be made; none is handed out.
            "querystring_auth": True,
            "querystring_expire": 60,
            # Names are content hashes: the same name always holds the same bytes.
            "file_overwrite": True,
            "client_config": S3ClientConfig(
                # "path" for MinIO and most servers on premises; "virtual" for AWS.
                s3={"addressing_style": env_str("MOTCUA_S3_ADDRESSING_STYLE", "path")},
                connect_timeout=5,
                read_timeout=30,
                retries={"max_attempts": 3, "mode": "standard"},
            ),
        },
    }

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
    # The problems every operation shares (406, 415, 401, 503), so the schema is honest.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "motcua.api.schema.document_shared_problems",
    ],
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
            # Well below the delivery claim's lease (MOTCUA_MESSAGE_CLAIM_SECONDS).
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
# How long a worker owns a message it is sending; one that died sending it leaves the message to
# the sweep once this has passed. Far above the channels' 10-second timeouts.
MOTCUA_MESSAGE_CLAIM_SECONDS = env_int("MOTCUA_MESSAGE_CLAIM_SECONDS", 300)

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

# --- Officer sign-in (back office and admin): lockout and the second factor (TOTP) -----------
# Wrong passwords or codes per account, and per client address, within the lockout period
# before sign-in is refused for that account or address until the period has passed.
MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT = env_int("MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT", 5)
MOTCUA_OFFICER_LOGIN_FAILURES_PER_CLIENT = env_int("MOTCUA_OFFICER_LOGIN_FAILURES_PER_CLIENT", 20)
MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS = env_int("MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS", 900)
if (
    min(
        MOTCUA_OFFICER_LOGIN_FAILURES_PER_ACCOUNT,
        MOTCUA_OFFICER_LOGIN_FAILURES_PER_CLIENT,
        MOTCUA_OFFICER_LOGIN_LOCKOUT_SECONDS,
    )
    < 1
):
    raise ConfigurationError("MOTCUA_OFFICER_LOGIN_* must be positive integers")
# Every officer and staff member enrols an authenticator app at their next sign-in.
MOTCUA_OFFICER_TOTP_REQUIRED = env_bool("MOTCUA_OFFICER_TOTP_REQUIRED", False)
# The name the authenticator app shows next to the code.
MOTCUA_OFFICER_TOTP_ISSUER = env_str("MOTCUA_OFFICER_TOTP_ISSUER", f"Một cửa {MOTCUA_PLACE_NAME}")

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

# --- Production: HTTPS behind a TLS-terminating proxy, security headers ----------------------
# MOTCUA_HTTPS=true: the site is served over HTTPS only, by a proxy (nginx) that terminates TLS
# and sets X-Forwarded-Proto. Off by default, so `make run` and the tests stay on plain HTTP.
MOTCUA_HTTPS = env_bool("MOTCUA_HTTPS", False)
if MOTCUA_HTTPS and not DEBUG:
    require_strong_secret(
        "MOTCUA_SECRET_KEY", SECRET_KEY, development_default=_DEVELOPMENT_SECRET_KEY
    )
if MOTCUA_HTTPS:
    # Trusted only because the proxy overwrites the header; the app must not be reachable
    # around it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and the metrics scraper talk plain HTTP to the app inside the data center.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("MOTCUA_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("MOTCUA_HSTS_INCLUDE_SUBDOMAINS", True)
    # Preloading binds the whole domain to HTTPS in every browser for months: the province
    # decides, so it is opt-in, and Django's reminder about it is silenced until then.
    SECURE_HSTS_PRELOAD = env_bool("MOTCUA_HSTS_PRELOAD", False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("MOTCUA_SECURE_COOKIES", MOTCUA_HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# Sent on every response, also in development and tests, so the browser tests exercise them.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# No inline script or style anywhere: pages load theirs from static files. The payment
# gateway's origin is added to form-action as each response is made (motcua.core.security).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    # data: for the page icon and for QR codes drawn as data URIs.
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# --- Health, readiness and metrics (motcua.core.health, motcua.core.metrics) ------------------
# /metrics answers the bearer of this token; without one, only this machine (not via a proxy).
MOTCUA_METRICS_TOKEN = env_secret("MOTCUA_METRICS_TOKEN", "")
# Backlogs counted at each scrape, one COUNT query each: gauge → (help, model, filter).
MOTCUA_METRICS_BACKLOGS: dict[str, tuple[str, str, dict[str, object]]] = {
    "motcua_outbox_unsent_messages": (
        "Applicant messages (email, SMS) written to the outbox and not yet sent.",
        "notifications.Message",
        {"status": "pending"},
    ),
}
if MOTCUA_TASKS_BACKEND == "db":
    MOTCUA_METRICS_BACKLOGS["motcua_tasks_pending"] = (
        "Background tasks queued in the database and waiting for a worker.",
        "django_tasks_database.DBTaskResult",
        {"status": "READY"},
    )

# --- Logs: one line per record, personal data scrubbed whatever the format ------------------
# "text" for a terminal, "json" (one object per line) for a log collector.
MOTCUA_LOG_FORMAT = env_choice("MOTCUA_LOG_FORMAT", "text", ("text", "json"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_context": {"()": "motcua.core.logs.RequestContextFilter"},
        "personal_data": {"()": "motcua.core.logs.PersonalDataFilter"},
    },
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "motcua.core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": MOTCUA_LOG_FORMAT,
            "filters": ["request_context", "personal_data"],
        }
    },
    "loggers": {
        # Django's own handlers (its development console, runserver's access lines) would
        # write records unscrubbed: they go through ours instead.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
    "root": {"handlers": ["console"], "level": env_str("MOTCUA_LOG_LEVEL", "WARNING")},
}
