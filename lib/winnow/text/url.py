"""URL rules of web-crawl pipelines (RefinedWeb, Penedo et al. 2023 §G.1; FineWeb's
first step): a domain blocklist and banned words in the URL.

* blocklist: the URL's host or any parent domain of it is listed
  (``a.b.example.com`` is blocked by ``example.com``);
* banned words: the lowercased URL split at every non-alphanumeric character
  contains a banned word (RefinedWeb's "hard" list);
* soft-banned words: it contains at least ``soft_threshold`` distinct ones;
* banned sub-words: the URL with every non-alphanumeric character removed
  contains a banned sub-word anywhere (``2 girls 1 cup`` → ``2girls1cup``).

List files have one entry per line; blank lines and lines starting with ``#`` are
skipped; word entries are normalised like the URL (lowercased, non-alphanumerics
removed), as in datatrove's URL filter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from winnow.files import local_file

_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# [scheme:][//][user@]host — the host ends at a port, path, query or fragment.
_HOST = re.compile(
    r"(?:[A-Za-z][A-Za-z0-9+.-]*:(?=//))?(?://)?(?:[^@/?#\s]*@)?(\[[^\]]*\]|[^:/?#\s@]*)")


def normalize_word(word: str) -> str:
    """Lowercase and drop everything but ASCII letters and digits."""
    return _NON_ALNUM.sub("", word.lower())


def read_entries(path: str) -> list[str]:
    """Entries of a list file (blank lines and ``#`` lines skipped)."""
    with open(local_file(path), encoding="utf-8") as f:
        return [s for s in (line.strip() for line in f) if s and not s.startswith("#")]


@dataclass
class UrlLists:
    """Blocked domains and banned (sub-)words, normalised for matching."""

    domains: frozenset[str] = frozenset()
    banned_words: frozenset[str] = frozenset()
    soft_banned_words: frozenset[str] = frozenset()
    banned_subwords: tuple[str, ...] = ()

    @classmethod
    def build(cls, domains: list[str] = (), banned_words: list[str] = (),
              soft_banned_words: list[str] = (), banned_subwords: list[str] = ()) -> UrlLists:
        """Normalise raw entries (domains lowercased, ``www.`` and dots trimmed)."""
        subwords = tuple(sorted({w for w in map(normalize_word, banned_subwords) if w}))
        return cls(
            domains=frozenset(d.lower().strip(".").removeprefix("www.") for d in domains),
            banned_words=frozenset(w for w in map(normalize_word, banned_words) if w),
            soft_banned_words=frozenset(w for w in map(normalize_word, soft_banned_words) if w),
            banned_subwords=subwords,
        )


def host(url: str) -> str:
    """The URL's host, lowercased, without user, port and ``www.`` (scheme optional)."""
    found = _HOST.match(url)
    name = found.group(1).lower() if found else ""
    return name.strip(".").removeprefix("www.")


def blocked_domain(name: str, domains: frozenset[str]) -> bool:
    """True if ``name`` or one of its parent domains is in ``domains``."""
    while name:
        if name in domains:
            return True
        _, _, name = name.partition(".")
    return False


@dataclass
class UrlSignals:
    """Per-document URL signals (``None`` where the document has no URL)."""

    domain: list[str | None]
    blocked: list[bool | None]
    banned_words: list[int | None]
    soft_banned_words: list[int | None]
    banned_subwords: list[int | None]


def signals(urls: list[str | None], lists: UrlLists) -> UrlSignals:
    """Domain and banned-word counts for each URL."""
    out = UrlSignals([], [], [], [], [])
    for url in urls:
        if not url:
            for column in (out.domain, out.blocked, out.banned_words, out.soft_banned_words,
                           out.banned_subwords):
                column.append(None)
            continue
        name = host(url)
        words = set(_NON_ALNUM.split(url.lower()))
        out.domain.append(name or None)
        out.blocked.append(bool(lists.domains) and blocked_domain(name, lists.domains))
        out.banned_words.append(len(words & lists.banned_words))
        out.soft_banned_words.append(len(words & lists.soft_banned_words))
        squashed = _NON_ALNUM.sub("", url.lower())
        out.banned_subwords.append(sum(map(squashed.__contains__, lists.banned_subwords)))
    return out
