"""Tribune settings, chosen by environment variables only.

Two configurations (see DESIGN.md):

* embedded default (`make run`, `make test`): SQLite under var/, in-memory channel
  layer, local-memory cache, e-mails on the console, tasks run immediately;
* production-like, as soon as DATABASE_URL or REDIS_URL is set: PostgreSQL through
  psycopg 3 and its pool, channels-redis, Redis cache, SMTP, tasks in the database
  worker.

docs/operations.md lists every variable.
"""

from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.text("TRIBUNE_VAR_DIR") or BASE_DIR / "var")
VAR_DIR.mkdir(parents=True, exist_ok=True)

DATABASE_URL = env.text("DATABASE_URL")
REDIS_URL = env.text("REDIS_URL")
PRODUCTION_LIKE = bool(DATABASE_URL or REDIS_URL)

# Debug pages only when a developer asks for them (`make dev`, DJANGO_DEBUG=true): even
# `make run` serves like production (French error pages, no tracebacks).
DEBUG = env.flag("DJANGO_DEBUG", default=False)
# Served behind HTTPS: production-like and not debugging. `make run` speaks plain HTTP
# on loopback with DEBUG off, so HTTPS redirects, secure cookies and https links in
# e-mails follow this, not DEBUG.
HTTPS = PRODUCTION_LIKE and not DEBUG


def local_secret_key(folder: Path) -> str:
    """The embedded configuration's key: drawn once and kept in var/ (never committed),
    so a fresh clone runs with DEBUG off and sessions survive restarts."""
    import secrets

    path = folder / "secret_key"
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        key = ""
    if len(key) < 50:
        key = secrets.token_urlsafe(50)
        path.write_text(key)
        path.chmod(0o600)
    return key


SECRET_KEY = env.text("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.words("DJANGO_ALLOWED_HOSTS")
if not PRODUCTION_LIKE or DEBUG:
    # Embedded configuration or debugging: nothing to set for a run on this machine.
    SECRET_KEY = SECRET_KEY or local_secret_key(VAR_DIR)
    ALLOWED_HOSTS = ALLOWED_HOSTS or ["127.0.0.1", "localhost", "[::1]", "testserver"]
else:
    missing = [
        name
        for name, value in (
            ("DJANGO_SECRET_KEY", SECRET_KEY),
            ("DJANGO_ALLOWED_HOSTS", ALLOWED_HOSTS),
        )
        if not value
    ]
    if missing:
        raise ImproperlyConfigured(
            "Tribune refuse de démarrer avec DEBUG désactivé sans "
            + " ni ".join(missing)
            + ". Définissez DJANGO_SECRET_KEY (au moins 50 caractères aléatoires, par exemple "
            'python -c "import secrets; print(secrets.token_urlsafe(50))") et '
            "DJANGO_ALLOWED_HOSTS (les noms de domaine du site, séparés par des virgules)."
        )
if len(SECRET_KEY) < 50:
    raise ImproperlyConfigured(
        "DJANGO_SECRET_KEY est trop courte : il faut au moins 50 caractères aléatoires."
    )

CSRF_TRUSTED_ORIGINS = env.words("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    # Tribune, top of the layering first (DESIGN.md).
    "participation",
    "cms",
    "consent",
    "accounts",
    # Wagtail
    "wagtail.contrib.settings",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.sitemaps",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    # Accounts
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    # Live updates, cookies, background tasks
    "channels",
    "cookie_consent",
    "django_tasks",
    "django_tasks_db",
    # Django
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.forms",  # its widget templates, for the project's form renderer below
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.humanize",  # allauth's session list (« Mes sessions »)
]

MIDDLEWARE = [
    # First, so every answer gets its headers, error pages included.
    "cms.middleware.SecurityHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before the session middleware: it drops cookies holding control characters and
    # refuses addresses holding a null character (see cms.middleware).
    "cms.middleware.ControlCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cms.middleware.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "cms.middleware.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # Staff roles count only in a session that passed the second factor; the admin
    # answers accordingly (after authentication and allauth's middleware).
    "accounts.middleware.StaffSecondFactorMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # Consent cookie first (it drops a forged or expired choice), then the library's
    # cleaner (removes optional cookies not accepted), then the audience cookie.
    "consent.middleware.ConsentCookieMiddleware",
    "consent.middleware.CleanCookiesMiddleware",
    "consent.middleware.AudienceMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Anonymous pages built once and served from the cache (after everything that reads
    # the request, before Wagtail's routing: a kept page skips it).
    "cms.pagecache.AnonymousPageCacheMiddleware",
    "cms.middleware.PublishedRouteMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                # Last: placeholders for the CSRF token and CSP nonce of pages built for
                # the anonymous page cache (filled in per response).
                "cms.pagecache.placeholders",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI every sync view runs in a worker thread; without a pool two
        # processes serve no more than one (DESIGN.md, "Measured").
        from psycopg_pool import ConnectionPool

        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": env.number("DATABASE_POOL_MIN", 2),
            "max_size": env.number("DATABASE_POOL_MAX", 20),
            # Seconds a request waits for a connection before the French 503 page.
            "timeout": env.seconds("DATABASE_POOL_TIMEOUT", 10.0),
            # A connection is checked as it leaves the pool (one empty round trip): after
            # PostgreSQL restarted or its backends were terminated, the dead ones are
            # replaced instead of failing one request each.
            "check": ConnectionPool.check_connection,
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "tribune.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while one writer commits; IMMEDIATE takes the
                # write lock up front so concurrent writers wait instead of failing.
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory: the browser tests' server threads open their own
            # connections and must see what the test committed.
            "TEST": {"NAME": VAR_DIR / "test-tribune.sqlite3"},
        }
    }

