"""Django settings for clientvault, read from the environment (12-factor).

Environments (``CLIENTVAULT_ENV``): ``development`` (default), ``demo``, ``test``, ``production``.
System checks in ``checks.py`` refuse unsafe combinations in production.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(os.environ.get("CLIENTVAULT_HOME", Path.cwd())).resolve()
VAR_DIR = Path(os.environ.get("CLIENTVAULT_VAR_DIR", BASE_DIR / "var"))


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


CLIENTVAULT_ENV = os.environ.get("CLIENTVAULT_ENV", "development")
IS_PRODUCTION = CLIENTVAULT_ENV == "production"
# A demo database may print one-time codes for the seeded users; never in production.
CLIENTVAULT_DEMO = _env_bool("CLIENTVAULT_DEMO", CLIENTVAULT_ENV in {"demo", "development"})

DEV_SECRET_KEY = "clientvault-insecure-development-key-do-not-use-in-production"
# A missing key falls back to the development key, which the production check refuses (E002).
SECRET_KEY = os.environ.get("CLIENTVAULT_SECRET_KEY", DEV_SECRET_KEY)
DEBUG = _env_bool("CLIENTVAULT_DEBUG", CLIENTVAULT_ENV == "development")
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("CLIENTVAULT_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [o.strip() for o in os.environ.get("CLIENTVAULT_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "django_countries",  # ISO 3166-1 names in zh-Hans/en for the nationality picker (its catalogue needs the app)
    "clientvault.core",
    "clientvault.accounts",
    "clientvault.audit",
    "clientvault.classification",
    "clientvault.crypto",
    "clientvault.access",
    "clientvault.calendars",
    "clientvault.approvals",
    "clientvault.customers",
    "clientvault.consents",
    "clientvault.assets",
    "clientvault.intake",
    "clientvault.dedupe",
    "clientvault.merges",
    "clientvault.backups",
    "clientvault.lifecycle",
    "clientvault.rights",
    "clientvault.risk",
    "clientvault.home",
    "clientvault.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "clientvault.middleware.RequestIdMiddleware",
    "clientvault.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clientvault.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clientvault.middleware.ActorContextMiddleware",
    "clientvault.middleware.DeniedAccessMiddleware",
    "clientvault.middleware.MfaRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clientvault.middleware.PurposeSwitchMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clientvault.urls"
WSGI_APPLICATION = "clientvault.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clientvault.access.context_processors.navigation",
                "clientvault.home.context_processors.attention",
            ],
        },
    }
]

# --- Database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'clientvault.sqlite3'}")
_conn_max_age = int(os.environ.get("CLIENTVAULT_CONN_MAX_AGE", "60"))
_db = dj_database_url.parse(DATABASE_URL, conn_max_age=_conn_max_age)
if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db["CONN_MAX_AGE"] = 0
    # Reads are audited, so they write: WAL, a busy timeout and IMMEDIATE transactions keep
    # concurrent readers from meeting "database is locked" (ARCHITECTURE.md, pitfalls).
    _db["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    _db.setdefault("TEST", {})["NAME"] = os.environ.get("CLIENTVAULT_TEST_SQLITE", "")
DATABASES = {"default": _db}


def _keys_database(url: str) -> Any:
    """The key store: a separate database, so copies of the data database hold ciphertext only."""
    explicit = os.environ.get("CLIENTVAULT_KEYS_DATABASE_URL", "")
    if explicit:
        cfg = dj_database_url.parse(explicit)
    elif url.startswith("sqlite"):
        cfg = dj_database_url.parse(f"sqlite:///{VAR_DIR / 'keys.sqlite3'}")
    else:
        cfg = dj_database_url.parse(url)
        cfg["NAME"] = f"{cfg['NAME']}_keys"
    if cfg["ENGINE"] != "django.db.backends.sqlite3":
        # Persistent like the data database's: a key read must not cost a new connection per request.
        cfg["CONN_MAX_AGE"] = _db["CONN_MAX_AGE"] if _db["ENGINE"] != "django.db.backends.sqlite3" else _conn_max_age
    if cfg["ENGINE"] == "django.db.backends.sqlite3":
        cfg["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"}
        cfg.setdefault("TEST", {})["NAME"] = ""
    return cfg


DATABASES["keys"] = _keys_database(DATABASE_URL)
DATABASE_ROUTERS = ["clientvault.crypto.router.KeyStoreRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "clientvault.accounts.passwords.CharacterClassValidator", "OPTIONS": {"min_classes": 3}},
    {"NAME": "clientvault.accounts.passwords.UsernameInPasswordValidator"},
    # A new password may be none of the last CLIENTVAULT_PASSWORD_HISTORY (the current one included).
    {
        "NAME": "clientvault.accounts.passwords.PasswordHistoryValidator",
        "OPTIONS": {"keep": int(os.environ.get("CLIENTVAULT_PASSWORD_HISTORY", "5"))},
    },
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "customers:list"
LOGOUT_REDIRECT_URL = "accounts:login"

# Roles that must pass a TOTP second factor (issue #2; configurable, not a constant).
CLIENTVAULT_MFA_REQUIRED_ROLES = [
    r.strip() for r in os.environ.get("CLIENTVAULT_MFA_REQUIRED_ROLES", "compliance_officer,auditor,administrator").split(",") if r.strip()
]
OTP_TOTP_ISSUER = "clientvault"

AXES_FAILURE_LIMIT = int(os.environ.get("CLIENTVAULT_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = float(os.environ.get("CLIENTVAULT_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "clientvault.accounts.views.lockout_response"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False
# Per-address throttle against password spraying (the lockout above is per account and address): after this many
# failed sign-ins from one address, whatever usernames were typed, within the window, the address is refused.
CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT = int(os.environ.get("CLIENTVAULT_LOGIN_ADDRESS_FAILURE_LIMIT", "20"))
CLIENTVAULT_LOGIN_ADDRESS_WINDOW_MINUTES = int(os.environ.get("CLIENTVAULT_LOGIN_ADDRESS_WINDOW_MINUTES", "15"))

# --- Sessions and cookies -------------------------------------------------------------------
SECURE_COOKIES = _env_bool("CLIENTVAULT_SECURE_COOKIES", IS_PRODUCTION)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(os.environ.get("CLIENTVAULT_SESSION_SECONDS", str(8 * 3600)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_NAME = "cv_session"
CSRF_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_NAME = "cv_csrftoken"
CSRF_FAILURE_VIEW = "clientvault.core.views.csrf_failure"
LANGUAGE_COOKIE_NAME = "cv_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# HTTPS only in production: either Django redirects plain HTTP (the default), or the reverse proxy terminates TLS
# and redirects itself — then say so with CLIENTVAULT_TLS_TERMINATED_BY_PROXY=true, which also trusts the proxy's
# X-Forwarded-Proto (SECURE_PROXY_SSL_HEADER). The production check refuses neither (clientvault.E019).
CLIENTVAULT_TLS_TERMINATED_BY_PROXY = _env_bool("CLIENTVAULT_TLS_TERMINATED_BY_PROXY", False)
SECURE_SSL_REDIRECT = _env_bool("CLIENTVAULT_SSL_REDIRECT", IS_PRODUCTION and not CLIENTVAULT_TLS_TERMINATED_BY_PROXY)
SECURE_REDIRECT_EXEMPT = [r"^health$"]  # the load balancer's probe may speak plain HTTP
SECURE_HSTS_SECONDS = int(os.environ.get("CLIENTVAULT_HSTS_SECONDS", "31536000" if IS_PRODUCTION else "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _env_bool("CLIENTVAULT_HSTS_INCLUDE_SUBDOMAINS", True)
if _env_bool("CLIENTVAULT_BEHIND_PROXY", False) or CLIENTVAULT_TLS_TERMINATED_BY_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- i18n -----------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("CLIENTVAULT_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True
# Nationality picker (django-countries, ISO 3166-1 alpha-2): China and its regions first, named as Chinese
# official usage names them.
COUNTRIES_FIRST = ["CN", "HK", "MO", "TW"]
COUNTRIES_OVERRIDE = {"HK": _("Hong Kong, China"), "MO": _("Macao, China"), "TW": _("Taiwan, China")}

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("CLIENTVAULT_STATIC_ROOT", VAR_DIR / "static"))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if CLIENTVAULT_ENV in {"development", "test"}:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
WHITENOISE_USE_FINDERS = CLIENTVAULT_ENV in {"development", "test"}
# Tests build a new request handler with every test client, and WhiteNoise without autorefresh stats and
# indexes every static file when its middleware is built: a quarter of the permission matrix's time (issue #12).
# With autorefresh (as in development) a static file is looked up when it is asked for.
WHITENOISE_AUTOREFRESH = DEBUG or CLIENTVAULT_ENV == "test"

# --- Keys (issue #3; ARCHITECTURE.md rule 6) ------------------------------------------------
# The master secret protects the keyset files; in production it comes from the environment and the
# system check refuses the development value. Or an AES-256 key in an HSM (PKCS#11) does, when
# CLIENTVAULT_PKCS11_MODULE names the module (the check refuses a token it cannot open).
from clientvault.crypto.kek import DEV_MASTER_KEY  # noqa: E402

# Customer assets (issue #13): the institution's reporting currency, and when an asset changing often raises an alert.
CLIENTVAULT_BASE_CURRENCY = os.environ.get("CLIENTVAULT_BASE_CURRENCY", "CNY")
CLIENTVAULT_ASSET_ALERT_CHANGES = int(os.environ.get("CLIENTVAULT_ASSET_ALERT_CHANGES", "20"))
CLIENTVAULT_ASSET_ALERT_HOURS = int(os.environ.get("CLIENTVAULT_ASSET_ALERT_HOURS", "24"))
# Credit reviews (issue #16): a periodic review opens this many days before the file's next review date (unverified: a setting).
CLIENTVAULT_RISK_REVIEW_LEAD_DAYS = int(os.environ.get("CLIENTVAULT_RISK_REVIEW_LEAD_DAYS", "14"))

CLIENTVAULT_MASTER_KEY = os.environ.get("CLIENTVAULT_MASTER_KEY", DEV_MASTER_KEY)
CLIENTVAULT_PKCS11_MODULE = os.environ.get("CLIENTVAULT_PKCS11_MODULE", "")
CLIENTVAULT_PKCS11_TOKEN_LABEL = os.environ.get("CLIENTVAULT_PKCS11_TOKEN_LABEL", "")
CLIENTVAULT_PKCS11_PIN = os.environ.get("CLIENTVAULT_PKCS11_PIN", "")
CLIENTVAULT_PKCS11_PIN_FILE = os.environ.get("CLIENTVAULT_PKCS11_PIN_FILE", "")
CLIENTVAULT_PKCS11_KEY_LABEL = os.environ.get("CLIENTVAULT_PKCS11_KEY_LABEL", "clientvault-kek")
CLIENTVAULT_KEYS_DIR = os.environ.get("CLIENTVAULT_KEYS_DIR", str(VAR_DIR / "keys"))
# Outside production a missing keyset is created on first use; production needs `clientvault keys init`.
CLIENTVAULT_AUTO_INIT_KEYS = _env_bool("CLIENTVAULT_AUTO_INIT_KEYS", not IS_PRODUCTION)
CLIENTVAULT_KEY_CACHE_SECONDS = float(os.environ.get("CLIENTVAULT_KEY_CACHE_SECONDS", "60"))

# --- Access (issue #3) ----------------------------------------------------------------------
# JR/T 0171 Annex A's exact masking positions are unverified (RULES.md §12 caveat): kept lengths are
# configuration, e.g. CLIENTVAULT_MASKING='{"mobile_keep_first": 3, "mobile_keep_last": 4}'.
CLIENTVAULT_MASKING = json.loads(os.environ.get("CLIENTVAULT_MASKING", "{}") or "{}")
# Break-glass: the longest window one request may open, in minutes [M: set by the institution's policy].
CLIENTVAULT_BREAK_GLASS_MAX_MINUTES = int(os.environ.get("CLIENTVAULT_BREAK_GLASS_MAX_MINUTES", "60"))
# How long a revealed value stays on screen before it is masked again.
CLIENTVAULT_REVEAL_SECONDS = int(os.environ.get("CLIENTVAULT_REVEAL_SECONDS", "30"))
# The most customers one export may hold (a larger one is refused and the user asked to narrow the filters).
CLIENTVAULT_EXPORT_MAX_ROWS = int(os.environ.get("CLIENTVAULT_EXPORT_MAX_ROWS", "10000"))

# --- Audit trail (issue #4) ---------------------------------------------------------------------
# The Ed25519 checkpoint-signing keyset lives beside the other keysets, never in the database.
CLIENTVAULT_AUDIT_SIGNING_KEYSET = os.environ.get(
    "CLIENTVAULT_AUDIT_SIGNING_KEYSET", str(Path(CLIENTVAULT_KEYS_DIR) / "audit-signing.keyset.json")
)
# Names this deployment's log in every checkpoint, so checkpoints of two installations never mix.
CLIENTVAULT_AUDIT_ORIGIN = os.environ.get("CLIENTVAULT_AUDIT_ORIGIN", "clientvault")
# External witness: a file path (JSON lines appended) or an http(s) URL (JSON POSTed); empty = none.
CLIENTVAULT_AUDIT_WITNESS = os.environ.get(
    "CLIENTVAULT_AUDIT_WITNESS", "" if CLIENTVAULT_ENV in {"production", "test"} else str(VAR_DIR / "audit-witness.jsonl")
)
# Events per sealing transaction (one signed checkpoint each), and how often the worker seals.
CLIENTVAULT_AUDIT_SEAL_BATCH = int(os.environ.get("CLIENTVAULT_AUDIT_SEAL_BATCH", "5000"))
CLIENTVAULT_AUDIT_SEAL_SECONDS = int(os.environ.get("CLIENTVAULT_AUDIT_SEAL_SECONDS", "2"))
# ``audit verify`` checks leaves against event rows in this many worker processes on a large log.
CLIENTVAULT_AUDIT_VERIFY_WORKERS = int(os.environ.get("CLIENTVAULT_AUDIT_VERIFY_WORKERS", "2"))
# A transaction open longer than this may commit an event the incremental sealer no longer looks
# for; the hourly full sweep (and ``audit seal --full``) seals it, and ``audit verify`` reports it.
CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS = int(os.environ.get("CLIENTVAULT_AUDIT_SEAL_GRACE_SECONDS", "120"))
# Retention per event class in days (CSL-21-logs: network logs >= 6 months [M]). No class may go
# below the minimum; the system check refuses it. Archived events leave a file with their proofs.
CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS = int(os.environ.get("CLIENTVAULT_AUDIT_RETENTION_MIN_DAYS", "183"))
CLIENTVAULT_AUDIT_RETENTION_DAYS = {
    "read": 1095,
    "write": 1825,
    "security": 1095,
    **json.loads(os.environ.get("CLIENTVAULT_AUDIT_RETENTION_DAYS", "{}") or "{}"),
}
CLIENTVAULT_AUDIT_ARCHIVE_DIR = os.environ.get("CLIENTVAULT_AUDIT_ARCHIVE_DIR", str(VAR_DIR / "audit-archive"))
# The largest evidence pack (events with their proofs) one export may hold; a larger one is refused
# and the user asked to narrow the customer or time range (the pack is built in memory).
CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS = int(os.environ.get("CLIENTVAULT_AUDIT_EVIDENCE_MAX_EVENTS", "50000"))

# A denied access (404: missing or out of scope) leaves an ``access.denied`` event; past this many per
# actor and minute the rest are counted into one ``access.denied_suppressed`` event (a flood of 404s
# must not become a flood of audit rows).
CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE = int(os.environ.get("CLIENTVAULT_AUDIT_DENIED_MAX_PER_MINUTE", "30"))

# --- Consent (issue #5) ---------------------------------------------------------------------------
# PIPL-31: under this age a guardian consents (RULES.md: under 14 [V]; GB/T 35273 reads "14 and under").
CLIENTVAULT_CONSENT_CHILD_AGE = int(os.environ.get("CLIENTVAULT_CONSENT_CHILD_AGE", "14"))
# Purposes whose consent names recipients (PIPL-23) or a destination country (PIPL-39), by purpose code.
CLIENTVAULT_CONSENT_THIRD_PARTY_PURPOSES = os.environ.get("CLIENTVAULT_CONSENT_THIRD_PARTY_PURPOSES", "partner_sharing").split(",")
CLIENTVAULT_CONSENT_CROSS_BORDER_PURPOSES = os.environ.get("CLIENTVAULT_CONSENT_CROSS_BORDER_PURPOSES", "cross_border_transfer").split(",")
# The largest evidence scan a counter may upload (a signed form, PDF or image).
CLIENTVAULT_CONSENT_EVIDENCE_MAX_BYTES = int(os.environ.get("CLIENTVAULT_CONSENT_EVIDENCE_MAX_BYTES", str(5 * 1024 * 1024)))

# --- Review on entry (issue #13) -------------------------------------------------------------------
# Which new customers enter as pending compliance review: "all", "core" (core customers only),
# "high_risk" (core, non-resident or foreign customers, credit codes needing review) or "none".
CLIENTVAULT_ENTRY_REVIEW = os.environ.get("CLIENTVAULT_ENTRY_REVIEW", "all")

# On-entry duplicate check (issue #14, customers/matching.py). [M] What an exact match on an identifier does:
# "block" refuses the record, "warn" asks the user to confirm (ID number and credit code are unique in the
# database, so they stay "block"; the system check refuses anything else). Likely matches (name, pinyin,
# birth date, mobile tail…) are scored with per-key weights against a threshold.
CLIENTVAULT_DUPLICATE_RULES = json.loads(
    os.environ.get("CLIENTVAULT_DUPLICATE_RULES", "") or '{"id_number": "block", "uscc": "block", "mobile": "warn", "email": "warn"}'
)
CLIENTVAULT_DUPLICATE_WEIGHTS = json.loads(os.environ.get("CLIENTVAULT_DUPLICATE_WEIGHTS", "{}") or "{}")
CLIENTVAULT_DUPLICATE_THRESHOLD = float(os.environ.get("CLIENTVAULT_DUPLICATE_THRESHOLD", "0.5"))


# --- Customer portal (issue #5) ---------------------------------------------------------------------
# Where one-time codes go: a dotted path to a sender class (rights/senders.py). The file and console
# senders are for development and the demo; production needs an SMS or e-mail gateway (system check).
CLIENTVAULT_PORTAL_SENDER = os.environ.get(
    "CLIENTVAULT_PORTAL_SENDER",
    "clientvault.rights.senders.EmailSender" if IS_PRODUCTION else "clientvault.rights.senders.FileSender",
)
CLIENTVAULT_PORTAL_OUTBOX = os.environ.get("CLIENTVAULT_PORTAL_OUTBOX", str(VAR_DIR / "portal-outbox.jsonl"))
CLIENTVAULT_PORTAL_CODE_SECONDS = int(os.environ.get("CLIENTVAULT_PORTAL_CODE_SECONDS", "300"))
CLIENTVAULT_PORTAL_CODE_ATTEMPTS = int(os.environ.get("CLIENTVAULT_PORTAL_CODE_ATTEMPTS", "5"))
# Codes asked for per identifier and per client address within an hour (rate limits).
CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR = int(os.environ.get("CLIENTVAULT_PORTAL_CODES_PER_IDENTIFIER_HOUR", "5"))
CLIENTVAULT_PORTAL_CODES_PER_IP_HOUR = int(os.environ.get("CLIENTVAULT_PORTAL_CODES_PER_IP_HOUR", "30"))
# A portal session ends after this many idle minutes.
CLIENTVAULT_PORTAL_SESSION_MINUTES = int(os.environ.get("CLIENTVAULT_PORTAL_SESSION_MINUTES", "15"))

# Data-subject requests (issue #15). The deadlines themselves are data (rights.DeadlinePolicy). [M] values:
# a request "due soon" on the dashboard within this many days; a failed part is retried this many times,
# waiting base * 2^(attempt-1) seconds (capped at an hour) between attempts; a part "running" longer than
# this many seconds was abandoned by a dead worker and runs again.
CLIENTVAULT_RIGHTS_DUE_SOON_DAYS = int(os.environ.get("CLIENTVAULT_RIGHTS_DUE_SOON_DAYS", "3"))
CLIENTVAULT_RIGHTS_PART_MAX_ATTEMPTS = int(os.environ.get("CLIENTVAULT_RIGHTS_PART_MAX_ATTEMPTS", "5"))
CLIENTVAULT_RIGHTS_RETRY_BASE_SECONDS = int(os.environ.get("CLIENTVAULT_RIGHTS_RETRY_BASE_SECONDS", "60"))
CLIENTVAULT_RIGHTS_PART_STALE_SECONDS = int(os.environ.get("CLIENTVAULT_RIGHTS_PART_STALE_SECONDS", "600"))

# --- E-mail (break-glass notices) ---------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "CLIENTVAULT_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if IS_PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("CLIENTVAULT_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CLIENTVAULT_EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("CLIENTVAULT_EMAIL_FROM", "clientvault@localhost")

# --- Background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": os.environ.get("CLIENTVAULT_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# A task still "running" after this long, claimed by a worker on another host, is presumed abandoned
# (a worker on the same host is checked directly: its process is gone or not).
CLIENTVAULT_TASK_ABANDONED_SECONDS = int(os.environ.get("CLIENTVAULT_TASK_ABANDONED_SECONDS", str(6 * 3600)))

# --- Merge and unmerge (issue #14, merges/) --------------------------------------------------------
# [M] An applied merge can be undone (as a change request) within this many days.
CLIENTVAULT_UNMERGE_DAYS = int(os.environ.get("CLIENTVAULT_UNMERGE_DAYS", "30"))

# --- Batch duplicate detection (issue #14, dedupe/) ---------------------------------------------
# [M] Pairs whose Splink match probability reaches this are clustered and queued for review
# (CLIENTVAULT_DUPLICATE_THRESHOLD is the on-entry check's likeness threshold, customers/matching.py).
CLIENTVAULT_DEDUPE_THRESHOLD = float(os.environ.get("CLIENTVAULT_DEDUPE_THRESHOLD", "0.95"))
# DuckDB runs in memory with spilling to disk disabled (decrypted values never reach a file): the scan fails
# rather than spill when it needs more than this. Threads: DuckDB's worker threads (0 = one per core).
CLIENTVAULT_DEDUPE_MEMORY_LIMIT = os.environ.get("CLIENTVAULT_DEDUPE_MEMORY_LIMIT", "5GB")
CLIENTVAULT_DEDUPE_THREADS = int(os.environ.get("CLIENTVAULT_DEDUPE_THREADS", "0"))

# --- Backups (issue #15, backups/) ---------------------------------------------------------------
# Encrypted backups go here; their per-backup keys live under CLIENTVAULT_KEYS_DIR/backups, never beside them.
CLIENTVAULT_BACKUP_DIR = os.environ.get("CLIENTVAULT_BACKUP_DIR", str(VAR_DIR / "backups"))
# [M] How often the worker re-wraps key-store backups without the customers deleted since, and the margin
# (a worker that was down, a slow run) added to it: their sum is the window stated on deletion certificates.
CLIENTVAULT_BACKUP_PURGE_INTERVAL_MINUTES = int(os.environ.get("CLIENTVAULT_BACKUP_PURGE_INTERVAL_MINUTES", "60"))
CLIENTVAULT_BACKUP_PURGE_MARGIN_MINUTES = int(os.environ.get("CLIENTVAULT_BACKUP_PURGE_MARGIN_MINUTES", "60"))
# [M] Key-store backups older than this are destroyed (their key first); data backups hold ciphertext only.
CLIENTVAULT_KEYSTORE_BACKUP_RETENTION_DAYS = int(os.environ.get("CLIENTVAULT_KEYSTORE_BACKUP_RETENTION_DAYS", "35"))

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 25
NINJA_PAGINATION_MAX_LIMIT = 200
CLIENTVAULT_API_TOKEN_DAYS = int(os.environ.get("CLIENTVAULT_API_TOKEN_DAYS", "90"))
# A token acts without the second factor: tokens of users whose roles require one live at most this long.
CLIENTVAULT_API_TOKEN_MFA_MAX_DAYS = int(os.environ.get("CLIENTVAULT_API_TOKEN_MFA_MAX_DAYS", "90"))

# --- Logging: never personal data (ARCHITECTURE.md pitfalls) ---------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "clientvault.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("CLIENTVAULT_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},  # its INFO lines are per-page progress (rights/package_pdf.py)
        "fontTools": {"level": "WARNING"},
    },
}

# Imports (issue #14): uploaded files are kept encrypted here until their batch is done or undone.
CLIENTVAULT_IMPORT_DIR = os.environ.get("CLIENTVAULT_IMPORT_DIR", str(VAR_DIR / "imports"))
CLIENTVAULT_IMPORT_CHUNK = int(os.environ.get("CLIENTVAULT_IMPORT_CHUNK", "2000"))  # rows per transaction
CLIENTVAULT_IMPORT_UNDO_DAYS = int(os.environ.get("CLIENTVAULT_IMPORT_UNDO_DAYS", "7"))  # [M] an import can be undone this long

# Working-day calendar (issue #15): how often (seconds) a process checks whether another process changed the
# calendar table; its own edits take effect at once. 0 checks on every computation.
CLIENTVAULT_CALENDAR_RECHECK_SECONDS = float(os.environ.get("CLIENTVAULT_CALENDAR_RECHECK_SECONDS", "2"))
# Access package (issue #15, rights/package.py): the most recent access events listed one by one in a person's
# access package (all of them are counted and summarised by purpose and role); [M] a policy choice, not a law.
CLIENTVAULT_ACCESS_PACKAGE_MAX_EVENTS = int(os.environ.get("CLIENTVAULT_ACCESS_PACKAGE_MAX_EVENTS", "5000"))
# The printed copy lists at most this many of them (WeasyPrint lays out every table cell: ~1,000 cells a
# second here); the JSON and CSV copies list them all. [M]
CLIENTVAULT_ACCESS_PACKAGE_PDF_EVENTS = int(os.environ.get("CLIENTVAULT_ACCESS_PACKAGE_PDF_EVENTS", "300"))
# Data lifecycle (issue #15). A deletion on request goes to a compliance officer other than the maker as a change
# request ``lifecycle.erase`` (PIPL-47; "where configured"); the retention sweep deletes without one.
CLIENTVAULT_DELETION_APPROVAL = _env_bool("CLIENTVAULT_DELETION_APPROVAL", True)
CLIENTVAULT_SWEEP_CHUNK = int(os.environ.get("CLIENTVAULT_SWEEP_CHUNK", "500"))  # customers per sweep transaction [M]
