"""What our Korean must not say (docs/glossary-ko.md, section 4), and the
text a reader sees on a page or in an email, to look for it in."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import polib
from django.conf import settings

# Wrong terms, "you", allauth's typos and spacing slips, and the fallback
# particles that mean one was about to be glued to a value or a link.
BANNED_KO = [
    # wrong terms
    "아이디",
    "암호",
    "패스워드",
    "전자우편",
    "로그 인",
    "사인인",
    "사인업",
    "어카운트",
    "초기화",
    "이메일 계정",
    "주 이메일",
    "인증기",
    "웹인증",
    "디바이스",
    "리디렉트",
    "철회",
    # "you"
    "당신",
    "귀하",
    "회원님",
    # allauth's typos and spacing slips
    "주십시요",
    "확인해주세요.몇",
    "해주세요",
    "올비르지",
    "벡업",
    "시작 시작",
    "확실하세요",
    "인증완료",
    "인증대기",
    "보안키",
    "연결해제",
    "할수",
    "되어있",
    "로 부터",
    "활성화 되",
    # glued-particle markers
    "(으)로",
    "을(를)",
    "이(가)",
    "은(는)",
]


def banned_in(text: str) -> list[str]:
    return [term for term in BANNED_KO if term in text]


HANGUL = re.compile(r"[\uac00-\ud7a3]")
URL = re.compile(r"https?://\S+")
# Three English words in a row: a sentence, or a label, left in English.
ENGLISH_WORDS = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,'\u2019-]+[A-Za-z][a-z]+){2,}\b")


def english_left(text: str, allowed: tuple[str, ...] = ()) -> list[str]:
    """Lines of a Korean text with no Hangul but three English words in a row
    (a URL, a browser's name or a value named in `allowed` aside)."""
    found = []
    for line in text.splitlines():
        rest = URL.sub("", line)
        for value in allowed:
            rest = rest.replace(value, "")
        if not HANGUL.search(rest) and ENGLISH_WORDS.search(rest):
            found.append(line.strip())
    return found


class VisibleText(HTMLParser):
    """The text a reader sees: text nodes, the title, and the labels of
    buttons, images and fields."""

    def __init__(self) -> None:
        super().__init__()
        self.nodes: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "template"):
            self._hidden += 1
        named = dict(attrs)
        for name in ("placeholder", "aria-label", "alt", "title"):
            if named.get(name):
                self.nodes.append((named[name] or "").strip())
        if tag == "input" and named.get("type") in ("submit", "button"):
            self.nodes.append((named.get("value") or "").strip())

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "template"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden and data.strip():
            self.nodes.append(" ".join(data.split()))


def visible_text(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return parser.nodes


def translated_english() -> set[str]:
    """Every English string one of our Korean catalogs translates."""
    found = set()
    for folder in settings.LOCALE_PATHS:
        catalog = polib.pofile(str(folder / "ko" / "LC_MESSAGES" / "django.po"))
        found |= {
            e.msgid.strip()
            for e in catalog.translated_entries()
            if e.msgstr.strip() != e.msgid.strip() and "%" not in e.msgid
        }
    return found
