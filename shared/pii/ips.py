"""IP addresses: dotted-quad IPv4 and IPv6 (full, compressed `::`, and IPv4-suffixed forms).

Candidates are found with a loose regex and validated with the standard `ipaddress` module, so
"999.1.2.3", version strings like "2.10.3" and clock times like "10:30:00" are not reported.
Not handled: IPv6 zone ids (`fe80::1%eth0`) and CIDR suffixes (the address part is still redacted).
"""

from __future__ import annotations

import ipaddress
import re

from shared.pii.findings import Finding

_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
# Hex groups and colons, optionally ending in a dotted quad; at least two colons.
_IPV6 = re.compile(
    r"(?<![\w:.])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?:(?<=:)(?:\d{1,3}\.){3}\d{1,3})?(?![\w:]|\.\d)"
)


class IpDetector:
    kind = "IP"

    def find(self, text: str) -> list[Finding]:
        findings: list[Finding] = []
        if "." in text:
            for m in _IPV4.finditer(text):
                if _valid(ipaddress.IPv4Address, m.group()):
                    findings.append(Finding(m.start(), m.end(), self.kind))
        if "::" in text or text.count(":") >= 7:
            for m in _IPV6.finditer(text):
                value = m.group()
                # "::" alone is a valid address but in prose it is punctuation, not an IP.
                if any(c not in ":" for c in value) and _valid(ipaddress.IPv6Address, value):
                    findings.append(Finding(m.start(), m.end(), self.kind))
        return findings


def _valid(cls: type[ipaddress.IPv4Address | ipaddress.IPv6Address], value: str) -> bool:
    try:
        cls(value)
    except ValueError:
        return False
    return True