# The database `make run` uses; tests check they never write to it.
TRIBUNE_DEVELOPMENT_DATABASE = DATABASES["default"]["NAME"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    INSTALLED_APPS.append("django.contrib.postgres")  # Wagtail's full-text index

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, channel layer, tasks ----------------------------------------------------------

# Redis is an accelerator, never a single point of failure (docs/operations.md, « Redis
# en panne »): when it cannot be reached, the cache goes on in each process's memory for
# TRIBUNE_REDIS_RETRY_SECONDS before trying again, and broadcasts are skipped as long
# (readers catch up from the journal, in the database).
TRIBUNE_REDIS_RETRY_SECONDS = env.seconds("TRIBUNE_REDIS_RETRY_SECONDS", 5.0)
# A Redis that does not answer must cost a request a fraction of a second, not the
# system's TCP timeout (about two minutes): connect and read timeouts, and one retry on
# a fresh connection (a pooled one is dead after Redis restarted).
REDIS_CONNECT_TIMEOUT = env.seconds("REDIS_CONNECT_TIMEOUT", 0.5)
REDIS_SOCKET_TIMEOUT = env.seconds("REDIS_SOCKET_TIMEOUT", 1.0)

if REDIS_URL:
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    CACHES = {
        "default": {
            "BACKEND": "cms.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.text("CACHE_KEY_PREFIX", "tribune"),
            "OPTIONS": {
                "RETRY_AFTER": TRIBUNE_REDIS_RETRY_SECONDS,
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
                "retry": Retry(NoBackoff(), 1),
            },
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # The pub/sub layer was ~1.5x faster and lost nothing where the list-based
            # layer dropped whole messages to its 60 s expiry (DESIGN.md, "Measured").
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": 1000,
                        # Not socket_timeout: the subscriber's reads wait for messages.
                        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                    }
                ],
                "prefix": env.text("CHANNELS_PREFIX", "tribune"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
# The version of what public pages remember (cms.queries.remembered): shared by every
# process, so a page published from the admin or by a command shows everywhere at once.
# Without Redis, a file under var/ plays that part between the processes of one machine.
# While Redis is out it raises at once (no per-process fallback: a version only one
# process knows would hide an editor's change from the others); pages then read afresh.
CACHES["published"] = (
    {**CACHES["default"], "OPTIONS": {**CACHES["default"]["OPTIONS"], "FALLBACK": None}}
    if REDIS_URL
    else {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": VAR_DIR / "cache" / "published",
    }
)
# django-cookie-consent's groups, read on every page: kept in each process's memory, so
# pages (and /health/) do not depend on Redis for them. A change of a cookie group in
# the admin reaches other processes within the library's hour of cache.
CACHES["cookie_consent"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "cookie-consent",
}

# Wagtail uses the django-tasks backport, Tribune uses django.tasks; both read TASKS.
if PRODUCTION_LIKE and DATABASE_URL and not env.flag("TASKS_IMMEDIATE", False):
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
else:
    TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}

# --- E-mail (Django 6.1 MAILERS) -------------------------------------------------------------

if env.text("SMTP_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env.text("SMTP_HOST"),
                "port": env.number("SMTP_PORT", 587),
                "username": env.text("SMTP_USER"),
                "password": env.text("SMTP_PASSWORD"),
                "use_tls": env.flag("SMTP_TLS", True),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env.text("DEFAULT_FROM_EMAIL", "Tribune <ne-pas-repondre@tribune.localhost>")
SERVER_EMAIL = env.text("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Accounts ------------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"

ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# consent extends the sign-up form (terms, age, notifications opt-in): accounts sits
# below consent and never imports it.
ACCOUNT_FORMS = {"signup": "consent.forms.SignupForm"}
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if HTTPS else "http"
# allauth's own limits, kept in the cache (Redis in production, shared by all processes).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
ACCOUNT_CHANGE_EMAIL = True  # one address per person: changing it replaces the old one
# Deleting an account asks for the password again unless it was typed in the last 5 min.
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
USERSESSIONS_TRACK_ACTIVITY = False  # no IP/user-agent refresh on every request
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Tribune"
# Every account reaching the Wagtail admin has a second factor (TOTP), typed in the
# session that uses it (accounts.permissions).
TRIBUNE_ADMIN_REQUIRE_SECOND_FACTOR = env.flag("TRIBUNE_ADMIN_REQUIRE_SECOND_FACTOR", True)
# Wagtail's sign-in forms take a password alone: its admin and private pages send people
# to allauth's (config/urls.py also redirects their old addresses), and its admin offers
# no reset form of its own.
# --- FranceConnect (citizens) and ProConnect (agents), OpenID Connect ----------------------
# One allauth app per identity provider, configured by environment variables only; a
# provider whose client id is empty is absent (no button, no address).
SOCIALACCOUNT_ADAPTER = "accounts.adapter.SocialAccountAdapter"
# A first FranceConnect sign-in shows a short form (age, terms of use): the terms are
# accepted by the person, never implied.
SOCIALACCOUNT_AUTO_SIGNUP = False
SOCIALACCOUNT_FORMS = {"signup": "consent.forms.SocialSignupForm"}
# An address received from a provider never opens an existing account: the person signs
# in with their password first and then links FranceConnect (« Mes données »).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_LOGIN_ON_GET = False
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = env.seconds("OIDC_TIMEOUT", 5.0)
SOCIALACCOUNT_OPENID_CONNECT_URL_PREFIX = "oidc"
TRIBUNE_OIDC_ALGORITHMS = env.words("OIDC_ID_TOKEN_ALGORITHMS", "RS256,ES256")
# ProConnect's `acr` values (and `amr` methods) that assert a second factor; such a
# sign-in counts as the admin's second factor (accounts.permissions).
TRIBUNE_PROCONNECT_MFA_ACR = env.words(
    "PROCONNECT_MFA_ACR",
    "eidas2,eidas3,https://proconnect.gouv.fr/assurance/self-asserted-2fa,"
    "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
)
TRIBUNE_PROCONNECT_MFA_AMR = env.words("PROCONNECT_MFA_AMR", "mfa,otp,totp,pop")


def _oidc_app(provider_id, name, prefix, *, scope, acr_values):
    client_id = env.text(f"{prefix}_CLIENT_ID")
    if not client_id:
        return None
    return {
        "provider_id": provider_id,
        "name": name,
        "client_id": client_id,
        "secret": env.text(f"{prefix}_SECRET"),
        "settings": {
            "server_url": env.text(f"{prefix}_ISSUER"),
            "oauth_pkce_enabled": True,
            "scope": env.words(f"{prefix}_SCOPES", scope),
            "auth_params": {"acr_values": v}
            if (v := env.text(f"{prefix}_ACR_VALUES", acr_values))
            else {},
            # Both providers check every address they send.
            "email_verified": True,
        },
    }


_OIDC_APPS = [
    app
    for app in (
        _oidc_app(
            "franceconnect",
            "FranceConnect",
            "FRANCECONNECT",
            scope="openid,email",
            acr_values="eidas1",
        ),
        _oidc_app(
            "proconnect", "ProConnect", "PROCONNECT", scope="openid,email,uid", acr_values=""
        ),
    )
    if app
]
OIDC_ORIGINS = sorted(
    {
        "{0.scheme}://{0.netloc}".format(urlsplit(app["settings"]["server_url"]))
        for app in _OIDC_APPS
        if app["settings"]["server_url"]
    }
)
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "provider_class": "accounts.oidc.provider.TribuneOpenIDConnectProvider",
        "OAUTH_PKCE_ENABLED": True,
        "APPS": _OIDC_APPS,
    }
}

WAGTAILADMIN_LOGIN_URL = "account_login"
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAIL_PASSWORD_RESET_ENABLED = False

# Sessions are read from the cache (Redis in production) and written through to the
# database: one query less on every signed-in page, nothing lost if the cache restarts.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# Forms render through the project's templates: required fields get a visible mark.
FORM_RENDERER = "cms.forms.SiteFormRenderer"

# --- Internationalisation -----------------------------------------------------------------

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français"), ("en", "English")]
WAGTAIL_CONTENT_LANGUAGES = [("fr", "Français")]
# The time zones a staff member may choose on their account page: metropolitan France
# and the overseas territories. Wagtail's default (every zone the system knows) holds
# names such as "localtime" that the browser's Intl API rejects, which broke the page's
# script.
WAGTAIL_USER_TIME_ZONES = [
    "Europe/Paris",
    "America/Guadeloupe",
    "America/Martinique",
    "America/Cayenne",
    "America/Miquelon",
    "Indian/Reunion",
    "Indian/Mayotte",
    "Pacific/Noumea",
    "Pacific/Tahiti",
    "Pacific/Wallis",
]

# --- Static and media files ----------------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns at every start when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Data-export ZIP files (consent): never under MEDIA_ROOT, never served directly.
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": VAR_DIR / "private"},
    },
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION_LIKE and not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# The embedded configuration (and debugging) serves static files straight from the app
# folders: no collectstatic, so `make run` starts at once; production serves the
# compressed, hashed copies that `collectstatic` writes.
WHITENOISE_USE_FINDERS = not PRODUCTION_LIKE or DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000

