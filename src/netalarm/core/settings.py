"""Settings from `NETALARM_*` environment variables, with embedded defaults."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """All settings of one server process; every field reads `NETALARM_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="NETALARM_", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="Folder for the SQLite file, media and keys.")
    database_url: str = Field(default="", description="SQLAlchemy async URL; empty means SQLite in data_dir.")
    secret_key: str = Field(
        default="", description="Signs reporter tokens; empty means a key kept in data_dir."
    )
    centre: str = Field(default="", description="Code of the root centre this server serves.")
    role: Literal["internet", "intranet"] = Field(
        default="internet",
        description="internet (reporters, network seats; forwards to 110) or intranet (the 110 seats: "
        "pulls forwards over the boundary link from link_url).",
    )
    link_token: str = Field(
        default="",
        description="Shared secret of the 110 boundary link (both sides); empty switches the link off.",
    )
    link_url: str = Field(
        default="", description="Intranet side: base URL of the Internet-side server the link pulls from."
    )
    link_poll_s: float = Field(default=1.0, gt=0, description="Intranet side: how often the link pulls.")
    link_down_s: float = Field(
        default=30.0,
        gt=0,
        description="Internet side: how long the 110 side may not call before the link is shown as down.",
    )
    superior_url: str = Field(
        default="", description="Base URL of the superior alarm server; empty: escalation ends at the root."
    )
    superior_key: str = Field(default="", description="Key signing this server's messages to its superior.")
    federation_keys: str = Field(
        default="",
        description="As a superior: the subordinates it accepts, 'name=key,…' (name: their root centre).",
    )
    federation_poll_s: float = Field(
        default=1.0, gt=0, description="How often escalations are sent up and their progress fetched."
    )
    timezone: str = Field(
        default="Asia/Shanghai",
        description="Local zone for case-number days and the printable report's times.",
    )
    seat_token_ttl_s: int = Field(default=12 * 3600, description="Lifetime of a seat access token.")
    sla_p1_s: float = 15.0
    sla_p2_s: float = 30.0
    sla_p3_s: float = 120.0
    sla_p4_s: float = 600.0
    sla_tick_s: float = Field(default=1.0, gt=0, description="How often the SLA watchdog looks.")
    bus_url: str = Field(
        default="", description="Event bus: '' or memory://, postgresql://… (same database), nats://…"
    )
    relay_poll_s: float = Field(
        default=0.5, gt=0, description="How often the outbox relay looks for rows nobody announced."
    )
    outbox_keep_s: float = Field(
        default=7 * 24 * 3600.0,
        gt=0,
        description="How long published events stay for clients resuming after a drop; older ones "
        "are deleted (the timeline keeps every case's record).",
    )
    ws_heartbeat_s: float = Field(default=15.0, gt=0, description="Idle time before a push heartbeat.")
    ws_queue_size: int = Field(default=1000, ge=1, description="Events a slow push client may lag behind.")
    ws_compression: bool = Field(
        default=False,
        description="Accept permessage-deflate on push sockets: about 40 KiB and a compression per frame "
        "for each connection, for frames that are small JSON.",
    )
    fault_exit_after_commit: bool = Field(
        default=False, description="Testing only: exit right after the first commit that queued events."
    )
    sms_number: str = Field(default="12110", description="Alarm SMS number the reporter app offers offline.")
    sms_url: str = Field(
        default="",
        description="SMS transport: '' (JSON lines in data_dir/sms/outbox.jsonl) or an http(s):// gateway.",
    )
    sms_inbound_token: str = Field(
        default="",
        description="Bearer secret of the SMS gateway posting to /api/v1/sms/inbound; empty refuses it.",
    )
    sms_max_attempts: int = Field(default=5, ge=1, description="Sending tries of one SMS before it fails.")
    sms_retry_s: float = Field(
        default=5.0, gt=0, description="Wait before the first retry of an SMS; doubles on each retry."
    )
    sms_poll_s: float = Field(default=1.0, gt=0, description="How often the SMS worker looks for work.")
    phone_code_ttl_s: int = Field(
        default=600, ge=30, description="How long a code sent to verify a reporter's phone stays valid."
    )
    phone_code_max_attempts: int = Field(
        default=5, ge=1, description="Wrong codes after which a verification code is used up."
    )
    phone_code_resend_s: int = Field(
        default=60, ge=1, description="Wait before another verification code may go to the same number."
    )
    phone_code_max_sends: int = Field(
        default=5, ge=1, description="Verification codes one number may be sent per phone_code_window_s."
    )
    phone_code_window_s: int = Field(default=3600, ge=1, description="The window of phone_code_max_sends.")
    map_tile_url: str = Field(
        default="", description="Leaflet tile URL template for the reporter map; empty means outlines only."
    )
    map_tile_attribution: str = Field(default="", description="Attribution shown with the map tiles.")
    metrics_token: str = Field(
        default="",
        description="Bearer token a Prometheus scraper sends to /metrics; empty: /metrics answers this "
        "machine only.",
    )
    login_max_failures: int = Field(
        default=5, ge=1, description="Failed sign-ins in a row after which a username is locked."
    )
    login_lockout_s: int = Field(
        default=900, ge=1, description="How long a username stays locked after too many failed sign-ins."
    )
    seat_idle_timeout_s: int = Field(
        default=1800, description="A seat token unused by its seat for this long is refused (signed out)."
    )
    report_link_ttl_s: int = Field(
        default=120, description="Lifetime of a signed link to a printable report."
    )
    media_url: str = Field(
        default="",
        description="Media storage: '' (folder data_dir/media), file:///path, or s3://bucket/prefix.",
    )
    media_max_file_bytes: int = Field(default=2 * 1024**3, ge=1, description="Largest single upload.")
    media_max_alarm_bytes: int = Field(default=4 * 1024**3, ge=1, description="Most media bytes per alarm.")
    media_upload_expiry_s: int = Field(
        default=24 * 3600, ge=1, description="An upload unfinished for this long is removed."
    )
    media_upload_rate: int = Field(
        default=30, ge=1, description="Uploads a reporter token may start per rate window."
    )
    media_upload_rate_window_s: int = Field(default=600, ge=1, description="The upload rate window.")

    @property
    def forwards_to_110(self) -> bool:
        """An Internet-side server holding the 110 link's token: its seats may forward to 110."""
        return self.role == "internet" and bool(self.link_token)

    @property
    def has_superior(self) -> bool:
        """A root centre's escalation goes to a superior server."""
        return bool(self.superior_url)

    def subordinate_keys(self) -> dict[str, str]:
        """`federation_keys` as {subordinate name: key}; a malformed pair is refused."""
        keys: dict[str, str] = {}
        for pair in filter(None, (p.strip() for p in self.federation_keys.split(","))):
            name, sep, key = pair.partition("=")
            if not (sep and name.strip() and key.strip()):
                raise ValueError(f"NETALARM_FEDERATION_KEYS: {pair!r} is not name=key")
            keys[name.strip()] = key.strip()
        return keys

    @property
    def resolved_database_url(self) -> str:
        """The database URL to use: the setting, or SQLite under data_dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'netalarm.sqlite3').resolve()}"

    def resolved_secret_key(self) -> bytes:
        """The signing key: the setting, or a random key created once under data_dir."""
        if self.secret_key:
            return self.secret_key.encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
