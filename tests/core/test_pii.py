"""PII redaction: each detector on positives and tricky negatives, overlaps, config errors, reports."""

from __future__ import annotations

import pandas as pd
import pytest

from shared.errors import ConfigError, DataError
from shared.pii import (
    COMMON_PATTERNS,
    NationalIdPattern,
    RedactionConfig,
    Redactor,
    redact,
    redact_frame,
)
from shared.pii.cards import luhn_valid
from shared.pii.ibans import iban_checksum_valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # e-mail
        ("write to jane.doe+news@mail.example.co.uk.", "write to [EMAIL]."),
        ("Kontakt: jürgen.müller@beispiel.de bitte", "Kontakt: [EMAIL] bitte"),
        # phones: international, national formats of several regions, extensions
        ("call +44 20 7946 0958 today", "call [PHONE] today"),
        ("US office (415) 555-2671 ext. 12", "US office [PHONE]"),
        ("Ruf 030 12345678 an", "Ruf [PHONE] an"),
        ("appelez le 01 42 68 53 00", "appelez le [PHONE]"),
        ("tel. +358 9 591 8342 .", "tel. [PHONE] ."),
        ("(+34 912 345 678)", "([PHONE])"),
        # cards: Luhn-valid, compact, spaced, dashed, Amex grouping
        ("paid with 4111 1111 1111 1111 yesterday", "paid with [CARD] yesterday"),
        ("card 5500-0000-0000-0004", "card [CARD]"),
        ("amex 3782 822463 10005 ok", "amex [CARD] ok"),
        ("4012888888881881", "[CARD]"),
        # a card followed by an expiry year stays a card; the year stays text
        ("card 4111 1111 1111 1111 2027", "card [CARD] 2027"),
        # IBANs: compact, printed, lower case, followed by an upper-case word
        ("IBAN DE89370400440532013000.", "IBAN [IBAN]."),
        ("to GB82 WEST 1234 5698 7654 32 EUR", "to [IBAN] EUR"),
        ("fr14 2004 1010 0505 0001 3m02 606", "[IBAN]"),
        # IPs
        ("from 192.168.0.1 and 2001:db8::8a2e:370:7334", "from [IP] and [IP]"),
        ("host ::ffff:10.0.0.1 up", "host [IP] up"),
    ],
)
def test_detects_and_replaces_with_typed_placeholder(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Operating profit rose to EUR 13.1 mn from EUR 8.7 mn in 2007 , 7.7 % of net sales .",
        "The number of K shares will be 9 540 000 and the number of A shares 26 885 540 .",
        "Net sales 386 328.6 201 160.7 Operating profit 46.3 35.8 23.2 9.5",
        "strategy for the years 2009-2012 , signed on 15.03.2009 and 2009-03-15 at 10:30:00",
        "order ORD-48213377 and invoice INV 2023/00451 and ref. 3967061162",
        "16 digits failing Luhn: 4111 1111 1111 1112 and 1234567812345678",
        "mod-97 failure: DE88 3704 0044 0532 0130 00 and GB83WEST12345698765432",
        "not an IP 256.1.1.1, a version v2.10.3, a ratio 1.2.3, punctuation ::",
        "a placeholder card 0000 0000 0000 0000",
        "no at sign here: jane.doe at example dot com",
    ],
)
def test_leaves_non_pii_numbers_alone(text: str) -> None:
    assert redact(text) == text


def test_checksums_against_known_values() -> None:
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert iban_checksum_valid("GB82WEST12345698765432")
    assert not iban_checksum_valid("GB83WEST12345698765432")


def test_card_inside_iban_is_labelled_iban_not_card_or_phone() -> None:
    # The IBAN's digit tail is Luhn-checked by the card detector and phone-parsed too; the whole
    # checksummed IBAN must win as one span.
    text = "IBAN NL91 ABNA 0417 1643 00 please"
    assert redact(text) == "IBAN [IBAN] please"


def test_phone_regions_are_configurable() -> None:
    national_de = "Ruf 030 12345678 an"
    only_us = Redactor(RedactionConfig(phone_regions=("US",)))
    assert only_us.redact(national_de) == national_de
    assert only_us.redact("call +49 30 12345678") == "call [PHONE]"  # '+' numbers: any region list


