"""Personal data and secrets in text: find, validate, redact.

Each kind is one compiled regular expression (run by the C regex engine, only on
documents holding the kind's cheap marker, e.g. ``@`` for emails) followed by a
validator for the candidates, so the Python work is per candidate, not per
character:

* ``email``: local part ``@`` domain with a 2+ letter top-level label.
* ``ip``: IPv4 and IPv6 addresses that are public (``ipaddress``'s ``is_global``):
  private, loopback, link-local, documentation and other reserved ranges are kept,
  as datatrove's PII formatter does; dotted quads after "v"/"version" are versions.
* ``phone``: international ``+CC`` numbers (8-15 digits, E.164) and common national
  layouts (``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``, ``020 7946 0958``,
  ``06 12 34 56 78``); dates, times, version strings and plain digit runs are not
  numbers.
* ``credit_card``: 13-19 digits (optionally in groups of 4 separated by one space or
  dash), a known issuer prefix and a valid Luhn check digit.
* ``iban``: country code, check digits and BBAN of that country's length (ISO 13616
  registry) whose mod-97 check is 1; grouped in fours or not.
* ``secret``: PEM private-key blocks, cloud access key ids (AWS), and tokens with a
  registered prefix (GitHub, GitLab, Slack, Google API, Stripe, OpenAI).

Redaction replaces each match by a typed placeholder (``<EMAIL>``, ``<IP_ADDRESS>``,
``<PHONE>``, ``<CREDIT_CARD>``, ``<IBAN>``, ``<SECRET>``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable

import numpy as np
import pyarrow as pa

from winnow.minhash.signatures import _string_buffers
from winnow.numba_cache import kernel

KINDS = ("email", "ip", "phone", "credit_card", "iban", "secret")
PLACEHOLDER = {"email": "<EMAIL>", "ip": "<IP_ADDRESS>", "phone": "<PHONE>",
               "credit_card": "<CREDIT_CARD>", "iban": "<IBAN>", "secret": "<SECRET>"}
#: When matches overlap, the earlier kind here wins (a key inside a secret block…).
PRIORITY = ("secret", "email", "iban", "credit_card", "ip", "phone")

_EMAIL = re.compile(
    r"(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])")

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_VERSION_BEFORE = re.compile(r"(?:\bv|version\s*|ver\.?\s*)$", re.IGNORECASE)

_PHONE_INTL = re.compile(
    r"(?<![\w+])\+\d{1,3}(?:[ .-]?\(\d{1,4}\))?(?:[ .-]?\d{1,5}){1,6}(?![\w])")
_PHONE_NATIONAL = re.compile(
    r"(?<![\w.+-])(?:"
    r"\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}"             # (555) 123-4567
    r"|\d{3}([-.])\d{3}\1\d{4}"                    # 555-123-4567, 555.123.4567
    r"|\d{3} \d{3} \d{4}"                          # 555 123 4567
    r"|0\d{2,4} \d{3,4} \d{3,4}"                   # 020 7946 0958
    r"|0\d(?:[ .]\d{2}){4}"                        # 06 12 34 56 78
    r")(?![\w]|[.-]\d)")

_CARD = re.compile(r"(?<![\w.,-])(?:\d{4}(?:[ -]\d{4}){2}[ -]\d{1,7}|\d{13,19})(?![\w]|[.,-]\d)")
_CARD_PREFIX = re.compile(r"^(?:4|5[1-5]|2[2-7]|3[47]|3[0689]|6(?:011|5|4[4-9]|22)|35)")

_IBAN = re.compile(r"(?<![\w])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?(?![\w])")
#: BBAN lengths + 4 (the IBAN length) per country, from the ISO 13616 IBAN registry.
IBAN_LENGTH = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26,
    "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MR": 27, "MT": 31, "MU": 30, "NL": 18,
    "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "SA": 24,
    "SC": 31, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "ST": 25, "SV": 28, "TL": 23, "TN": 24,
    "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20,
}

_SECRET = re.compile(
    r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----.*?-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----"
    r"|(?<![A-Za-z0-9])(?:"
    r"(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}"   # AWS access key id
    r"|gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255}"  # GitHub
    r"|glpat-[A-Za-z0-9_-]{20,}"                                 # GitLab
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"                            # Slack
    r"|AIza[0-9A-Za-z_-]{35}"                                    # Google API key
    r"|(?:sk|rk)_live_[0-9A-Za-z]{24,}"                          # Stripe
    r"|sk-(?:proj-)?[A-Za-z0-9_-]{32,}"                          # OpenAI
    r")(?![A-Za-z0-9])", re.DOTALL)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "")
    if IBAN_LENGTH.get(s[:2]) != len(s):
        return False
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def _ip_ok(text: str, m: re.Match) -> bool:
    s = m.group()
    try:
        addr = ipaddress.ip_address(s)
    except ValueError:
        return False
    if addr.version == 4 and _VERSION_BEFORE.search(text, max(0, m.start() - 10), m.start()):
        return False
    if addr.version == 6 and s.count(":") < 2:
        return False
    return bool(addr.is_global)


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _phone_intl_ok(text: str, m: re.Match) -> bool:
    return 8 <= len(_digits(m.group())) <= 15


def _card_ok(text: str, m: re.Match) -> bool:
    d = _digits(m.group())
    return 13 <= len(d) <= 19 and bool(_CARD_PREFIX.match(d)) and luhn_ok(d)


def _always(text: str, m: re.Match) -> bool:
    return True


def _iban_ok(text: str, m: re.Match) -> bool:
    return iban_ok(m.group())


#: kind -> (candidate family, [(pattern, validator)])
Validator = Callable[[str, re.Match], bool]
EMAIL, DIGITS, IBAN, IPV6, SECRET = 0, 1, 2, 3, 4
_DETECTORS: dict[str, tuple[int, list[tuple[re.Pattern, Validator]]]] = {
    "email": (EMAIL, [(_EMAIL, _always)]),
    "ip": (DIGITS, [(_IPV4, _ip_ok)]),
    "phone": (DIGITS, [(_PHONE_INTL, _phone_intl_ok), (_PHONE_NATIONAL, _always)]),
    "credit_card": (DIGITS, [(_CARD, _card_ok)]),
    "iban": (IBAN, [(_IBAN, _iban_ok)]),
}
_IPV6_DETECTOR = (_IPV6, _ip_ok)


_AWS = np.array([[75, 73, 65], [83, 73, 65], [71, 80, 65], [73, 68, 65], [82, 79, 65],
                 [78, 80, 65], [78, 86, 65], [73, 80, 65]], np.uint8)  # AKIA, ASIA, … after 'A'


@kernel
def _starts(data, i, end, word) -> bool:
    if i + word.shape[0] > end:
        return False
    for j in range(word.shape[0]):
        if data[i + j] != word[j]:
            return False
    return True


_BEGIN = np.frombuffer(b"-----BEGIN", np.uint8)
_GITHUB = np.frombuffer(b"github_pat_", np.uint8)
_GLPAT = np.frombuffer(b"glpat-", np.uint8)
_AIZA = np.frombuffer(b"AIza", np.uint8)
_LIVE = np.frombuffer(b"_live_", np.uint8)
_SK = np.frombuffer(b"sk-", np.uint8)
_XOX = np.frombuffer(b"xox", np.uint8)


@kernel
def _secret_at(data, i, end, aws) -> bool:
    """A secret marker (``-----BEGIN``, ``AKIA`` …, ``gh?_``, ``xox``, ``sk-`` …) at ``i``."""
    c = data[i]
    if c == 45:
        return _starts(data, i, end, _BEGIN)
    if c == 65:
        if _starts(data, i, end, _AIZA):
            return True
        if i + 3 < end:
            for r in range(aws.shape[0]):
                if data[i + 1] == aws[r, 0] and data[i + 2] == aws[r, 1] and (
                        data[i + 3] == aws[r, 2]):
                    return True
        return False
    if c == 103:  # g
        if i + 3 < end and data[i + 1] == 104 and data[i + 3] == 95:
            return True
        return _starts(data, i, end, _GITHUB) or _starts(data, i, end, _GLPAT)
    if c == 120:
        return _starts(data, i, end, _XOX)
    if c == 95:
        return _starts(data, i, end, _LIVE)
    if c == 115:
        return _starts(data, i, end, _SK)
    return False


@kernel
def _candidates(data, offsets, aws, doc, fam, c0, c1) -> int:
    """Windows (document, family, code-point span) worth a regular expression.

    ``@`` (email), runs of digits and ``.()+/-`` and spaces with 7+ digits or 4+ digits
    and 3 dots (phone, card, IPv4), two capitals and two digits (IBAN), ``:`` followed
    within 5 hex digits by another ``:`` (IPv6). Everything else is skipped at
    compiled speed.
    """
    k = 0
    cap = doc.shape[0]
    for d in range(offsets.shape[0] - 1):
        start, end = offsets[d], offsets[d + 1]
        cp = 0
        run_start = -1
        digits = 0
        dots = 0
        i = start
        while i < end and k < cap - 4:
            c = data[i]
            is_digit = 48 <= c <= 57
            in_run = is_digit or c == 32 or c == 46 or c == 40 or c == 41 or c == 43 or (
                c == 45 or c == 47)
            if in_run:
                if run_start < 0 and (is_digit or c == 43 or c == 40):
                    run_start = cp
                    digits = 0
                    dots = 0
                if run_start >= 0:
                    if is_digit:
                        digits += 1
                    elif c == 46:
                        dots += 1
            elif run_start >= 0:
                if digits >= 7 or (digits >= 4 and dots >= 3):
                    doc[k] = d
                    fam[k] = 1
                    c0[k] = run_start
                    c1[k] = cp
                    k += 1
                run_start = -1
            if (c == 45 or c == 65 or c == 103 or c == 120 or c == 95 or c == 115) and (
                    _secret_at(data, i, end, aws)):
                doc[k] = d
                fam[k] = 4
                c0[k] = 0
                c1[k] = 0
                k += 1
            if c == 64:  # @
                doc[k] = d
                fam[k] = 0
                c0[k] = cp - 70
                c1[k] = cp + 260
                k += 1
            elif 65 <= c <= 90 and i + 3 < end and 65 <= data[i + 1] <= 90 and (
                    48 <= data[i + 2] <= 57) and 48 <= data[i + 3] <= 57:
                doc[k] = d
                fam[k] = 2
                c0[k] = cp
                c1[k] = cp + 42
                k += 1
            elif c == 58:  # :
                j = i + 1
                while j < end and j <= i + 5 and (48 <= data[j] <= 57 or 65 <= data[j] <= 70
                                                   or 97 <= data[j] <= 102):
                    j += 1
                if j < end and j <= i + 5 and data[j] == 58:
                    doc[k] = d
                    fam[k] = 3
                    c0[k] = cp - 40
                    c1[k] = cp + 48
                    k += 1
            if c < 0x80 or c >= 0xC0:  # count code points at their first byte
                cp += 1
            i += 1
        if run_start >= 0 and (digits >= 7 or (digits >= 4 and dots >= 3)):
            doc[k] = d
            fam[k] = 1
            c0[k] = run_start
            c1[k] = cp + 1
            k += 1
    return k


def candidates(texts: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(document, family, start, end) of every candidate window of a string array."""
    data, offsets = _string_buffers(texts)
    cap = max(int(offsets[-1] - offsets[0]) if len(offsets) > 1 else 0, 0) + 8
    doc = np.empty(cap, np.int64)
    fam = np.empty(cap, np.int8)
    c0 = np.empty(cap, np.int64)
    c1 = np.empty(cap, np.int64)
    k = _candidates(data, offsets, _AWS, doc, fam, c0, c1)
    return doc[:k], fam[:k], c0[:k], c1[:k]


