"""pii: a labelled set of planted values and hard negatives in real C4 text.

Each of 600 C4 documents gets planted values of every kind and hard negatives
(dates, times, ISBNs, version strings, order numbers, hashes, prices, private and
documentation IPs). A detection is a true positive when it covers a planted value
of its kind; any other detection is a false positive, except those already found
in the untouched document (real PII of the C4 sample: real phone numbers and
emails, counted apart). Targets (issue 16): recall >= 0.99 for email, IP, card and
IBAN; precision >= 0.95 for every kind.
"""

from __future__ import annotations

import gzip
import json
import random
import string
from pathlib import Path

import pytest
from winnow import config
from winnow.text.pii import KINDS, find_batch, iban_ok, luhn_ok, redact

DOCS = 600


def _luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(rng.choice(string.digits) for _ in range(length - len(prefix) - 1))
    for d in string.digits:
        if luhn_ok(body + d):
            return body + d
    raise AssertionError


def _iban(country: str, bban: str) -> str:
    for check in range(100):
        s = f"{country}{check:02d}{bban}"
        if iban_ok(s):
            return s
    raise AssertionError


def positives(rng: random.Random) -> dict[str, list[str]]:
    first = ["anna", "j.smith", "li.wei", "maria_g", "o'neil", "k.tanaka", "p.mueller+news"]
    domains = ["example.org", "mail.uni-heidelberg.de", "gmail.com", "company.co.uk", "x.io"]
    emails = [f"{rng.choice(first).replace(chr(39), '')}{rng.randint(1, 99)}@{rng.choice(domains)}"
              for _ in range(4)]
    v4 = []
    while len(v4) < 2:
        a = rng.choice([8, 23, 45, 66, 81, 104, 151, 185, 212])
        v4.append(f"{a}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    v6 = rng.choice(["2001:4860:4860::8888", "2a00:1450:4001:82a::200e",
                     "2606:4700:4700:0:0:0:0:1111", "2620:fe::fe"])
    phones = [
        f"+1 {rng.randint(201, 989)} {rng.randint(200, 999)} {rng.randint(1000, 9999)}",
        f"+44 20 {rng.randint(7000, 8999)} {rng.randint(1000, 9999)}",
        f"+33 6 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
        f"{rng.randint(10, 99)}",
        f"+49 30 {rng.randint(1000000, 99999999)}",
        f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        f"{rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(1000, 9999)}",
        f"{rng.randint(201, 989)}.{rng.randint(200, 999)}.{rng.randint(1000, 9999)}",
        f"020 {rng.randint(7000, 8999)} {rng.randint(1000, 9999)}",
    ]
    cards = []
    for prefix, length in [("4", 16), ("5" + str(rng.randint(1, 5)), 16), ("37", 15),
                           ("6011", 16)]:
        n = _luhn_complete(prefix, length, rng)
        style = rng.choice(["plain", "space", "dash"])
        if style != "plain" and length == 16:
            n = (" " if style == "space" else "-").join(n[i:i + 4] for i in range(0, 16, 4))
        cards.append(n)
    digits = lambda k: "".join(rng.choice(string.digits) for _ in range(k))  # noqa: E731
    ibans = [_iban("DE", digits(18)), _iban("FR", digits(23)), _iban("NL", "ABNA" + digits(10)),
             _iban("GB", "NWBK" + digits(14))]
    ibans = [i if rng.random() < 0.5 else " ".join(i[k:k + 4] for k in range(0, len(i), 4))
             for i in ibans]
    alnum = string.ascii_letters + string.digits
    rand = lambda k, chars=alnum: "".join(rng.choice(chars) for _ in range(k))  # noqa: E731
    secrets = ["AKIA" + rand(16, string.ascii_uppercase + string.digits),
               "ghp_" + rand(36), "xoxb-" + digits(11) + "-" + rand(24), "AIza" + rand(35),
               "sk_live_" + rand(24),
               "-----BEGIN RSA PRIVATE KEY-----\n" + rand(64) + "\n" + rand(64)
               + "\n-----END RSA PRIVATE KEY-----"]
    return {"email": emails, "ip": [*v4, v6], "phone": rng.sample(phones, 3),
            "credit_card": rng.sample(cards, 2), "iban": rng.sample(ibans, 2),
            "secret": rng.sample(secrets, 2)}


def negatives(rng: random.Random) -> list[str]:
    y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
    isbn = "978" + "".join(rng.choice(string.digits) for _ in range(10))
    bad_card = _luhn_complete("4", 16, rng)
    bad_card = bad_card[:-1] + str((int(bad_card[-1]) + 1) % 10)  # Luhn fails
    return rng.sample([
        f"{y}-{m:02d}-{d:02d}", f"{d:02d}/{m:02d}/{y}", f"{d:02d}.{m:02d}.{y}",
        f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}",
        f"ISBN {isbn[:3]}-{isbn[3]}-{isbn[4:6]}-{isbn[6:12]}-{isbn[12]}", f"ISBN {isbn}",
        f"version {rng.randint(1, 12)}.{rng.randint(0, 9)}.{rng.randint(0, 99)}."
        f"{rng.randint(0, 999)}",
        f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 20)}",
        f"Order #{rng.randint(10**8, 10**9)}", f"order no. {rng.randint(1000, 9999)}-"
        f"{rng.randint(1000, 9999)}",
        "".join(rng.choice("0123456789abcdef") for _ in range(40)),
        "".join(rng.choice("0123456789abcdef") for _ in range(32)),
        f"${rng.randint(1, 9)},{rng.randint(100, 999)}.{rng.randint(10, 99)}",
        f"€ {rng.randint(1, 9)}.{rng.randint(100, 999)},00", bad_card,
        f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}", "127.0.0.1",
        f"203.0.113.{rng.randint(1, 254)}", "2001:db8::1", "::1",
        f"ZIP {rng.randint(10000, 99999)}", f"{rng.randint(1, 99)}.{rng.randint(1000, 9999)}, "
        f"{rng.randint(1, 99)}.{rng.randint(1000, 9999)}",
    ], 6)


