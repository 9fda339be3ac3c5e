"""Recall and precision of `shared.pii` per PII type on a generated corpus.

Planted PII (faker, several locales) and planted non-PII numbers (amounts, dates, percentages, years,
IDs that fail the Luhn or mod-97 checks, clock times, version strings...) are inserted at random word
positions of real Financial PhraseBank sentences, which are full of numbers of their own.

Scoring: a planted value counts as recalled when findings of the right type cover every alphanumeric
character of it (a phone's extension excepted); a finding counts as correct when it overlaps a planted
value of its own type, anything else is a false positive (on a negative, on the sentence, or the wrong
type). FPB sentences that already contain contact details (press-release footers with "tel. +358 ...",
e-mail addresses) are left out, since they hold real, unlabelled PII; the count is printed. Values are
inserted only where neither neighbouring word is itself a figure ("tel. 6067 2036 256 million" is
ambiguous even to a reader).

    python bench/pii.py --data-dir /path/to/data [--n 5000] [--seed 0] [--show-errors 10]
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from faker import Faker

from shared.paths import data_dir
from shared.pii import RedactionConfig, Redactor
from shared.pii.cards import luhn_valid
from shared.pii.ibans import iban_checksum_valid

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "es_ES", "it_IT", "nl_NL", "sv_SE", "en_IN", "en_AU"]
KINDS = ["EMAIL", "PHONE", "CARD", "IBAN", "IP"]
# Press-release footers with real phone numbers / e-mails: real PII nobody labelled.
_HAS_CONTACT = re.compile(r"(?i)\btel\b|telephone|callers|\+ ?\d[\d ]{6,}|@|\bat\b \w+\.com|e-mail")
_EXTENSION = re.compile(r"(?i)\s*(?:x|ext\.?)\s*\d+$")


@dataclass
class Planted:
    kind: str  # EMAIL..IP, or NEG:<what>
    start: int
    end: int
    value: str
    locale: str


def read_phrasebank(root: Path) -> list[str]:
    path = root / "financial_phrasebank" / "Sentences_50Agree.txt"
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    return [line.rsplit("@", 1)[0].strip() for line in text.splitlines() if "@" in line]


# ---- planted values -------------------------------------------------------------------------------


def _group(digits: str, sizes: list[int], sep: str) -> str:
    out, i = [], 0
    for s in sizes:
        if i >= len(digits):
            break
        out.append(digits[i : i + s])
        i += s
    if i < len(digits):
        out.append(digits[i:])
    return sep.join(out)


def make_pii(kind: str, fake: Faker, rng: random.Random) -> str:
    if kind == "EMAIL":
        return rng.choice([fake.email, fake.free_email, fake.company_email, fake.ascii_safe_email])()
    if kind == "PHONE":
        return fake.phone_number()
    if kind == "CARD":
        digits = fake.credit_card_number()
        style = rng.random()
        if style < 0.4:
            return digits
        sizes = [4, 6, 5] if len(digits) == 15 else [4, 4, 4, 4, 3]
        return _group(digits, sizes, " " if style < 0.8 else "-")
    if kind == "IBAN":
        iban = fake.iban()
        return iban if rng.random() < 0.5 else _group(iban, [4] * 9, " ")
    if kind == "IP":
        return rng.choice([fake.ipv4, fake.ipv4_public, fake.ipv4_private, fake.ipv6])()
    raise ValueError(kind)


def _luhn_failing(rng: random.Random, n: int) -> str:
    while True:
        d = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))
        if not luhn_valid(d):
            return d


def _grouped_variant(digits: str, rng: random.Random) -> str:
    return rng.choice([digits, _group(digits, [4, 4, 4, 4], " "), _group(digits, [4, 4, 4, 4], "-")])


def _bad_iban(fake: Faker, rng: random.Random) -> str:
    iban = fake.iban()
    while True:
        bad = iban[:2] + f"{rng.randint(2, 98):02d}" + iban[4:]
        if not iban_checksum_valid(bad):
            return bad if rng.random() < 0.5 else _group(bad, [4] * 9, " ")


def make_negative(rng: random.Random, fake: Faker) -> tuple[str, str]:
    """A number-bearing string that is NOT PII, and what it is."""
    y = rng.randint(1995, 2025)
    m, d = rng.randint(1, 12), rng.randint(1, 28)
    big = rng.randint(10_000, 99_999_999)
    choices = {
        "amount": lambda: rng.choice(
            [
                f"EUR {big:,}",
                f"USD {big / 1000:,.1f} mn",
                f"${rng.randint(1, 999)}.{rng.randint(0, 9)} million",
                f"{big:,} euros".replace(",", " "),
                f"EUR{rng.randint(1, 999)} .{rng.randint(0, 9)} m",
                f"SEK {big:,}.00",
            ]
        ),
        "date": lambda: rng.choice(
            [
                f"{y}-{m:02d}-{d:02d}",
                f"{d:02d}.{m:02d}.{y}",
                f"{m:02d}/{d:02d}/{y}",
                f"{d}.{m}.{y}",
                f"{d} {fake.month_name()} {y}",
            ]
        ),
        "percent": lambda: f"{rng.randint(0, 99)}.{rng.randint(0, 9)} %",
        "year": lambda: rng.choice(
            [f"{y}-{y + 1}", f"{y}/{str(y + 1)[2:]}", f"fiscal {y}", f"Q{rng.randint(1, 4)} {y}"]
        ),
        "order_id": lambda: rng.choice(
            [
                f"ORD-{rng.randint(10**7, 10**8 - 1)}",
                f"INV {y}/{rng.randint(1, 99999):05d}",
                f"ticket #{rng.randint(10**5, 10**7)}",
                f"ref. {rng.randint(10**9, 10**10 - 1)}",
            ]
        ),
        "luhn_fail": lambda: _grouped_variant(_luhn_failing(rng, 16), rng),
        "iban_fail": lambda: _bad_iban(fake, rng),
        "ip_invalid": lambda: (
            f"{rng.randint(256, 999)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}"
        ),
        "version": lambda: f"v{rng.randint(1, 20)}.{rng.randint(0, 30)}.{rng.randint(0, 9)}",
        "time": lambda: f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        "shares": lambda: f"{rng.randint(100_000, 50_000_000):,} shares",
        "range": lambda: (
            f"{rng.randint(1, 99)}.{rng.randint(0, 9)} - {rng.randint(1, 99)}.{rng.randint(0, 9)}"
        ),
    }
    what = rng.choice(sorted(choices))
    return what, choices[what]()


CONTEXT = {
    "EMAIL": ["contact {}", "e-mail {}", "({})", "{}"],
    "PHONE": ["call {}", "tel. {}", "phone: {}", "({})", "{}"],
    "CARD": ["card {}", "paid with {}", "card number {}", "{}"],
    "IBAN": ["IBAN {}", "to account {}", "{}"],
    "IP": ["from IP {}", "host {}", "{}"],
}


def build_text(
    sentence: str, inserts: list[tuple[str, str, str]], rng: random.Random
) -> tuple[str, list[Planted]]:
    """Insert each (kind, value, locale) at a random word boundary; returns text and exact spans."""
    words = sentence.split(" ")
    # Only between words that are not numbers themselves: "call 6067 2036 256 million" is ambiguous
    # even to a reader, and real text separates a phone or an account number from the next figure.
    free = [i for i in range(len(words) + 1) if not (_numeric(words, i - 1) or _numeric(words, i))]
    if len(free) < len(inserts):
        free = list(range(len(words) + 1))
    slots = sorted(rng.sample(free, k=min(len(inserts), len(free))))
    pieces: list[tuple[int, str, str, str, str]] = []  # (slot, kind, value, locale, template)
    for slot, (kind, value, locale) in zip(slots, inserts):
        template = rng.choice(CONTEXT.get(kind, ["{}"]))
        pieces.append((slot, kind, value, locale, template))
    out: list[str] = []
    planted: list[Planted] = []
    pos = 0
    by_slot = defaultdict(list)
    for p in pieces:
        by_slot[p[0]].append(p)
    for i in range(len(words) + 1):
        for _, kind, value, locale, template in by_slot.get(i, []):
            pre, post = template.split("{}")
            chunk = pre + value + post
            start = pos + len(pre)
            planted.append(Planted(kind, start, start + len(value), value, locale))
            out.append(chunk)
            pos += len(chunk) + 1
        if i < len(words):
            out.append(words[i])
            pos += len(words[i]) + 1
    return " ".join(out), planted


def _numeric(words: list[str], i: int) -> bool:
    if i < 0 or i >= len(words):
        return False
    w = words[i]
    return bool(re.match(r"^[\d$€£%(+-]", w)) or w.lower() in _UNIT_WORDS


_UNIT_WORDS = {
    "eur",
    "usd",
    "mn",
    "mln",
    "m",
    "million",
    "bn",
    "billion",
    "pct",
    "percent",
    "euros",
    "euro",
    "shares",
    "sek",
    "dollars",
}


# ---- scoring --------------------------------------------------------------------------------------


def covered(p: Planted, findings, text: str) -> bool:
    value = _EXTENSION.sub("", p.value) if p.kind == "PHONE" else p.value
    positions = [p.start + i for i, ch in enumerate(value) if ch.isalnum()]
    same = [f for f in findings if f.kind == p.kind]
    return all(any(f.start <= q < f.end for f in same) for q in positions)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--data-dir", default=None, help="folder holding financial_phrasebank/ (default $VERTICALS_DATA)"
    )
    ap.add_argument("--n", type=int, default=5000, help="number of generated texts")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--leniency", default="possible", choices=["possible", "valid"])
    ap.add_argument(
        "--show-errors", type=int, default=0, help="print this many misses / false positives per type"
    )
    args = ap.parse_args(argv)

    sentences = read_phrasebank(data_dir(args.data_dir))
    clean = [s for s in sentences if not _HAS_CONTACT.search(s)]
    rng = random.Random(args.seed)
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, loc in enumerate(LOCALES):
        fakers[loc].seed_instance(args.seed * 100 + i)

    corpus: list[tuple[str, list[Planted]]] = []
    for i in range(args.n):
        loc = rng.choice(LOCALES)
        fake = fakers[loc]
        kind = KINDS[i % len(KINDS)]
        inserts = [(kind, make_pii(kind, fake, rng), loc)]
        for _ in range(rng.choice([1, 1, 2])):
            what, value = make_negative(rng, fake)
            inserts.append((f"NEG:{what}", value, loc))
        rng.shuffle(inserts)
        corpus.append(build_text(rng.choice(clean), inserts, rng))

    redactor = Redactor(RedactionConfig(phone_leniency=args.leniency))
    t0 = time.perf_counter()
    results = [(text, planted, redactor.find(text)) for text, planted in corpus]
    elapsed = time.perf_counter() - t0

    found_n: Counter[str] = Counter()
    planted_n: Counter[str] = Counter()
    recalled: Counter[str] = Counter()
    tp: Counter[str] = Counter()
    fp_where: dict[str, Counter[str]] = defaultdict(Counter)
    phone_by_locale: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    leaks = 0
    misses: dict[str, list[str]] = defaultdict(list)
    false_pos: dict[str, list[str]] = defaultdict(list)
    for text, planted, findings in results:
        redacted = redactor.redact(text)
        for p in planted:
            if p.kind.startswith("NEG:"):
                continue
            planted_n[p.kind] += 1
            ok = covered(p, findings, text)
            recalled[p.kind] += ok
            if p.kind == "PHONE":
                phone_by_locale[p.locale][0] += ok
                phone_by_locale[p.locale][1] += 1
            if not ok:
                misses[p.kind].append(f"{p.value!r} [{p.locale}] in: {text}")
            if p.value in redacted:
                leaks += 1
        for f in findings:
            found_n[f.kind] += 1
            hit = [p for p in planted if p.start < f.end and f.start < p.end]
            if any(p.kind == f.kind for p in hit):
                tp[f.kind] += 1
            else:
                where = hit[0].kind if hit else "sentence"
                fp_where[f.kind][where] += 1
                false_pos[f.kind].append(f"{text[f.start : f.end]!r} ({where}) in: {text}")

    print(
        f"corpus: {args.n} texts from {len(clean)} FPB sentences ({len(sentences) - len(clean)} with real "
        f"contact details left out), locales {', '.join(LOCALES)}, seed {args.seed}, phone leniency {args.leniency}"
    )
    n_neg = sum(1 for _, planted in corpus for p in planted if p.kind.startswith("NEG:"))
    print(f"planted negatives (non-PII numbers): {n_neg}")
    print()
    print(f"{'type':<8}{'planted':>9}{'recall':>9}{'found':>8}{'precision':>11}  false positives on")
    for kind in KINDS:
        rec = recalled[kind] / planted_n[kind] if planted_n[kind] else float("nan")
        prec = tp[kind] / found_n[kind] if found_n[kind] else float("nan")
        where = ", ".join(f"{k}={v}" for k, v in fp_where[kind].most_common(5)) or "-"
        print(f"{kind:<8}{planted_n[kind]:>9}{rec:>9.4f}{found_n[kind]:>8}{prec:>11.4f}  {where}")
    total_planted = sum(planted_n.values())
    total_found = sum(found_n.values())
    print(
        f"{'all':<8}{total_planted:>9}{sum(recalled.values()) / total_planted:>9.4f}{total_found:>8}"
        f"{sum(tp.values()) / max(total_found, 1):>11.4f}"
    )
    print()
    print(
        "phone recall by faker locale: "
        + ", ".join(f"{loc}={ok / n:.3f}" for loc, (ok, n) in sorted(phone_by_locale.items()))
    )
    print(f"raw planted values still present after redaction: {leaks}")
    print(f"speed: {len(results) / elapsed:,.0f} texts/s (one process, {elapsed:.2f} s)")
    if args.show_errors:
        for kind in KINDS:
            for line in misses[kind][: args.show_errors]:
                print(f"MISS {kind}: {line}")
            for line in false_pos[kind][: args.show_errors]:
                print(f"FP   {kind}: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