# --- Wagtail -------------------------------------------------------------------------------

WAGTAIL_SITE_NAME = "Tribune"
# Where `make run` / `manage.py serve` listen (the Makefile passes HOST and PORT).
TRIBUNE_HOST = env.text("TRIBUNE_HOST") or "127.0.0.1"
TRIBUNE_PORT = env.number("TRIBUNE_PORT", 8000)
# Wagtail's own e-mails (workflow notifications) link here; Tribune's e-mails use the
# Wagtail Site's address (cms.queries.site_root_url).
WAGTAILADMIN_BASE_URL = env.text("WAGTAILADMIN_BASE_URL") or f"http://{TRIBUNE_HOST}:{TRIBUNE_PORT}"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "ods", "pdf", "txt", "xlsx"]
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Gravatar would send a hash of every staff e-mail to a third party (GDPR).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
# Page addresses in ASCII (« ete-a-demo », not « été-à-démo »): shared links stay
# readable instead of filling with %C3%A9. Migration cms 0003 renamed existing pages,
# with a redirect from each former address.
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# A colleague's approval in the "Validation" workflow publishes (cms.models.SecondPairOfEyesTask).
WAGTAIL_FINISH_WORKFLOW_ACTION = "cms.services.publish_approved"
TAGGIT_STRIP_UNICODE_WHEN_SLUGIFYING = True  # "Mobilité" → /?theme=mobilite
TAGGIT_CASE_INSENSITIVE = True
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # French stemming and stop words ("vélos" finds "vélo").
    WAGTAILSEARCH_BACKENDS["default"]["SEARCH_CONFIG"] = "french"

