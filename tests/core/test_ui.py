"""`shared.ui.as_text`: outside text shows as typed, never as Markdown (checked with a CommonMark renderer)."""

from __future__ import annotations

import html
import re

import pytest
from markdown_it import MarkdownIt

from shared.ui import as_text

TYPED = ["[link](http://x)", "![img](http://x/i.png)", "# not a heading", "**bold** _it_ `code`",
         "<img src=x onerror=alert(1)>", ":red[alarm] $x^2$", "visit http://evil.test now", "1. list\n- item", "Title\n===", "see www.evil.test",
         "a\\b", "plain words, nothing special"]


@pytest.mark.parametrize("typed", TYPED)
def test_as_text_renders_exactly_what_was_typed(typed):
    rendered = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(as_text(typed))  # raw HTML on
    assert "<a " not in rendered and "<img" not in rendered and "<h1" not in rendered
    assert "<strong" not in rendered and "<code" not in rendered and "<li" not in rendered
    visible = html.unescape(re.sub(r"<[^>]+>", "", rendered)).strip()
    assert re.sub(r"\s+", " ", visible) == re.sub(r"\s+", " ", typed)


def test_ordinary_punctuation_is_left_alone():
    assert as_text("hours.md: added, 1 chunks") == "hours.md: added, 1 chunks"
