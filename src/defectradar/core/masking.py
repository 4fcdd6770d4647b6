"""Naming the kind of a personal identifier instead of showing it.

Quarantine reasons, error messages, logs and exceptions name the row, the field and the kind
of value ("created_at holds <a phone number>"), never the value itself when the pseudonymiser
would have replaced it: such texts are stored (quarantine, run messages), printed and copied
into bug reports, so a raw identifier there is a leak like any other.  No key is needed: a
kind is enough to tell a user what is wrong.
"""

from __future__ import annotations

from defectradar.core.identifiers import find_identifiers

KIND_NAMES = {
    "imei": "an IMEI", "phone": "a phone number", "email": "an e-mail address",
    "person_id": "an ID number", "mention": "a user handle", "qq": "a QQ number",
    "card": "a bank card number", "wechat": "a WeChat id",
}
SHOWN_CHARS = 60   # longer values are cut in messages: a message is one line


def mask_identifiers(text: str) -> str:
    """``text`` with each identifier replaced by ``<its kind>`` (``<a phone number>``)."""
    found = find_identifiers(text)
    if not found:
        return text
    pieces, position = [], 0
    for ident in found:
        pieces.append(text[position:ident.start])
        pieces.append(f"<{KIND_NAMES.get(ident.kind, 'an identifier')}>")
        position = ident.end
    pieces.append(text[position:])
    return "".join(pieces)


def shown(value: object) -> str:
    """A user's value as a message may quote it: cut to one short line, identifiers masked."""
    text = str(value)
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    masked = mask_identifiers(text)
    return masked if masked != text else repr(text)