# --- Security ------------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"  # Wagtail's preview view opts itself into SAMEORIGIN.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if HTTPS:
    SECURE_SSL_REDIRECT = env.flag("DJANGO_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env.number("DJANGO_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.flag("DJANGO_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env.flag("DJANGO_HSTS_PRELOAD", True)
CSRF_FAILURE_VIEW = "cms.views.csrf_failure"
# Behind HTTPS every cookie the site sets carries Secure: session, CSRF, language choice,
# cookie consent, audience, second-factor trust (cms.middleware.SecurityHeadersMiddleware
# adds it to any other cookie as well). DJANGO_SECURE_COOKIES=false only for a test
# server speaking plain HTTP on loopback.
SECURE_COOKIES = HTTPS and env.flag("DJANGO_SECURE_COOKIES", True)
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
LANGUAGE_COOKIE_SAMESITE = "Lax"
MFA_TRUST_COOKIE_SECURE = SECURE_COOKIES
# Browser features no page of Tribune uses are switched off for every page (and for
# anything a page could embed): camera, microphone, location, payment…
PERMISSIONS_POLICY = env.text(
    "TRIBUNE_PERMISSIONS_POLICY",
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(self), geolocation=(), gyroscope=(), hid=(), magnetometer=(), "
    "microphone=(), midi=(), payment=(), picture-in-picture=(), "
    "publickey-credentials-get=(self), screen-wake-lock=(), serial=(), sync-xhr=(self), "
    "usb=(), xr-spatial-tracking=()",
)

# Django's built-in CSP. The site's own scripts carry the per-request nonce; nothing
# inline runs without it. The Wagtail admin gets its own policy (cms.middleware).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    # The sign-in and sign-out forms of FranceConnect and ProConnect answer with a
    # redirect to the provider, which form-action governs too.
    "form-action": [CSP.SELF, *OIDC_ORIGINS],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

# --- Logging ---------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.text("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.channels.server": {"level": "WARNING"},
        # One line per task and per page event drowns what matters; raise when debugging.
        "django.tasks": {"level": env.text("LOG_LEVEL_TASKS", "WARNING")},
        "django_tasks": {"level": env.text("LOG_LEVEL_TASKS", "WARNING")},
        "wagtail": {"level": env.text("LOG_LEVEL_WAGTAIL", "WARNING")},
    },
}

