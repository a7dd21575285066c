"""The custom menu editor: a fixed grid of 3 top buttons × 5 sub-buttons, to and from WeChat's JSON.

The grid has holes (an empty slot is simply not part of the menu), so WeChat's JSON, and the paths
``validate_menu`` names in its errors (``button[1].sub_button[0].url``), count only the filled
slots. ``MenuDraft`` remembers which slot each button came from, to show an error beside the
button the merchant typed it in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from weloop.wechat.errors import InvalidMenu

TOP_SLOTS = 3
SUB_SLOTS = 5

# The button types the editor offers; each takes one value: a key (sent back in the click event)
# or a URL. Other types (media, mini programs) need material the console does not manage yet.
VALUE_FIELD: Mapping[str, str] = {
    "click": "key",
    "view": "url",
    "location_select": "key",
    "scancode_push": "key",
    "scancode_waitmsg": "key",
    "pic_sysphoto": "key",
    "pic_photo_or_album": "key",
    "pic_weixin": "key",
}
TYPE_CHOICES: list[tuple[str, str | Promise]] = [
    ("click", _("Click (key)")),
    ("view", _("Web page (URL)")),
    ("location_select", _("Send location (key)")),
    ("scancode_push", _("Scan (key)")),
    ("scancode_waitmsg", _("Scan and wait (key)")),
    ("pic_sysphoto", _("Camera (key)")),
    ("pic_photo_or_album", _("Photo or album (key)")),
    ("pic_weixin", _("WeChat album (key)")),
]
DEFAULT_TYPE = "click"
_PATH = re.compile(r"^button\[(\d+)\](?:\.sub_button\[(\d+)\])?(?:\.(\w+))?$")


@dataclass
class SlotButton:
    """One editable button; ``sub is None`` for a top button."""

    top: int
    sub: int | None
    name: str = ""
    type: str = DEFAULT_TYPE
    value: str = ""
    error: str = ""
    error_field: str = ""  # "name", "type" or "value"

    @property
    def is_empty(self) -> bool:
        return not self.name.strip() and not self.value.strip()

    @property
    def slot_id(self) -> str:
        """``0`` for the first top button, ``0-2`` for its third sub-button (form names, test ids)."""
        return str(self.top) if self.sub is None else f"{self.top}-{self.sub}"

    def as_wechat(self) -> dict[str, Any]:
        value_field = VALUE_FIELD.get(self.type, "key")
        return {"type": self.type, "name": self.name.strip(), value_field: self.value.strip()}


@dataclass
class MenuSlot:
    button: SlotButton
    subs: list[SlotButton]

    @property
    def is_empty(self) -> bool:
        return self.button.is_empty and all(sub.is_empty for sub in self.subs)


@dataclass
class MenuDraft:
    slots: list[MenuSlot]
    # For each button in the WeChat JSON: (top slot, [sub slots]) it was built from.
    _positions: list[tuple[int, list[int]]] = field(default_factory=list)

    def buttons(self) -> list[dict[str, Any]]:
        """The menu as menu/create takes it, empty slots left out."""
        buttons: list[dict[str, Any]] = []
        self._positions = []
        for slot in self.slots:
            if slot.is_empty:
                continue
            subs = [sub for sub in slot.subs if not sub.is_empty]
            if subs:
                buttons.append({"name": slot.button.name.strip(), "sub_button": [sub.as_wechat() for sub in subs]})
            else:
                buttons.append(slot.button.as_wechat())
            self._positions.append((slot.button.top, [sub.sub for sub in subs if sub.sub is not None]))
        return buttons

    def place_error(self, error: InvalidMenu) -> SlotButton | None:
        """Attach ``error`` to the button its path points at; returns that button (None if unplaced)."""
        match = _PATH.match(str(error.extra.get("path", "")))
        if not self._positions:
            self.buttons()
        if match is None or int(match.group(1)) >= len(self._positions):
            return None
        top_slot, sub_slots = self._positions[int(match.group(1))]
        slot = self.slots[top_slot]
        target = slot.button
        if match.group(2) is not None and int(match.group(2)) < len(sub_slots):
            target = slot.subs[sub_slots[int(match.group(2))]]
        target.error = error.detail
        name = match.group(3) or ""
        target.error_field = "name" if name == "name" else "type" if name == "type" else "value"
        return target


def _empty_slots() -> list[MenuSlot]:
    return [
        MenuSlot(SlotButton(top, None), [SlotButton(top, sub) for sub in range(SUB_SLOTS)]) for top in range(TOP_SLOTS)
    ]


def _fill(target: SlotButton, button: Mapping[str, Any]) -> None:
    target.name = str(button.get("name", ""))
    target.type = str(button.get("type") or DEFAULT_TYPE)
    value_field = VALUE_FIELD.get(target.type, "key")
    target.value = str(button.get(value_field, "") or "")


def draft_from_buttons(buttons: Sequence[Mapping[str, Any]]) -> MenuDraft:
    """The editor grid for a stored menu (WeChat's JSON)."""
    slots = _empty_slots()
    for top, button in enumerate(list(buttons)[:TOP_SLOTS]):
        _fill(slots[top].button, button)
        for sub, sub_button in enumerate(list(button.get("sub_button") or [])[:SUB_SLOTS]):
            _fill(slots[top].subs[sub], sub_button)
    return MenuDraft(slots)


def draft_from_post(data: QueryDict) -> MenuDraft:
    """The grid as posted: ``menu-<i>-name`` / ``-type`` / ``-value`` and ``menu-<i>-<j>-…``."""
    slots = _empty_slots()
    for slot in slots:
        for button in (slot.button, *slot.subs):
            prefix = f"menu-{button.slot_id}-"
            button.name = data.get(prefix + "name", "")[:200]
            button.type = data.get(prefix + "type", DEFAULT_TYPE)[:40] or DEFAULT_TYPE
            button.value = data.get(prefix + "value", "")[:2048]
    return MenuDraft(slots)
