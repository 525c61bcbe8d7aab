"""Settings from environment variables, with safe embedded defaults."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _var_dir() -> Path:
    return Path(os.environ.get("CSMS_VAR_DIR", PROJECT_ROOT / "var"))


def _default_secret_key(var_dir: Path) -> str:
    """Embedded mode keeps a random key in var/ so sessions survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class StationLimits:
    """The station handshake's throttle and the list of unknown stations (core.charging.handshake,
    docs/security.md). Windows in seconds; each starts with its first event and is not extended by refusals."""

    auth_failures_per_id: int = 10  # wrong passwords for one charge box id per window, from anywhere
    auth_failures_per_address: int = 30  # wrong passwords from one source address (IPv6: its /64) per window
    auth_window: int = 300
    unknown_per_address: int = 10  # new unknown charge box ids kept per source address per window
    unknown_window: int = 3600
    unknown_max: int = 1000  # unknown stations listed (not adopted) in all
    unknown_max_per_tenant: int = 200  # ... for one tenant (or unassigned)

    @classmethod
    def from_env(cls) -> StationLimits:
        defaults = cls()
        return cls(**{
            name: int(os.environ.get(env, getattr(defaults, name)))
            for name, env in (
                ("auth_failures_per_id", "STATION_AUTH_MAX_FAILURES"),
                ("auth_failures_per_address", "STATION_AUTH_MAX_FAILURES_PER_ADDRESS"),
                ("auth_window", "STATION_AUTH_WINDOW"),
                ("unknown_per_address", "UNKNOWN_STATIONS_PER_ADDRESS"),
                ("unknown_window", "UNKNOWN_STATIONS_WINDOW"),
                ("unknown_max", "UNKNOWN_STATIONS_MAX"),
                ("unknown_max_per_tenant", "UNKNOWN_STATIONS_MAX_PER_TENANT"),
            )
        })  # fmt: skip


@dataclass(frozen=True)
class AlertSettings:
    """When a disconnected station counts as offline, how long an alert must stay closed before its recovery is told
    (and a reopening counts as flapping), and how often the alert tick runs (core.alerts, docs/alerts.md). Minutes
    and seconds may be fractions: tests and demonstrations shorten them."""

    offline_after_minutes: float = 10.0
    quiet_minutes: float = 5.0
    tick_seconds: float = 20.0

    @property
    def offline_after(self) -> timedelta:
        return timedelta(minutes=self.offline_after_minutes)

    @property
    def quiet(self) -> timedelta:
        return timedelta(minutes=self.quiet_minutes)

    @classmethod
    def from_env(cls) -> AlertSettings:
        defaults = cls()
        values = {
            name: float(os.environ.get(env) or getattr(defaults, name))
            for name, env in (
                ("offline_after_minutes", "ALERT_OFFLINE_MINUTES"),
                ("quiet_minutes", "ALERT_QUIET_MINUTES"),
                ("tick_seconds", "ALERT_TICK_SECONDS"),
            )
        }
        if min(values.values()) <= 0:
            raise ValueError("ALERT_OFFLINE_MINUTES, ALERT_QUIET_MINUTES and ALERT_TICK_SECONDS must be above 0")
        return cls(**values)


DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
# Without CSMS_NODE_ID a process names itself once: settings read again (a test clearing their cache) must not give
# it another name while its command bus and its stations' presence rows still carry the first.
PROCESS_NODE_ID = secrets.token_hex(4)
PAYMENT_PROVIDERS = ("sandbox", "stripe")
DEFAULT_MAIL_FROM = "csms <noreply@localhost>"