# --- Tribune -------------------------------------------------------------------------------

TRIBUNE_CONSULTATIONS_PER_PAGE = 12
TRIBUNE_SEARCH_RESULTS_PER_PAGE = 10

# Polls. Tallies are counters split into shards: one hot counter row caps 50 concurrent
# voters at 567 ballots/s against 2,208/s without it (DESIGN.md, "Measured");
# benchmarks/votes.py measures the shard count.
TRIBUNE_POLL_TALLY_SHARDS = env.number("TRIBUNE_POLL_TALLY_SHARDS", 16)
TRIBUNE_POLL_TEXT_MAX_LENGTH = env.number("TRIBUNE_POLL_TEXT_MAX_LENGTH", 2000)
TRIBUNE_VOTE_RATE_LIMIT = env.number("TRIBUNE_VOTE_RATE_LIMIT", 20)  # ballots per person per minute
# --- Personal data (consent app; docs/operations.md) ---------------------------------------
# Each duration is a setting with the CNIL-recommended default; every one can be set by env.

DAY = 60 * 60 * 24
TRIBUNE_RETENTION_DAYS = {
    # Accounts whose e-mail address was never confirmed.
    "unverified_accounts": env.number("RETENTION_UNVERIFIED_ACCOUNTS_DAYS", 7),
    # Accounts without any sign-in, then deleted as a person would (contributions kept,
    # anonymised); warnings by e-mail before.
    "inactive_accounts": env.number("RETENTION_INACTIVE_ACCOUNTS_DAYS", 730),
    # IP addresses and user agents attached to contributions (and to sessions).
    "contribution_network_data": env.number("RETENTION_NETWORK_DATA_DAYS", 365),
    # Sign-in sessions past their end, and the session list (IP address, browser).
    "sessions": env.number("RETENTION_SESSIONS_DAYS", 14),
    # ZIP files of the privacy centre.
    "data_exports": env.number("RETENTION_DATA_EXPORTS_DAYS", 7),
    # Proof of consent, counted from the end of the consent (withdrawn, replaced,
    # expired or account deleted): 5 years, the limitation period of civil actions.
    "consent_records": env.number("RETENTION_CONSENT_RECORDS_DAYS", 5 * 365 + 1),
    # Summaries of purge runs shown to administrators.
    "purge_runs": env.number("RETENTION_PURGE_RUNS_DAYS", 365),
    # Notifications of the centre, read or not: one year, then what they announced is
    # old news and the record of who was told what goes.
    "notifications": env.number("RETENTION_NOTIFICATIONS_DAYS", 365),
}
# Days before the deletion of an inactive account when a warning e-mail is sent.
TRIBUNE_INACTIVITY_WARNING_DAYS = tuple(
    int(days) for days in env.words("RETENTION_INACTIVITY_WARNING_DAYS") or (30, 7)
)
TRIBUNE_PURGE_BATCH_SIZE = env.number("PURGE_BATCH_SIZE", 1000)
# Hour (Europe/Paris) of the daily purge run by the tasks worker.
TRIBUNE_PURGE_HOUR = env.number("PURGE_HOUR", 3)
# French law (article 45 of the loi Informatique et Libertés): under 15, a parent's
# consent is needed as well as the child's.
TRIBUNE_MINIMUM_AGE = 15
# Salt of the hashes that identify visitors in consent records. Never change it once in
# production: the proofs already recorded would no longer match their visitors.
TRIBUNE_CONSENT_SALT = env.text("CONSENT_SALT") or f"consent:{SECRET_KEY}"

