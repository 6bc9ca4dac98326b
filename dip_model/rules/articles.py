"""The legal text behind every parameter and step: article references like 'A-36 (一)', 'A-18–A-21, K-9'."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from .. import yamlio

_FILE = Path(__file__).parents[1] / "rulesets" / "articles.yaml"
_REF = re.compile(r"([AK])-(\d+)(?:\s*[–-]\s*(?:[AK]-)?(\d+))?")


@lru_cache(maxsize=1)
def articles() -> dict:
    with open(_FILE, encoding="utf-8") as f:
        return yamlio.safe_load(f)


def documents() -> dict:
    return articles()["documents"]


def article_keys(ref: str) -> list[str]:
    """'A-18–A-21, A-24 (I-2)' → ['A-18', 'A-19', 'A-20', 'A-21', 'A-24'] (only articles that exist)."""
    out: list[str] = []
    for doc, first, last in _REF.findall(ref or ""):
        for n in range(int(first), int(last or first) + 1):
            key = f"{doc}-{n}"
            if key in articles() and key not in out:
                out.append(key)
    return out


def article(key: str) -> dict:
    """{doc, chapter, number, text, title_en} of one article."""
    return articles()[key]


def quote(ref: str) -> list[tuple[str, dict]]:
    return [(k, article(k)) for k in article_keys(ref)]