def test_detector_families_can_be_switched_off() -> None:
    r = Redactor(RedactionConfig(emails=False, ips=False))
    assert r.redact("a@b.com 10.0.0.1 4111111111111111") == "a@b.com 10.0.0.1 [CARD]"


def test_national_id_patterns_with_default_and_custom_label() -> None:
    config = RedactionConfig(
        national_ids=[
            NationalIdPattern("us_ssn", COMMON_PATTERNS["us_ssn"]),
            NationalIdPattern("de_tax", r"\b\d{2} \d{3} \d{3} \d{3}\b", label="TAX_ID"),
        ]
    )
    r = Redactor(config)
    assert r.redact("SSN 123-45-6789, Steuer-ID 12 345 678 901") == "SSN [NATIONAL_ID], Steuer-ID [TAX_ID]"
    assert r.redact("SSN 000-12-3456 never issued") == "SSN 000-12-3456 never issued"
    # A mapping works too and ends up as the same immutable tuple.
    assert (
        RedactionConfig(national_ids={"us_ssn": COMMON_PATTERNS["us_ssn"]}).national_ids[0].name == "us_ssn"
    )


@pytest.mark.parametrize(
    ("pattern", "fragment"),
    [(r"\d{3}-(\d{2}", "not a valid regular expression"), (r"\d*", "matches the empty string")],
)
def test_invalid_national_id_pattern_fails_when_config_is_built(pattern: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as err:
        RedactionConfig(national_ids={"broken_id": pattern})
    assert "broken_id" in str(err.value) and fragment in str(err.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"phone_regions": ("XX",)},
        {"phone_regions": ()},
        {"phone_leniency": "loose"},
        {"national_ids": "not a list"},
    ],
)
def test_bad_config_values_raise_config_error(kwargs: dict) -> None:
    with pytest.raises(ConfigError):
        RedactionConfig(**kwargs)


def test_bad_label_and_unknown_setting() -> None:
    with pytest.raises(ConfigError, match="lower"):
        NationalIdPattern("x", r"\d+", label="lower")
    with pytest.raises(ConfigError, match="phone_region"):
        RedactionConfig.from_dict({"phone_region": ["US"]})


PLANTED = {
    "EMAIL": "maria.rossi@example.it",
    "PHONE": "+39 02 1234 5678",
    "CARD": "4111 1111 1111 1111",
    "IBAN": "DE89 3704 0044 0532 0130 00",
    "IP": "203.0.113.7",
}


def test_report_counts_per_type_and_column_without_values() -> None:
    df = pd.DataFrame(
        {
            "message": [
                f"Mail {PLANTED['EMAIL']} or call {PLANTED['PHONE']}",
                f"Card {PLANTED['CARD']} and IBAN {PLANTED['IBAN']}",
                "Sales rose 5 % to EUR 12.1 mn",
                None,
            ],
            "source": [PLANTED["IP"], "web", "web", PLANTED["EMAIL"]],
            "amount": [1, 2, 3, 4],
        }
    )
    original = df.copy()
    out, report = redact_frame(df, ["message", "source"])
    pd.testing.assert_frame_equal(df, original)  # input untouched
    assert out["message"].tolist()[:3] == [
        "Mail [EMAIL] or call [PHONE]",
        "Card [CARD] and IBAN [IBAN]",
        "Sales rose 5 % to EUR 12.1 mn",
    ]
    assert pd.isna(out["message"].iloc[3])
    assert out["source"].tolist() == ["[IP]", "web", "web", "[EMAIL]"]
    assert report.by_type() == {"CARD": 1, "EMAIL": 2, "IBAN": 1, "IP": 1, "PHONE": 1}
    assert report.by_column() == {
        "message": {"CARD": 1, "EMAIL": 1, "IBAN": 1, "PHONE": 1},
        "source": {"EMAIL": 1, "IP": 1},
    }
    assert report.texts_scanned["message"] == 3 and report.texts_redacted["message"] == 2
    rendered = " ".join([str(report), repr(report), str(report.to_dict())])
    for value in PLANTED.values():
        assert value not in rendered
        assert value.replace(" ", "") not in rendered
    # Nor does any digit run of a planted value appear in the rendered report.
    assert "1111" not in rendered and "0958" not in rendered and "3704" not in rendered