def labelled_set(shared: Path, n: int = DOCS, seed: int = 16):
    """(original texts, planted texts, [(start, end, kind or None)] per document)."""
    rng = random.Random(seed)
    with gzip.open(shared / "web" / "c4-en-sample-1000.jsonl.gz", "rt") as f:
        originals = [json.loads(line)["text"] for line in f][:n]
    texts, labels = [], []
    for t in originals:
        values = [(k, v) for k, vs in positives(rng).items() for v in vs]
        values += [(None, v) for v in negatives(rng)]
        rng.shuffle(values)
        words = t.split(" ")
        cuts = sorted(rng.sample(range(len(words) + 1), min(len(values), len(words) + 1)))
        pieces, spans, pos, last = [], [], 0, 0
        for (kind, value), cut in zip(values, cuts, strict=False):
            chunk = " ".join(words[last:cut])
            last = cut
            lead = chunk + (" " if chunk else "") + rng.choice(["contact ", "", "see: ", "("])
            pieces.append(lead)
            pos += len(lead)
            spans.append((pos, pos + len(value), kind))
            pieces.append(value + rng.choice([" ", ". ", ") ", ", "]))
            pos += len(pieces[-1])
        pieces.append(" ".join(words[last:]))
        texts.append("".join(pieces))
        labels.append(spans)
    return originals, texts, labels


def score(originals, texts, labels) -> dict[str, dict[str, float]]:
    """Precision and recall per kind; detections also found in the original are real PII."""
    real = [{(t[a:b], k) for a, b, k in s} for t, s in zip(originals, find_batch(originals),
                                                          strict=True)]
    tp = dict.fromkeys(KINDS, 0)
    fp = dict.fromkeys(KINDS, 0)
    planted = dict.fromkeys(KINDS, 0)
    found = dict.fromkeys(KINDS, 0)
    already = dict.fromkeys(KINDS, 0)
    for text, spans, seen, got in zip(texts, labels, real, find_batch(texts), strict=True):
        for a, b, kind in spans:
            if kind:
                planted[kind] += 1
                if any(k == kind and s < b and a < e for s, e, k in got):
                    found[kind] += 1
        for s, e, k in got:
            if any(kind == k and s < b and a < e for a, b, kind in spans):
                tp[k] += 1
            elif (text[s:e], k) in seen:
                already[k] += 1
            else:
                fp[k] += 1
    return {k: {"planted": planted[k], "recall": found[k] / max(planted[k], 1),
                "precision": tp[k] / max(tp[k] + fp[k], 1), "false_positives": fp[k],
                "real_in_c4": already[k]} for k in KINDS}


@pytest.fixture(scope="module")
def scores(shared_data):
    return score(*labelled_set(shared_data))


@pytest.mark.parametrize("kind", ["email", "ip", "credit_card", "iban"])
def test_recall_target(scores, kind):
    assert scores[kind]["planted"] >= 300
    assert scores[kind]["recall"] >= 0.99, scores[kind]


@pytest.mark.parametrize("kind", KINDS)
def test_precision_target(scores, kind):
    assert scores[kind]["precision"] >= 0.95, scores[kind]
    assert scores[kind]["recall"] >= 0.9, scores[kind]


def test_hard_negatives_alone_are_not_pii():
    rng = random.Random(3)
    text = " ; ".join(v for _ in range(200) for v in negatives(rng))
    assert find_batch([text]) == [[]]


def test_redaction_uses_typed_placeholders():
    text = "Mail a.b@example.org or call +1 415 555 2671; card 4111 1111 1111 1111."
    spans = find_batch([text])[0]
    assert [k for _, _, k in spans] == ["email", "phone", "credit_card"]
    assert redact(text, spans) == "Mail <EMAIL> or call <PHONE>; card <CREDIT_CARD>."


def test_config_checks():
    with pytest.raises(config.ConfigError, match="kinds: each must be one of"):
        config.parse({"stages": [{"stage": "pii", "kinds": ["ssn"]}]})
    with pytest.raises(config.ConfigError, match="action: must be one of"):
        config.parse({"stages": [{"stage": "pii", "action": "hide"}]})
    stage = config.parse({"stages": [{"stage": "pii", "action": "drop",
                                      "kinds": ["email", "ip"]}]}).stages[0]
    assert [(r.name, r.predicate) for r in stage.rules()] == [
        ("email", "pii_email > 0"), ("ip", "pii_ip > 0")]
    assert stage.reason("email") == "pii:email"