# django-cookie-consent. The choice lasts 6 months (CNIL recommendation), then the
# banner asks again; Tribune signs the cookie and records every choice itself.
COOKIE_CONSENT_NAME = "cookie_consent"
COOKIE_CONSENT_MAX_AGE = env.number("COOKIE_CONSENT_DAYS", 182) * DAY
COOKIE_CONSENT_SECURE = SECURE_COOKIES
COOKIE_CONSENT_HTTPONLY = True
COOKIE_CONSENT_SAMESITE = "Lax"
COOKIE_CONSENT_CACHE_BACKEND = "cookie_consent"
COOKIE_CONSENT_LOG_ENABLED = False  # consent.models.ConsentRecord says who, what and when
# The audience cookie: only a date, never an identifier (see docs/operations.md).
TRIBUNE_AUDIENCE_COOKIE = "tribune_visite"
TRIBUNE_AUDIENCE_COOKIE_DAYS = 390  # 13 months at most (CNIL)
# Comment threads (docs/operations.md lists them).
TRIBUNE_COMMENT_MAX_LENGTH = env.number("TRIBUNE_COMMENT_MAX_LENGTH", 2000)
TRIBUNE_COMMENT_EDIT_MINUTES = env.number("TRIBUNE_COMMENT_EDIT_MINUTES", 15)
TRIBUNE_COMMENTS_PER_PAGE = 20
# Replies shown under each top-level comment before "voir les N réponses".
TRIBUNE_COMMENT_REPLIES_SHOWN = 3
TRIBUNE_COMMENT_REPLIES_PER_PAGE = 50
# Per person: (actions, period in seconds).
TRIBUNE_RATE_LIMITS = {
    "comment": (env.number("TRIBUNE_RATE_COMMENTS_PER_MINUTE", 5), 60),
    "comment_edit": (10, 60),
    "support": (env.number("TRIBUNE_RATE_SUPPORTS_PER_MINUTE", 60), 60),
    "report": (env.number("TRIBUNE_RATE_REPORTS_PER_HOUR", 10), 3600),
    # Notifications: marking read, choices, follows (cheap writes, but writes).
    "notification_read": (60, 60),
    "notification_preferences": (20, 60),
}

