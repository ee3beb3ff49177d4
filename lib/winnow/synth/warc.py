"""The synthetic corpus as crawl files: WARC (HTML pages with boilerplate) or WET.

:func:`generate_warc` writes the documents of :func:`winnow.synth.generate` (same
``seed`` and index, same texts) under ``DIR/warc/part-NNNNN.warc.gz`` (or
``.warc.wet.gz``), one gzip member per record as Common Crawl writes them, plus
``DIR/warc_truth.parquet``. A WARC file starts with a ``warcinfo`` record; each page is
a ``request`` and a ``response`` record. The HTML wraps the text's paragraphs in
``<main><article>`` between boilerplate a main-content extractor should drop: a
navigation bar, a cookie banner, a sidebar and a footer, plus a script and a style.

Planted pages that are responses but not documents (``page`` in the truth table):
every 37th is an image (``image/png``, ``not_html``), every 41st a ``404`` HTML page
(``not_found``), every 43rd an HTML page without visible text (``empty``), and every
47th page's URL carries a banned word (``blocked_url``; ``url`` stage, before
extraction). The rest are ``html``. WET output has one ``conversion`` record per page
with the plain text (no planted pages).
"""

from __future__ import annotations

import gzip
import hashlib
import html
import json
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from winnow.synth.plan import _kind_cdf
from winnow.synth.vocabulary import _CHUNK, KINDS
from winnow.synth.writer import _chunk, doc_id

PAGES_PER_FILE = 5_000
DATE = "2026-01-01T00:00:00Z"
_NAV = ("<header><nav class=\"menu\"><ul><li><a href=\"/\">Home</a></li>"
        "<li><a href=\"/news\">News</a></li><li><a href=\"/about\">About us</a></li>"
        "<li><a href=\"/contact\">Contact</a></li><li><a href=\"/login\">Sign in</a></li>"
        "</ul></nav></header>")
_COOKIES = ("<div id=\"cookie-banner\" class=\"cookie-consent\"><p>We use cookies to improve "
            "your experience. By continuing to browse you accept our use of cookies.</p>"
            "<button>Accept all</button><button>Settings</button></div>")
_SIDEBAR = ("<aside class=\"sidebar\"><h3>Popular</h3><ul><li><a href=\"/p/1\">Ten tips for "
            "spring</a></li><li><a href=\"/p/2\">Our newsletter</a></li></ul></aside>")
_FOOTER = ("<footer class=\"footer\"><p>© 2026 Example Media. All rights reserved.</p>"
           "<p><a href=\"/privacy\">Privacy policy</a> | <a href=\"/terms\">Terms of use</a>"
           " | <a href=\"/imprint\">Imprint</a></p></footer>")
_HEAD = ("<head><meta charset=\"utf-8\"><title>{title}</title><style>body{{font:14px sans-serif}}"
         "</style><script>window.dataLayer=[];function gtag(){{dataLayer.push(arguments)}}"
         "</script></head>")
_PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
TRUTH_SCHEMA = pa.schema([("record_id", pa.string()), ("doc_id", pa.string()),
                          ("kind", pa.string()), ("page", pa.string()), ("url", pa.string())])


def record_id(seed: int, index: int, what: str) -> str:
    """A deterministic ``<urn:uuid:…>`` for record ``what`` of page ``index``."""
    digest = hashlib.blake2b(f"{seed}/{index}/{what}".encode(), digest_size=16).digest()
    return f"<urn:uuid:{uuid.UUID(bytes=digest, version=4)}>"


def page_kind(index: int) -> str:
    """Which planted page (or ``html``) page ``index`` is."""
    for every, kind in ((37, "not_html"), (41, "not_found"), (43, "empty"),
                        (47, "blocked_url")):
        if index % every == every - 1:
            return kind
    return "html"


def render_html(text: str, title: str) -> str:
    """A page around ``text``: its paragraphs inside ``<main>``, boilerplate around it."""
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n") if p.strip())
    return (f"<!DOCTYPE html><html lang=\"en\">{_HEAD.format(title=html.escape(title))}<body>"
            f"{_NAV}{_COOKIES}<main><article><h1>{html.escape(title)}</h1>{paras}</article>"
            f"</main>{_SIDEBAR}{_FOOTER}</body></html>")


