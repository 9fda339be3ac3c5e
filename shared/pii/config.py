"""`RedactionConfig`: which PII families to redact and how; validated when built, before any data is read."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ConfigError
from shared.pii.national_ids import NationalIdPattern
from shared.pii.phones import DEFAULT_REGIONS, LENIENCIES, supported_regions


@dataclass(frozen=True)
class RedactionConfig:
    emails: bool = field(default=True, metadata={"help": "Replace e-mail addresses with [EMAIL]."})
    phones: bool = field(default=True, metadata={"help": "Replace phone numbers with [PHONE]."})
    cards: bool = field(default=True, metadata={"help": "Replace Luhn-valid card numbers with [CARD]."})
    ibans: bool = field(default=True, metadata={"help": "Replace checksum-valid IBANs with [IBAN]."})
    ips: bool = field(default=True, metadata={"help": "Replace IPv4/IPv6 addresses with [IP]."})
    phone_regions: tuple[str, ...] = field(
        default=DEFAULT_REGIONS,
        metadata={
            "help": "ISO 3166 regions whose national phone formats are recognised ('+' numbers always are)."
        },
    )
    phone_leniency: str = field(
        default="possible",
        metadata={
            "help": "'possible' (right length; higher recall) or 'valid' (assigned prefix; higher precision)."
        },
    )
    national_ids: tuple[NationalIdPattern, ...] = field(
        default=(),
        metadata={
            "help": "User patterns for national ID numbers: NationalIdPattern(name, regex, label=None)."
        },
    )

    def __post_init__(self) -> None:
        # Accept a {name: regex} mapping or a list for convenience; store an immutable tuple.
        object.__setattr__(self, "national_ids", _as_patterns(self.national_ids))
        object.__setattr__(self, "phone_regions", tuple(r.upper() for r in self.phone_regions))
        unknown = [r for r in self.phone_regions if r not in supported_regions()]
        if unknown:
            raise ConfigError(
                f"Unknown phone region(s) {unknown}: use ISO 3166 two-letter codes such as 'US', 'GB', 'DE'."
            )
        if self.phones and not self.phone_regions:
            raise ConfigError("phone_regions is empty: give at least one region, or set phones=False.")
        if self.phone_leniency not in LENIENCIES:
            raise ConfigError(f"phone_leniency={self.phone_leniency!r} is not one of {sorted(LENIENCIES)}.")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RedactionConfig:
        """Build from plain data (YAML/JSON); unknown keys are an error rather than silently ignored."""
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(data) - known)
        if extra:
            raise ConfigError(f"Unknown redaction setting(s) {extra}; known: {sorted(known)}.")
        return cls(**dict(data))


def _as_patterns(value: Any) -> tuple[NationalIdPattern, ...]:
    if isinstance(value, Mapping):
        return tuple(NationalIdPattern(str(name), str(pattern)) for name, pattern in value.items())
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise ConfigError(
            "national_ids must be a {name: regex} mapping or a list of NationalIdPattern, "
            f"not {type(value).__name__}."
        )
    out = []
    for item in value:
        if isinstance(item, NationalIdPattern):
            out.append(item)
        elif isinstance(item, Mapping):
            out.append(NationalIdPattern(**item))
        else:
            raise ConfigError(f"national_ids entry {item!r} is not a NationalIdPattern or a mapping.")
    return tuple(out)