def find_in_windows(text: str, windows: list[tuple[int, int, int]],
                    kinds: tuple[str, ...] = KINDS) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) in ``text``, looking only in candidate
    ``windows`` (family, start, end); a secret marker window means the whole text."""
    spans: list[tuple[int, int, str]] = []
    n = len(text)

    def add(a: int, b: int, kind: str) -> None:
        if not any(a < e and s < b for s, e, _ in spans):
            spans.append((a, b, kind))

    for kind in PRIORITY:
        if kind not in kinds:
            continue
        if kind == "secret":
            if any(f == SECRET for f, _, _ in windows):
                for m in _SECRET.finditer(text):
                    add(*m.span(), kind)
            continue
        family, detectors = _DETECTORS[kind]
        extra = [_IPV6_DETECTOR] if kind == "ip" else []
        for fam, a, b in windows:
            if kind == "ip" and fam == IPV6:
                dets = extra
            elif fam == family:
                dets = detectors
            else:
                continue
            lo, hi = max(0, a - 1), min(n, b + 3)
            for pattern, ok in dets:
                for m in pattern.finditer(text, lo, hi):
                    if ok(text, m):
                        add(*m.span(), kind)
    spans.sort()
    return spans


def find(text: str, kinds: tuple[str, ...] = KINDS) -> list[tuple[int, int, str]]:
    """Non-overlapping (start, end, kind) of the PII in ``text``, in text order."""
    doc, fam, c0, c1 = candidates(pa.array([text], pa.string()))
    return find_in_windows(text, list(zip(fam.tolist(), c0.tolist(), c1.tolist(),
                                          strict=True)), kinds)


def find_batch(texts: list[str], kinds: tuple[str, ...] = KINDS
               ) -> list[list[tuple[int, int, str]]]:
    """``find`` for every text; documents without a candidate cost no Python."""
    out: list[list[tuple[int, int, str]]] = [[] for _ in texts]
    doc, fam, c0, c1 = candidates(pa.array(texts, pa.string()))
    by_doc: dict[int, list[tuple[int, int, int]]] = {}
    for d, f, a, b in zip(doc.tolist(), fam.tolist(), c0.tolist(), c1.tolist(), strict=True):
        by_doc.setdefault(d, []).append((f, a, b))
    for d in sorted(by_doc):
        out[d] = find_in_windows(texts[d], by_doc.get(d, []), kinds)
    return out


def redact(text: str, spans: list[tuple[int, int, str]]) -> str:
    if not spans:
        return text
    out, pos = [], 0
    for a, b, kind in spans:
        out.append(text[pos:a])
        out.append(PLACEHOLDER[kind])
        pos = b
    out.append(text[pos:])
    return "".join(out)
