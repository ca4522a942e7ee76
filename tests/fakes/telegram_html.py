"""Telegram's parse_mode=HTML, as strict as the real server (modelled on TDLib's parser).

`parse_html` turns the markup into the plain text and the MessageEntity list that
Telegram stores, or raises `EntityParseError` with the wording Telegram uses, so that a
bot which sends markup Telegram would refuse fails in tests too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# tag -> entity type; span is only allowed as class="tg-spoiler"
TAG_ENTITY = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_ATTR_NAME_RE = re.compile(r"[a-zA-Z0-9_-]*")


class EntityParseError(ValueError):
    """The text after "Bad Request: can't parse entities: "."""


@dataclass
class _Open:
    tag: str
    offset: int  # in UTF-16 code units, as MessageEntity offsets are
    byte_offset: int
    attrs: dict[str, str] = field(default_factory=dict)


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _decode_entity(src: str, pos: int) -> tuple[str, int]:
    """Decode the entity at src[pos] == "&"; unknown ones stay literal, as in Telegram."""
    match = _ENTITY_RE.match(src, pos)
    if match:
        body = match.group(1)
        if body.startswith("#"):
            code = int(body[2:], 16) if body[1:2] in ("x", "X") else int(body[1:])
            if 0 < code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
                return chr(code), match.end() - pos
        elif body.lower() in NAMED_ENTITIES:
            return NAMED_ENTITIES[body.lower()], match.end() - pos
    return "&", 1


class _Parser:
    def __init__(self, src: str) -> None:
        self.src = src
        self.pos = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[_Open] = []
        self.entities: list[dict] = []

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8"))

    def emit(self, text: str) -> None:
        self.out.append(text)
        self.utf16 += utf16_len(text)

    def run(self) -> tuple[str, list[dict]]:
        src = self.src
        while self.pos < len(src):
            char = src[self.pos]
            if char == "&":
                decoded, used = _decode_entity(src, self.pos)
                self.emit(decoded)
                self.pos += used
            elif char == "<":
                if src.startswith("</", self.pos):
                    self.end_tag()
                else:
                    self.start_tag()
            else:
                # copy a run of plain text in one go
                nxt = min(
                    (i for i in (src.find("<", self.pos), src.find("&", self.pos)) if i != -1),
                    default=len(src),
                )
                self.emit(src[self.pos : nxt])
                self.pos = nxt
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].tag}"'
            )
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.out), self.entities

    def start_tag(self) -> None:
        begin = self.pos
        i = begin + 1
        while i < len(self.src) and not self.src[i].isspace() and self.src[i] not in "<>":
            i += 1
        if i >= len(self.src) or self.src[i] == "<":
            raise EntityParseError(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 1 : i].lower()
        if tag not in TAG_ENTITY:
            raise EntityParseError(
                f'Unsupported start tag "{tag}" at byte offset {self.byte_offset(begin)}'
            )
        attrs, self.pos = self.attributes(tag, begin, i)
        self.check_tag(tag, attrs, begin)
        self.stack.append(_Open(tag, self.utf16, self.byte_offset(begin), attrs))

    def attributes(self, tag: str, begin: int, i: int) -> tuple[dict[str, str], int]:
        src, attrs = self.src, {}
        while True:
            while i < len(src) and src[i].isspace():
                i += 1
            if i >= len(src):
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            if src[i] == ">":
                return attrs, i + 1
            name = _ATTR_NAME_RE.match(src, i).group(0).lower()
            if not name:
                raise EntityParseError(
                    f'Empty attribute name in the tag "{tag}" '
                    f"at byte offset {self.byte_offset(begin)}"
                )
            i += len(name)
            while i < len(src) and src[i].isspace():
                i += 1
            if i < len(src) and src[i] != "=":
                attrs[name] = ""  # a bare attribute such as <blockquote expandable>
                continue
            i += 1
            while i < len(src) and src[i].isspace():
                i += 1
            value, i = self.attribute_value(tag, begin, i)
            attrs[name] = value

    def attribute_value(self, tag: str, begin: int, i: int) -> tuple[str, int]:
        src = self.src
        if i < len(src) and src[i] in "\"'":
            end = src.find(src[i], i + 1)
            if end == -1:
                raise EntityParseError(
                    f"Unclosed start tag at byte offset {self.byte_offset(begin)}"
                )
            raw, nxt = src[i + 1 : end], end + 1
        else:
            end = i
            while end < len(src) and not src[end].isspace() and src[end] != ">":
                end += 1
            raw, nxt = src[i:end], end
        value, j = [], 0
        while j < len(raw):
            if raw[j] == "&":
                decoded, used = _decode_entity(raw, j)
                value.append(decoded)
                j += used
            else:
                value.append(raw[j])
                j += 1
        return "".join(value), nxt

    def check_tag(self, tag: str, attrs: dict[str, str], begin: int) -> None:
        offset = self.byte_offset(begin)
        if tag == "span" and attrs.get("class") != "tg-spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {offset}'
            )
        if tag == "tg-emoji" and not attrs.get("emoji-id", "").isdigit():
            raise EntityParseError(
                f'Tag "tg-emoji" must have a valid "emoji-id" at byte offset {offset}'
            )

    def end_tag(self) -> None:
        begin = self.pos
        end = self.src.find(">", begin)
        if end == -1:
            raise EntityParseError(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        tag = self.src[begin + 2 : end].strip().lower()
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        opened = self.stack[-1]
        if tag != opened.tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                f'expected "</{opened.tag}>", found "</{tag}>"'
            )
        self.stack.pop()
        self.pos = end + 1
        self.close(opened)

    def close(self, opened: _Open) -> None:
        length = self.utf16 - opened.offset
        if length == 0:
            return  # Telegram drops empty entities
        parent = self.stack[-1] if self.stack else None
        language = opened.attrs.get("class", "")
        if (
            opened.tag == "code"
            and parent
            and parent.tag == "pre"
            and language.startswith("language-")
        ):
            # <pre><code class="language-x"> is one pre entity with a language
            parent.attrs["language"] = language.removeprefix("language-")
            return
        entity = {"type": TAG_ENTITY[opened.tag], "offset": opened.offset, "length": length}
        if opened.tag == "a":
            entity["url"] = opened.attrs.get("href", "")
        elif opened.tag == "pre" and opened.attrs.get("language"):
            entity["language"] = opened.attrs["language"]
        elif opened.tag == "tg-emoji":
            entity["custom_emoji_id"] = opened.attrs["emoji-id"]
        elif opened.tag == "blockquote" and "expandable" in opened.attrs:
            entity["type"] = "expandable_blockquote"
        self.entities.append(entity)


def parse_html(src: str) -> tuple[str, list[dict]]:
    """Return (plain text, entities) or raise EntityParseError."""
    return _Parser(src).run()