def test_redact_with_report_accumulates() -> None:
    r = Redactor()
    _, report = r.redact_with_report(f"x {PLANTED['EMAIL']}", column="a")
    text, report = r.redact_with_report(f"y {PLANTED['IP']}", column="b", report=report)
    assert text == "y [IP]"
    assert report.by_column() == {"a": {"EMAIL": 1}, "b": {"IP": 1}}
    assert report.total == 2


def test_redact_frame_missing_column_is_a_data_error() -> None:
    with pytest.raises(DataError, match="nope"):
        redact_frame(pd.DataFrame({"text": ["a"]}), ["nope"])


def test_non_text_cells_are_scanned_and_kept_when_clean() -> None:
    out, report = redact_frame(pd.DataFrame({"n": [4111111111111111, 42]}), ["n"])
    assert out["n"].tolist() == ["[CARD]", 42]
    assert report.by_type() == {"CARD": 1}


class _Fixed:
    """A detector reporting fixed spans, to test overlap resolution on its own."""

    def __init__(self, kind: str, *spans: tuple[int, int]) -> None:
        self.kind, self.spans = kind, spans

    def find(self, text: str) -> list:
        from shared.pii import Finding

        return [Finding(s, e, self.kind) for s, e in self.spans]


def test_overlaps_phone_loses_to_checksummed_then_longest_wins() -> None:
    text = "0123456789abcdefghij"
    r = Redactor(
        detectors=[
            _Fixed("PHONE", (0, 12)),  # longest, but only a phone
            _Fixed("CARD", (2, 10)),
            _Fixed("IP", (9, 13)),  # overlaps the card, shorter: dropped
            _Fixed("EMAIL", (14, 20)),
            _Fixed("IBAN", (15, 17)),  # inside the longer e-mail: dropped
        ]
    )
    assert [(f.start, f.end, f.kind) for f in r.find(text)] == [(2, 10, "CARD"), (14, 20, "EMAIL")]
    assert r.redact(text) == "01[CARD]abcd[EMAIL]"


# -- nothing the core writes holds a planted value ---------------------------------------------------


def _files_holding(root, values: list[str]) -> list[str]:
    """`path: value` for every file under root whose bytes contain a value (spaced or compact form)."""
    hits = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for value in values:
            for form in {value, value.replace(" ", "")}:
                if form.encode() in data:
                    hits.append(f"{path.relative_to(root)}: {form}")
    return hits


@pytest.mark.slow
def test_training_with_redaction_writes_no_planted_value(tmp_path, caplog) -> None:
    """Train through the core with redact_pii=True; scan the model folder, registry and logs."""
    import logging
    import random

    from shared.api import finetune
    from shared.config import OptimConfig, TrainConfig
    from shared.paths import verticals_home
    from shared.registry import Registry

    rng = random.Random(0)
    topics = {
        "sport": ["goal", "match", "league", "coach"],
        "market": ["shares", "profit", "dividend", "stock"],
    }
    planted = list(PLANTED.values())
    rows = []
    for i in range(80):
        label = "sport" if i % 2 else "market"
        text = " ".join(rng.sample(topics[label], 3))
        if i % 4 == 0:  # a quarter of the rows carry PII, in every split
            text += f" contact {planted[(i // 4) % len(planted)]}"
        rows.append((text, label))
    df = pd.DataFrame(rows, columns=["text", "label"])
    registry = Registry(tmp_path / "registry")
    caplog.set_level(logging.DEBUG)
    result = finetune(
        df,
        task="classification",
        name="pii-scan",
        model="minilm",
        method="head",
        registry=registry,
        config=TrainConfig(epochs=1, progress=False, max_length=32, optim=OptimConfig(batch_size=16)),
        redact_pii=True,
    )
    found = result.card.data["pii"]["by_type"]
    assert set(found) == set(PLANTED) and sum(found.values()) >= 10  # redaction really ran
    log_file = tmp_path / "captured.log"
    log_file.write_text("\n".join(r.getMessage() for r in caplog.records))
    assert _files_holding(tmp_path, planted) == []
    assert _files_holding(verticals_home(), planted) == []  # caches, logs, app state
    # The scan itself can fail: a file with one planted value is caught.
    (tmp_path / "registry" / "leak.txt").write_text(f"x {PLANTED['IBAN']} y")
    assert _files_holding(tmp_path, planted) == [f"registry/leak.txt: {PLANTED['IBAN']}"]
