"""Suite-wide settings in one place: `verticals.toml` (or $VERTICALS_CONFIG) plus VERTICALS_* variables.

Environment variables win over the file, the file over the defaults. Apps read their own sections.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from shared.paths import PROJECT_ROOT


class Ports(BaseSettings):
    customer_service: int = 8501
    finance_monitor: int = 8502
    recommender: int = 8503


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="VERTICALS_", env_nested_delimiter="__",
                                      toml_file=os.environ.get("VERTICALS_CONFIG", PROJECT_ROOT / "verticals.toml"))

    home: Path = Field(default=PROJECT_ROOT / "var", description="Registry, caches and app databases.")
    data: Path | None = Field(default=None, description="Public data folder (financial_phrasebank/, banking77/).")
    host: str = Field(default="127.0.0.1", description="Address the apps listen on.")
    ports: Ports = Field(default_factory=Ports)
    outbound_allow: str = Field(default="", description=(
        "Comma-separated hosts, IPs or CIDRs that outbound fetches (feeds, webhooks, the generation endpoint) "
        "may reach although they are loopback/private/link-local, e.g. '127.0.0.1,10.0.0.0/8'."))
    # App-specific settings live with each app (e.g. VERTICALS_BOT_DB, VERTICALS_MONITOR_DB): see docs/suite.md.

    @classmethod
    def settings_customise_sources(cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
                                   env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
                                   file_secret_settings: PydanticBaseSettingsSource) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, TomlConfigSettingsSource(settings_cls)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