@dataclass(frozen=True)
class PaymentSettings:
    """Direct Payment (core.payments, docs/payments.md)."""

    provider: str = "sandbox"  # new payments go to this provider; existing ones stay with theirs
    stripe_secret_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = "https://api.stripe.com"
    recovery_minutes: int = 15  # a held payment with no progress this long is finished by recovery

    @classmethod
    def from_env(cls) -> PaymentSettings:
        provider = os.environ.get("PAYMENT_PROVIDER") or cls.provider
        if provider not in PAYMENT_PROVIDERS:
            raise ValueError(f"PAYMENT_PROVIDER must be one of {', '.join(PAYMENT_PROVIDERS)}")
        if provider == "stripe" and not os.environ.get("STRIPE_SECRET_KEY"):
            raise ValueError("PAYMENT_PROVIDER=stripe needs STRIPE_SECRET_KEY")
        return cls(
            provider=provider,
            stripe_secret_key=os.environ.get("STRIPE_SECRET_KEY", ""),
            stripe_webhook_secret=os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
            stripe_api_base=(os.environ.get("STRIPE_API_BASE") or cls.stripe_api_base).rstrip("/"),
            recovery_minutes=int(os.environ.get("PAYMENT_RECOVERY_MINUTES", cls.recovery_minutes)),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    secret_key: str
    public_url: str
    var_dir: Path
    public_url_set: bool = False  # PUBLIC_URL was given; otherwise DEFAULT_PUBLIC_URL, which no station reaches
    default_language: str = "de"
    session_max_age: int = 8 * 3600
    login_max_failures: int = 5
    login_lockout_seconds: int = 900
    login_max_failures_per_address: int = 20
    api_key_max_failures: int = 20
    cookie_secure: bool = False
    node_id: str = field(default_factory=lambda: PROCESS_NODE_ID)
    db_pool_size: int = 10
    ocpi_log_payload_days: int = 30  # OCPI exchange payloads are emptied after this (core.roaming.exchange_log)
    ocpi_log_flush_seconds: float = 0.5  # partners' requests wait at most this long in the OCPI log's buffer
    ocpi_partner_check_minutes: int = 15  # csms GETs each registered partner's versions this often; 0: never
    station_limits: StationLimits = field(default_factory=StationLimits)
    # a running roaming session is PATCHed to its partner at most this often (core.roaming.session_push)
    ocpi_session_patch_seconds: int = 60
    ocpi_command_timeout: int = 30  # seconds a station has to answer a partner's OCPI command (core.roaming.commands)
    payments: PaymentSettings = field(default_factory=lambda: PaymentSettings())
    smtp_url: str | None = None  # smtp://user:pass@host:port (smtps:// implicit TLS, ?starttls=1); None: mails not sent
    mail_from: str = DEFAULT_MAIL_FROM  # the From of every mail (core.mail)
    alerts: AlertSettings = field(default_factory=lambda: AlertSettings())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def embedded_jobs(self) -> bool:
        return not self.redis_url

    @property
    def sqlite_path(self) -> Path:
        return Path(self.database_url.removeprefix("sqlite:///"))


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    var_dir = _var_dir()
    database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{var_dir / 'csms.sqlite3'}"
    if not (database_url.startswith("sqlite:///") or database_url.startswith(("postgresql://", "postgres://"))):
        raise ValueError("DATABASE_URL must start with sqlite:/// or postgresql://")
    public_url = (os.environ.get("PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
    return Settings(
        database_url=database_url,
        redis_url=os.environ.get("REDIS_URL") or None,
        secret_key=os.environ.get("SECRET_KEY") or _default_secret_key(var_dir),
        public_url=public_url,
        public_url_set=bool(os.environ.get("PUBLIC_URL")),
        var_dir=var_dir,
        default_language=os.environ.get("CSMS_DEFAULT_LANGUAGE", "de"),
        session_max_age=int(os.environ.get("SESSION_MAX_AGE", 8 * 3600)),
        login_max_failures=int(os.environ.get("LOGIN_MAX_FAILURES", 5)),
        login_lockout_seconds=int(os.environ.get("LOGIN_LOCKOUT_SECONDS", 900)),
        login_max_failures_per_address=int(os.environ.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)),
        api_key_max_failures=int(os.environ.get("API_KEY_MAX_FAILURES", 20)),
        cookie_secure=_bool(os.environ.get("COOKIE_SECURE"), public_url.startswith("https://")),
        node_id=os.environ.get("CSMS_NODE_ID") or PROCESS_NODE_ID,
        db_pool_size=int(os.environ.get("DB_POOL_SIZE", 10)),
        ocpi_log_payload_days=int(os.environ.get("OCPI_LOG_PAYLOAD_DAYS", 30)),
        ocpi_log_flush_seconds=float(os.environ.get("OCPI_LOG_FLUSH_SECONDS", 0.5)),
        ocpi_partner_check_minutes=int(os.environ.get("OCPI_PARTNER_CHECK_MINUTES", 15)),
        station_limits=StationLimits.from_env(),
        ocpi_session_patch_seconds=int(os.environ.get("OCPI_SESSION_PATCH_SECONDS", 60)),
        ocpi_command_timeout=int(os.environ.get("OCPI_COMMAND_TIMEOUT", 30)),
        payments=PaymentSettings.from_env(),
        smtp_url=os.environ.get("SMTP_URL") or None,
        mail_from=os.environ.get("MAIL_FROM") or DEFAULT_MAIL_FROM,
        alerts=AlertSettings.from_env(),
    )
