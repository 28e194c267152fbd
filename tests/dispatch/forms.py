"""Reading the queue's HTML the way a browser without JavaScript would: which items it lists, and what
each item's form submits (hidden fields, the checked category, the selected unit)."""

from __future__ import annotations

from html.parser import HTMLParser


class _QueueParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self.forms: dict[tuple[str, str], dict[str, str]] = {}  # (number, action) → fields
        self.choices: dict[str, list[str]] = {}  # number → the category radios' values, in order
        self._item: str | None = None
        self._form: dict[str, str] | None = None
        self._form_key: tuple[str, str] | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "li" and "queue-item" in a.get("class", ""):
            self._item = a["data-number"]
            self.items.append(self._item)
        elif tag == "form" and self._item is not None:
            self._form, self._form_key = {"_url": a["action"]}, (self._item, a.get("data-action", ""))
        elif self._form is not None and tag == "input":
            kind = a.get("type", "text")
            if kind == "radio" and self._item is not None and "data-current" not in a:
                self.choices.setdefault(self._item, []).append(a.get("value", ""))
            if kind == "hidden" or (kind == "radio" and "checked" in a):
                self._form[a["name"]] = a.get("value", "")
        elif self._form is not None and tag == "select":
            self._select = a["name"]
            self._form.setdefault(self._select, "")
        elif self._form is not None and tag == "option" and self._select is not None and "selected" in a:
            self._form[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "form" and self._form is not None and self._form_key is not None:
            self.forms[self._form_key] = self._form
            self._form = None


def queue_items(html: str) -> list[str]:
    """The order numbers the queue lists, top to bottom."""
    parser = _QueueParser()
    parser.feed(html)
    return parser.items


def item_form(html: str, number: str, action: str) -> dict[str, str] | None:
    """What the item's ``action`` form (dispatch, accept) would submit as rendered; None without the form.
    The form's address is under ``_url``."""
    parser = _QueueParser()
    parser.feed(html)
    return parser.forms.get((number, action))


def item_html(html: str, number: str) -> str:
    """The HTML of one queue item."""
    start = html.index(f'id="q-{number}"')
    end = html.find('<li class="queue-item', start)
    return html[start:end if end >= 0 else len(html)]


def category_choices(html: str, number: str) -> list[str]:
    """The suggested category codes keys 1, 2, 3 pick on the item (not the order's current category)."""
    parser = _QueueParser()
    parser.feed(html)
    return parser.choices.get(number, [])