def warc_record(kind: str, rid: str, block: bytes, headers: dict[str, str]) -> bytes:
    """One gzip member holding one WARC/1.0 record."""
    head = {"WARC-Type": kind, "WARC-Record-ID": rid, "WARC-Date": DATE, **headers,
            "Content-Length": str(len(block))}
    text = "WARC/1.0\r\n" + "".join(f"{k}: {v}\r\n" for k, v in head.items()) + "\r\n"
    return gzip.compress(text.encode() + block + b"\r\n\r\n", compresslevel=1, mtime=0)


def _http(status: str, content_type: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode() + body


def _page(seed: int, i: int, doc: dict, wet: bool) -> tuple[bytes, dict]:
    """The records of page ``i`` and its truth row."""
    url = doc["url"]
    page = "html" if wet else page_kind(i)
    if page == "blocked_url":
        url = url.replace("://", "://free-porn-", 1)
    rid = record_id(seed, i, "conversion" if wet else "response")
    truth = {"record_id": rid, "doc_id": doc["id"], "page": page, "url": url}
    if wet:
        block = doc["text"].encode()
        return warc_record("conversion", rid, block, {
            "WARC-Target-URI": url, "WARC-Refers-To": record_id(seed, i, "response"),
            "Content-Type": "text/plain"}), truth
    title = " ".join(doc["text"].split()[:8]) or "Untitled"
    if page == "not_html":
        http = _http("200 OK", "image/png", _PNG)
    elif page == "not_found":
        http = _http("404 Not Found", "text/html; charset=utf-8",
                     render_html("The page you asked for does not exist.", "Not found").encode())
    elif page == "empty":
        http = _http("200 OK", "text/html; charset=utf-8",
                     b"<!DOCTYPE html><html><head><title></title></head><body>"
                     b"<div id=\"app\"></div></body></html>")
    else:
        http = _http("200 OK", "text/html; charset=utf-8",
                     render_html(doc["text"], title).encode())
    request = f"GET / HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n\r\n".encode()
    return (warc_record("request", record_id(seed, i, "request"), request,
                        {"WARC-Target-URI": url,
                         "Content-Type": "application/http; msgtype=request"})
            + warc_record("response", rid, http, {
                "WARC-Target-URI": url, "WARC-Concurrent-To": record_id(seed, i, "request"),
                "Content-Type": "application/http; msgtype=response"})), truth


def generate_warc(docs: int, output: str, seed: int = 0, wet: bool = False,
                  pages_per_file: int = PAGES_PER_FILE) -> dict:
    """Write ``docs`` pages as WARC (or WET) files and their truth; returns a summary."""
    if docs < 1:
        raise ValueError("docs must be >= 1")
    began = time.perf_counter()
    kind_cdf = _kind_cdf(0.05, 0.08, 0.15)  # winnow.synth.generate's default rates
    root = Path(output)
    (root / "warc").mkdir(parents=True, exist_ok=True)
    suffix = ".warc.wet.gz" if wet else ".warc.gz"
    for stale in (root / "warc").glob("part-*"):
        stale.unlink()
    pages: dict[str, int] = {}
    with pq.ParquetWriter(root / "warc_truth.parquet", TRUTH_SCHEMA) as truth_out:
        for n, first in enumerate(range(0, docs, pages_per_file)):
            last = min(docs, first + pages_per_file)
            rows: list[dict] = []
            with open(root / "warc" / f"part-{n:05d}{suffix}", "wb") as out:
                info = json.dumps({"software": "winnow synth", "seed": seed}).encode()
                out.write(warc_record("warcinfo", record_id(seed, -1 - n, "warcinfo"), info,
                                      {"Content-Type": "application/warc-fields"}))
                for start in range(first, last, _CHUNK):
                    index = np.arange(start, min(start + _CHUNK, last))
                    lines, (kind, *_) = _chunk(seed, index, kind_cdf)
                    for i, k, line in zip(index.tolist(), kind.tolist(),
                                          lines.decode().splitlines(), strict=True):
                        doc = json.loads(line)
                        records, truth = _page(seed, i, doc, wet)
                        out.write(records)
                        truth["kind"] = KINDS[k]
                        rows.append(truth)
                        pages[truth["page"]] = pages.get(truth["page"], 0) + 1
            truth_out.write_table(pa.Table.from_pylist(rows, schema=TRUTH_SCHEMA))
    return {"docs": docs, "files": -(-docs // pages_per_file), "format": "wet" if wet else "warc",
            "pages": pages, "seconds": round(time.perf_counter() - began, 3)}


__all__ = ["doc_id", "generate_warc"]
