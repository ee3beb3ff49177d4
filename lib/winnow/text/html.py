"""HTML to text: resiliparse (default) and trafilatura (optional, FineWeb's extractor).

Both take decoded HTML (``str``) and return the main text ("" when nothing is left).

* ``resiliparse``: ``resiliparse.extract.html2text.extract_plain_text`` (DCLM's
  extractor). Its documented options are passed through; the defaults here are
  main-content extraction with block formatting kept, as DCLM ran it
  (``main_content=True``; alt texts, links, form fields and ``<noscript>`` off).
* ``trafilatura``: ``trafilatura.extract`` with the options datatrove's
  ``Trafilatura`` extractor passes in FineWeb (``favor_precision=True``,
  ``include_comments=False``, ``deduplicate=True``, no images). Not installed by
  default (``pip install trafilatura``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

EXTRACTORS = ("resiliparse", "trafilatura")

#: resiliparse options exposed as stage parameters, with the defaults used here.
RESILIPARSE_DEFAULTS: dict[str, Any] = {
    "main_content": True,
    "preserve_formatting": True,
    "list_bullets": True,
    "alt_texts": False,
    "links": False,
    "form_fields": False,
    "noscript": False,
    "comments": True,
}


def resiliparse_extractor(options: dict[str, Any]) -> Callable[[str], str]:
    """A function HTML -> text with resiliparse's ``extract_plain_text`` and ``options``."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    def extract(html: str) -> str:
        tree = HTMLTree.parse(html)
        if tree.body is None:
            return ""
        return extract_plain_text(tree, **options)

    return extract


def trafilatura_available() -> bool:
    """Whether the optional trafilatura package can be imported."""
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return False
    return True


def trafilatura_extractor(options: dict[str, Any]) -> Callable[[str], str]:
    """A function HTML -> text with ``trafilatura.extract`` (datatrove's settings)."""
    import trafilatura

    settings = {"favor_precision": True, "include_comments": False, "deduplicate": True,
                "include_images": False, **options}

    def extract(html: str) -> str:
        return trafilatura.extract(html, **settings) or ""

    return extract


def extractor(name: str, options: dict[str, Any] | None = None) -> Callable[[str], str]:
    """The extractor called ``name`` (one of ``EXTRACTORS``)."""
    if name == "resiliparse":
        return resiliparse_extractor({**RESILIPARSE_DEFAULTS, **(options or {})})
    if name == "trafilatura":
        return trafilatura_extractor(options or {})
    raise ValueError(f"extractor must be one of {', '.join(EXTRACTORS)}, got {name!r}")
