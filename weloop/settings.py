"""Django settings, read from the environment (docs/configuration.md lists every variable).

The embedded default needs no server: SQLite in WAL mode and a SQLite-backed Huey queue under
``WELOOP_DATA_DIR``. Setting ``DATABASE_URL`` and ``REDIS_URL`` scales the same code out.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


WELOOP_ENV = os.environ.get("WELOOP_ENV", "development").strip().lower()
IS_PRODUCTION = WELOOP_ENV == "production"
DATA_DIR = Path(os.environ.get("WELOOP_DATA_DIR", PROJECT_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)

# --- secret key -----------------------------------------------------------------------------
# Development generates one secret per data dir and keeps it there, so sessions survive restarts.
# Production must be given one: a generated secret on a server means every restart of a new
# container logs everybody out and breaks signed links, so we refuse to start instead.
_GENERATED_SECRET_FILE = DATA_DIR / "dev-secret-key"
_INSECURE_SECRETS = {"", "changeme", "secret", "dev", "django-insecure"}


def _load_secret_key() -> tuple[str, bool]:
    given = os.environ.get("WELOOP_SECRET_KEY", "").strip()
    if given:
        return given, False
    if not _GENERATED_SECRET_FILE.exists():
        _GENERATED_SECRET_FILE.write_text(secrets.token_urlsafe(50))
        _GENERATED_SECRET_FILE.chmod(0o600)
    return _GENERATED_SECRET_FILE.read_text().strip(), True


SECRET_KEY, SECRET_KEY_IS_GENERATED = _load_secret_key()
DEBUG = _env_bool("WELOOP_DEBUG", default=not IS_PRODUCTION)

if IS_PRODUCTION:
    if SECRET_KEY_IS_GENERATED or SECRET_KEY in _INSECURE_SECRETS or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "WELOOP_ENV=production needs WELOOP_SECRET_KEY: at least 50 random characters "
            "(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    if DEBUG:
        raise ImproperlyConfigured("WELOOP_ENV=production refuses to start with WELOOP_DEBUG on.")

PUBLIC_URL = os.environ.get("WELOOP_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
WECHAT_MODE = os.environ.get("WELOOP_WECHAT_MODE", "simulator").strip().lower()
if WECHAT_MODE not in {"simulator", "live"}:
    raise ImproperlyConfigured("WELOOP_WECHAT_MODE must be 'simulator' or 'live'.")

# Where the platform finds WeChat. In simulator mode these point at our own /simulator/, which
# speaks the same protocol over HTTP; the platform code never knows which one it talks to.
if WECHAT_MODE == "simulator":
    _sim = os.environ.get("WELOOP_SIMULATOR_URL", PUBLIC_URL + "/simulator").rstrip("/")
    _wechat_defaults = {"API": _sim + "/api", "OPEN": _sim + "/open", "MP": _sim + "/mp", "PAY": _sim + "/pay"}
else:
    _wechat_defaults = {
        "API": "https://api.weixin.qq.com",
        "OPEN": "https://open.weixin.qq.com",
        "MP": "https://mp.weixin.qq.com",
        "PAY": "https://api.mch.weixin.qq.com",
    }
WECHAT_API_BASE = os.environ.get("WELOOP_WECHAT_API_BASE", _wechat_defaults["API"]).rstrip("/")
WECHAT_OPEN_BASE = os.environ.get("WELOOP_WECHAT_OPEN_BASE", _wechat_defaults["OPEN"]).rstrip("/")
WECHAT_MP_BASE = os.environ.get("WELOOP_WECHAT_MP_BASE", _wechat_defaults["MP"]).rstrip("/")
WECHAT_PAY_BASE = os.environ.get("WELOOP_WECHAT_PAY_BASE", _wechat_defaults["PAY"]).rstrip("/")
WECHAT_HTTP_TIMEOUT = float(os.environ.get("WELOOP_WECHAT_HTTP_TIMEOUT", "5"))

_public_host = PUBLIC_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("WELOOP_ALLOWED_HOSTS", "").split(",") if h.strip()] or [
    _public_host,
    "127.0.0.1",
    "localhost",
    "testserver",
]
CSRF_TRUSTED_ORIGINS = [PUBLIC_URL] if PUBLIC_URL.startswith("https://") else []

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "huey.contrib.djhuey",
    "weloop.core",
    "weloop.tenants",
    "weloop.stores",
    "weloop.catalog",
    "weloop.inventory",
    "weloop.payments",
    "weloop.reviews",
    "weloop.vouchers",
    "weloop.orders",
    "weloop.bookings",
    "weloop.members",
    "weloop.coupons",
    "weloop.loyalty",
    "weloop.messaging",
    "weloop.discovery",
    "weloop.flashsales",
    "weloop.service_desk",
    "weloop.analytics",
    "weloop.referrals",
    "weloop.presales",
    "weloop.engagement",
    "weloop.tagging",
    "weloop.segments",
    "weloop.marketing",
    "weloop.gateway",
    "weloop.api",
    "weloop.dashboard",
    "weloop.storefront",
    "weloop.clerk",
    "weloop.platform_console",
    "weloop.simulator",
]

MIDDLEWARE = [
    "weloop.core.middleware.RequestSizeLimitMiddleware",
    "weloop.core.middleware.LeanPathMiddleware",  # /wechat/ skips everything below
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "weloop.core.middleware.WeloopErrorMiddleware",
]

# Machine-to-machine paths served without sessions, auth, CSRF, messages or locale (LeanPathMiddleware).
# The flash-sale API too: a crowd of API calls authenticated by key, where the sold-out answer must
# cost well under a millisecond (API errors are then in LANGUAGE_CODE, not the Accept-Language).
# The simulator's WeChat API too (/simulator/api/: JSON with an access_token, no cookies), as WeChat's
# servers would answer it.
WELOOP_LEAN_PATHS = ("/wechat/", "/api/v1/flash-sales/", "/simulator/api/")

ROOT_URLCONF = "weloop.urls"
WSGI_APPLICATION = "weloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["weloop.core.templatetags.weloop_tags"],
        },
    }
]

# --- database -------------------------------------------------------------------------------
_default_sqlite = f"sqlite:///{DATA_DIR / 'weloop.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or _default_sqlite
# Connections persist (60 s). Health checks are off by default: Django's costs a `SELECT 1` round
# trip on every request that touches the database (as long as the WeChat callback's one INSERT on
# PostgreSQL). Without them, a connection broken by a database restart fails one request per
# server thread (a 500: WeChat retries a callback) and is then replaced. WELOOP_DB_HEALTH_CHECKS=1
# turns them on.
_db_health_checks = _env_bool("WELOOP_DB_HEALTH_CHECKS", default=False)
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=_db_health_checks)}
DATABASE_IS_SQLITE = DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3"
if DATABASE_IS_SQLITE:
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at BEGIN so two
    # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
    DATABASES["default"]["CONN_MAX_AGE"] = 600  # one connection per server thread; PRAGMAs run once
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-weloop.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- redis, cache and the queue ------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A file cache is shared by every web and worker process on the machine (locmem is not), which
    # the WeChat access_token needs: two processes each fetching a token would invalidate each other.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(DATA_DIR / "cache"),
        }
    }

_huey_immediate = _env_bool("WELOOP_QUEUE_IMMEDIATE", default=False)
if REDIS_URL:
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("WELOOP_QUEUE_NAME", "weloop"),
        "url": REDIS_URL,
        "immediate": _huey_immediate,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": os.environ.get("WELOOP_QUEUE_NAME", "weloop"),
        "filename": str(DATA_DIR / "queue.sqlite3"),
        "immediate": _huey_immediate,
        "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
    }

# --- auth, sessions, security ---------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/dashboard/"
LOGOUT_REDIRECT_URL = "/accounts/login/"
CSRF_FAILURE_VIEW = "weloop.core.views.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if IS_PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _env_bool("WELOOP_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = int(os.environ.get("WELOOP_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# A request body larger than this is refused with 413 before anything reads it.
WELOOP_MAX_REQUEST_BYTES = int(os.environ.get("WELOOP_MAX_REQUEST_BYTES", str(2 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = WELOOP_MAX_REQUEST_BYTES

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("WELOOP_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise warns on every request without it
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Serve straight from the app folders: no collectstatic step between `git pull` and `serve`.
WHITENOISE_USE_FINDERS = True
# Autorefresh rescans every static folder on every request (a 5x slowdown measured by make bench):
# only for someone editing static files with the server running.
WHITENOISE_AUTOREFRESH = _env_bool("WELOOP_STATIC_AUTOREFRESH", default=False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("WELOOP_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # run_huey installs its own handler; do not print every line twice.
        "huey": {"handlers": [], "propagate": False},
    },
}

NINJA_PAGINATION_PER_PAGE = 50
