"""PII redaction: e-mails, phones, payment cards, IBANs, IPs and user-defined national IDs.

`redact(text)` uses the default config; `Redactor(RedactionConfig(...))` for a custom one;
`redact_frame(df, columns)` for training data. Each finding becomes a typed placeholder
(`[EMAIL]`, `[PHONE]`, `[CARD]`, `[IBAN]`, `[IP]`, `[NATIONAL_ID]`) so a model still sees the sentence's shape.
"""

from shared.pii.config import RedactionConfig
from shared.pii.findings import Finding
from shared.pii.frames import redact_frame
from shared.pii.national_ids import COMMON_PATTERNS, NationalIdPattern
from shared.pii.redactor import Redactor, default_redactor, redact
from shared.pii.report import RedactionReport

__all__ = [
    "COMMON_PATTERNS",
    "Finding",
    "NationalIdPattern",
    "RedactionConfig",
    "RedactionReport",
    "Redactor",
    "default_redactor",
    "redact",
    "redact_frame",
]
