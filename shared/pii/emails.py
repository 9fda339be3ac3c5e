"""E-mail addresses: `local@domain.tld`, including internationalised (Unicode) local parts and domains.

Not handled: obfuscated forms such as "name at example dot com" or "name(at)example.com".
"""

from __future__ import annotations

import re

from shared.pii.findings import Finding

# Local part: word characters plus . % + - ; domain: labels separated by dots, alphabetic TLD of >= 2.
# The lookarounds stop the match from starting or ending inside a longer token.
_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w%+-](?:[\w.%+-]*[\w%+-])?@(?:[\w](?:[\w-]*[\w])?\.)+[^\W\d_]{2,}(?![\w-])"
)


class EmailDetector:
    kind = "EMAIL"

    def find(self, text: str) -> list[Finding]:
        if "@" not in text:  # the common case: skip the regex entirely
            return []
        return [Finding(m.start(), m.end(), self.kind) for m in _EMAIL.finditer(text)]
