"""Server settings, read once from the environment (prefix ``CATI_``) with pydantic-settings.

A bad value stops the server at start with a message naming the variable, never later.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_database_url() -> str:
    folder = Path(user_data_dir("serve-cati-server", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'cati.sqlite3'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CATI_", extra="ignore")

    database_url: str = Field(default_factory=default_database_url)
    #: access tokens expire after this many hours; the client asks for a new login (keeping data)
    token_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    #: a claimed case not acknowledged by the device within this time goes back to the queue
    delivery_timeout_minutes: float = Field(default=10.0, gt=0)
    max_claim_cases: int = Field(default=200, ge=1, le=500)
    #: most cases one enumerator may hold at once: twice the desktop's default queue target
    #: (30), so a normal top-up is never cut but no one can take the whole sample
    max_held_cases: int = Field(default=60, ge=1)
    #: claims one enumerator may make per minute; more get 429 with Retry-After (a desktop
    #: claims at most once per sync cycle)
    claims_per_minute: int = Field(default=10, ge=1)
    #: cases one enumerator may be handed by claims in any hour; a claim asking for more than
    #: the cap or this budget allows is cut, audited and its cases flagged as a mass claim
    claim_cases_per_hour: int = Field(default=120, ge=1)
    #: a case whose language no enumerator on shift speaks waits this long after it became
    #: due (its next call time, or its import when never called), then any enumerator may
    #: claim it, flagged ``language_may_not_match`` (issue 18: no case starves)
    language_wait_hours: float = Field(default=2.0, ge=0)
    #: who is on shift (their languages and skills), as the claim's routing reads it, is
    #: believed this long by each worker; a sign-in or change made through the same worker
    #: shows at once (0: read at every claim)
    shift_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    #: a phone number interviewed or closed for the same service within this many days is a
    #: duplicate in a sample import (0: only open cases are)
    reimport_window_days: float = Field(default=90.0, ge=0)
    #: a person (any of their numbers, or their national ID's hash) contacted or sampled for
    #: any service within this many days is not drawn again (issue 15; 0: no such rule)
    recontact_window_days: float = Field(default=90.0, ge=0)
    #: the secret salt of national IDs in sampling frames: only HMAC-SHA256(salt, ID) is
    #: stored. Keep it long, random and the same on every worker and across restarts (a new
    #: salt makes earlier hashes unmatchable); empty: frames with an ID column are refused
    id_hash_salt: str = Field(default="", repr=False)
    #: appointments further ahead than this are refused as invalid (a mistyped year)
    appointment_horizon_days: float = Field(default=90.0, gt=0)
    #: appointments further in the past than this are refused; nearer ones (booked offline,
    #: pushed late) are kept and become due retries
    appointment_past_days: float = Field(default=30.0, ge=0)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    login_failures_per_account: int = Field(default=5, ge=1)
    login_failures_per_address: int = Field(default=30, ge=1)
    login_window_minutes: float = Field(default=15.0, gt=0)
    #: a login from a device new for the account waits for an admin's approval (403) instead
    #: of being let in; admins' own devices are approved at once (never locked out)
    require_device_approval: bool = False
    min_client_version: str = "0.1.0"
    #: Argon2id cost; lower only in tests
    argon2_time_cost: int = Field(default=3, ge=1)
    argon2_memory_kib: int = Field(default=65536, ge=8)
    #: per-project calling rules (JSON as in cati_app.core.scheduling.CallingRules.to_dict)
    calling_rules_json: str = ""
    #: a device time later than the server's receipt by more than this is flagged, and the
    #: rules read the receipt instead (cati_app.core.time_checks)
    clock_tolerance_minutes: float = Field(default=5.0, ge=0, le=24 * 60)
    #: proxies whose X-Forwarded-For is believed (the TLS reverse proxy); comma-separated
    forwarded_allow_ips: str = "127.0.0.1"
    #: a token found live is believed this long by the worker that checked it, without asking
    #: the database again; a revocation made through another worker takes effect within it
    #: (0: check every request)
    token_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    #: database connection pool size per worker process (PostgreSQL)
    pool_size: int = Field(default=10, ge=1)
    #: a new device of an enumerator takes over the holds of their other device only when
    #: that device has not logged in or worked a held case for this long (it may still hold
    #: unsent work); younger holds stay and are listed for the supervisor
    handover_quiet_hours: float = Field(default=12.0, gt=0)
    #: held cases no device has touched (granted, called, replanned) for this long are listed
    #: for the supervisor (``GET /v1/cases/idle-holds``)
    idle_hold_hours: float = Field(default=72.0, gt=0)
    #: scorecards (issue 16): a figure from fewer respondents than this is "indicative"...
    scorecard_minimum_n: int = Field(default=30, ge=2)
    #: ...and from fewer than this it is suppressed (no value, no interval)
    scorecard_suppress_below: int = Field(default=10, ge=2)
    #: the web scorecard's cookies are marked Secure (sent over HTTPS only): set it when the
    #: server is reached through the TLS reverse proxy, as in production
    secure_cookies: bool = False
    #: the web scorecard reloads itself this often (seconds; 0: never), so a screen left open
    #: shows interviews as they arrive
    scorecard_refresh_seconds: int = Field(default=300, ge=0, le=24 * 3600)

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, url: str) -> str:
        if not url.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "use sqlite:///PATH or postgresql+psycopg://USER@HOST/DB "
                f"(got {url.split(':', 1)[0]!r})"
            )
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @field_validator("scorecard_suppress_below")
    @classmethod
    def _suppression_below_minimum(cls, value: int, info: ValidationInfo) -> int:
        minimum = info.data.get("scorecard_minimum_n")
        if minimum is not None and value > minimum:
            raise ValueError(f"must not exceed CATI_SCORECARD_MINIMUM_N ({minimum})")
        return value

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(hours=self.token_hours)

    @property
    def delivery_timeout(self) -> timedelta:
        return timedelta(minutes=self.delivery_timeout_minutes)

    @property
    def language_wait(self) -> timedelta:
        return timedelta(hours=self.language_wait_hours)

    @property
    def reimport_window(self) -> timedelta:
        return timedelta(days=self.reimport_window_days)

    @property
    def recontact_window(self) -> timedelta:
        return timedelta(days=self.recontact_window_days)

    @property
    def handover_quiet(self) -> timedelta:
        return timedelta(hours=self.handover_quiet_hours)

    @property
    def idle_hold(self) -> timedelta:
        return timedelta(hours=self.idle_hold_hours)

    @property
    def clock_tolerance(self) -> timedelta:
        return timedelta(minutes=self.clock_tolerance_minutes)

    @property
    def login_window(self) -> timedelta:
        return timedelta(minutes=self.login_window_minutes)


class SettingsError(RuntimeError):
    pass


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)  # each value is checked by its field's validation
    except ValidationError as exc:
        lines = [
            f"  CATI_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        ]
        raise SettingsError("bad server setting:\n" + "\n".join(lines)) from None