# --- Live updates (docs/live-protocol.md, docs/operations.md) -----------------------------
# How long the journal of broadcast events is kept for readers catching up after a lost
# connection; a reader away longer reloads the page.
TRIBUNE_LIVE_JOURNAL_HOURS = env.number("TRIBUNE_LIVE_JOURNAL_HOURS", 48)
# Supports and poll results are sent at most this often per reader: only the latest
# figure matters, and one process sends only ~3–6k frames/s (DESIGN.md, "Measured").
TRIBUNE_LIVE_COALESCE_MS = env.number("TRIBUNE_LIVE_COALESCE_MS", 250)
# Frames waiting for one reader who does not read them (a stalled or hostile client):
# past this backlog the connection is closed and the browser catches up later, so
# one slow reader never holds memory or delays the others.
TRIBUNE_LIVE_MAX_BACKLOG = env.number("TRIBUNE_LIVE_MAX_BACKLOG", 500)
# Clients only ever send a ping; anything longer is refused.
TRIBUNE_LIVE_MAX_CLIENT_MESSAGE = 512
# Each ASGI process with readers sends itself a heartbeat through the channel layer this
# often: one not back within two periods means frames may have been lost (Redis out or
# restarted), and the process lets its readers go to catch up (participation.consumers.
# LayerWatch). The in-memory layer loses nothing: no heartbeat (0).
TRIBUNE_LIVE_HEARTBEAT_SECONDS = env.seconds(
    "TRIBUNE_LIVE_HEARTBEAT_SECONDS", 1.0 if REDIS_URL else 0.0
)
if CHANNEL_LAYERS["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer":
    # The in-memory layer drops, silently, what exceeds a channel's capacity (default
    # 100): each consumer empties its channel at once into its own bounded backlog, so
    # 1,000 is ample. (The Redis pub/sub layer has no capacity: see docs/operations.md.)
    CHANNEL_LAYERS["default"].setdefault("CONFIG", {"capacity": 1000, "expiry": 60})

# --- Notifications (docs/operations.md) ----------------------------------------------------
# Recipients handled per batch by the fan-out task: one INSERT and a few reads per batch,
# so memory stays flat for a thread followed by 100,000 people.
TRIBUNE_NOTIFICATION_BATCH = env.number("TRIBUNE_NOTIFICATION_BATCH", 1000)
# Followers are told this many days before a consultation closes.
TRIBUNE_CLOSING_NOTICE_DAYS = env.number("TRIBUNE_CLOSING_NOTICE_DAYS", 3)
# Local hour of the daily digests (weekly ones go on Mondays at the same hour).
TRIBUNE_DIGEST_HOUR = env.number("TRIBUNE_DIGEST_HOUR", 7)
# An unsubscribe link in an e-mail works this long (then the preferences page does).
TRIBUNE_UNSUBSCRIBE_LINK_DAYS = env.number("TRIBUNE_UNSUBSCRIBE_LINK_DAYS", 90)

# --- Community management -------------------------------------------------------------
# Mastodon has no central server: share links open this instance's share form.
TRIBUNE_MASTODON_SHARE_URL = (
    env.text("TRIBUNE_MASTODON_SHARE_URL") or "https://mastodon.social/share"
)
# The dashboard's contribution figures are rolled up again when someone reads them and
# the last roll-up is older than this (seconds); cron or the worker are not needed.
TRIBUNE_FIGURES_REFRESH_SECONDS = env.number("TRIBUNE_FIGURES_REFRESH_SECONDS", 60)
# Page views are counted in the cache and folded into the database at most this often
# (participation.services.visits): what a Redis restart can lose.
TRIBUNE_VISITS_FLUSH_SECONDS = env.number("TRIBUNE_VISITS_FLUSH_SECONDS", 10)
# Anonymous pages kept in the cache (cms.pagecache) are rebuilt when what they show
# changes, and at the latest after this long (0: no page cache).
TRIBUNE_PAGE_CACHE_SECONDS = env.number("TRIBUNE_PAGE_CACHE_SECONDS", 30)
TRIBUNE_RATE_LIMITS.update(
    {
        "feedback": (5, 60),
        "follow": (20, 60),
    }
)
