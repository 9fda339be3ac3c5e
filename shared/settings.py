"""Suite-wide settings in one place: `verticals.toml` (or $VERTICALS_CONFIG) plus VERTICALS_* variables.

Environment variables win over the file, the file over the defaults. Apps read their own sections.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from shared.auth.settings import AuthSettings
from shared.paths import PROJECT_ROOT

if TYPE_CHECKING:
    from shared.apps import AppSpec


class ApiSettings(BaseSettings):
    """The HTTP API (`verticals serve`); see docs/api.md."""

    port: int = Field(default=8500, description="Port the API listens on.")
    workers: int = Field(default=1, ge=1, description="uvicorn worker processes.")
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="Largest request body accepted (413 above).")
    public_chat: bool = Field(default=True, description="Customers may open bot conversations without an API key "
                                                        "(the chat page); each is then reachable only by its token.")
    anonymous_rate_per_minute: int = Field(default=120, ge=0, description="Per-address limit without a key.")
    sse_interval_s: float = Field(default=0.5, gt=0, description="How often the event stream looks for new messages.")
    request_threads: int = Field(default=40, ge=1, le=1000, description=(
        "Threads per worker that run the routes' blocking work (anyio's pool; 40 is its default). The work is "
        "CPU-bound Python: a few threads per core keep the GIL from thrashing under many clients."))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VERTICALS_", env_nested_delimiter="__",
                                      toml_file=os.environ.get("VERTICALS_CONFIG", PROJECT_ROOT / "verticals.toml"))

    home: Path = Field(default=PROJECT_ROOT / "var", description="Registry, caches and app databases.")
    data: Path | None = Field(default=None, description="Public data folder (financial_phrasebank/, banking77/).")
    host: str = Field(default="127.0.0.1", description="Address the apps listen on.")
    ports: dict[str, int] = Field(default_factory=dict, description=(
        "Port per registered app name (`[ports] bot = 8601`, or VERTICALS_PORTS__BOT); an app not listed "
        "listens on its spec's default_port."))
    api: ApiSettings = Field(default_factory=ApiSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings, description="OIDC roles (docs/teams.md).")
    outbound_allow: str = Field(default="", description=(
        "Comma-separated hosts, IPs or CIDRs that outbound fetches (feeds, webhooks, the generation endpoint) "
        "may reach although they are loopback/private/link-local, e.g. '127.0.0.1,10.0.0.0/8'."))
    # App-specific settings live with each app (e.g. VERTICALS_BOT_DB, VERTICALS_MONITOR_DB): see docs/suite.md.

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)

    @field_validator("ports")
    @classmethod
    def _ports_in_range(cls, ports: dict[str, int]) -> dict[str, int]:
        for name, port in ports.items():
            if not 1 <= port <= 65535:
                raise ValueError(f"port {port} for {name!r} must be in 1-65535 ([ports] in verticals.toml or "
                                 f"VERTICALS_PORTS__{name.upper()})")
        return ports

    def port(self, app: AppSpec) -> int:
        """Where the app's page listens: the `[ports]` entry for its name, else its spec's default."""
        return self.ports.get(app.name, app.default_port)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
