"""Newsroom settings, read from the environment.

Defaults are safe for production (DEBUG off, HTTPS-only cookies); the demo
(`make run`) and the test settings turn on what local work needs.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG")

# Required to serve without DEBUG: Django refuses to sign anything (sessions, CSRF) with an empty key.
# Commands that need no key (migrations, imports, exports) still run without one.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-local-development-key-" + "x" * 40

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "articles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "articles.middleware.PrivatePagesMiddleware",
    "articles.middleware.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "articles.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "newsroom.urls"

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

WSGI_APPLICATION = "newsroom.wsgi.application"


def database_settings() -> dict:
    """PostgreSQL when DATABASE_URL is set; otherwise a SQLite file tuned for a web app.

    SQLite gets WAL (readers never block the importer), a busy timeout and
    IMMEDIATE transactions (writers queue instead of failing on upgrade).
    """
    url = os.environ.get("DATABASE_URL")
    if url:
        config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
        if config["ENGINE"] == "django.db.backends.sqlite3":
            config.update(sqlite_options())
        return config
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
        **sqlite_options(),
    }


def sqlite_options() -> dict:
    return {
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-64000;"
            ),
        }
    }


DATABASES = {"default": database_settings()}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": "newsroom",
    }
}
if os.environ.get("REDIS_URL"):
    CACHES["default"] = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["REDIS_URL"],
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "articles:dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# One date format for every page, the admin's included (newsroom/formats/en/formats.py).
FORMAT_MODULE_PATH = ["newsroom.formats"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Without DEBUG, `collectstatic` fills STATIC_ROOT and whitenoise serves it; locally it reads the apps' folders.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# HTTPS hardening: on by default, off only when explicitly asked (local demo, tests).
HTTPS = env_bool("HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if env_bool("BEHIND_PROXY") else None
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Behind a reverse proxy: the request header carrying the client address (e.g. HTTP_X_FORWARDED_FOR), for login throttling.
CLIENT_ADDRESS_HEADER = os.environ.get("CLIENT_ADDRESS_HEADER", "")

# Login throttling: failed attempts per (username, client address) before a lock-out.
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_SECONDS = int(os.environ.get("LOGIN_LOCKOUT_SECONDS", "900"))

# The public site the feeds link to as their home page (the dashboard at / is for editors only).
PUBLIC_SITE_URL = os.environ.get("PUBLIC_SITE_URL", "")

# The site the imported files come from: site-relative image and logo paths (/assets/x.jpg) are shown resolved
# against it. Unset, they are kept and exported but not shown (no broken images).
SOURCE_SITE_URL = os.environ.get("SOURCE_SITE_URL", "")

# Import limits (also command-line options of import_articles).
IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(1024 * 1024)))
# Story clusters (articles.clustering): on at import; how alike titles must be, how many days apart at most.
STORY_CLUSTERS = env_bool("STORY_CLUSTERS", True)
CLUSTER_THRESHOLD = float(os.environ.get("CLUSTER_THRESHOLD", "0.5"))
CLUSTER_DAYS = float(os.environ.get("CLUSTER_DAYS", "3"))

# One line per event: everything goes to one console handler at the root. Django's own "django" logger would
# print each of its lines a second time with DEBUG (its console handler), so it only passes records up; runserver's
# request lines ("django.server") go to the same handler, once. A refused request (4xx) is logged without its
# traceback; server errors keep theirs.
LOG_LEVEL = os.environ.get("LOG_LEVEL", "WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_without_traceback": {"()": "newsroom.log_filters.ClientErrorsWithoutTraceback"}},
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler", "formatter": "line", "filters": ["client_errors_without_traceback"],
        },
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},  # runserver's request lines
    },
}
