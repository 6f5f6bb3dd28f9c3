"""Every text of the web pages has its English translation, and the committed .mo matches the .po."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEBUI = Path(__file__).resolve().parents[2] / "webui"
CATALOG = WEBUI / "translations" / "en" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def message_ids() -> set[str]:
    found = extract_from_dir(str(WEBUI), METHODS, keywords={"_": None, "gettext": None})
    return {message for _, _, message, _, _ in found if isinstance(message, str)}


def test_every_page_text_is_translated_to_english():
    with (CATALOG / "messages.po").open("rb") as f:
        po = read_po(f)
    translated = {m.id: m.string for m in po if m.id and m.string and "fuzzy" not in m.flags}
    ids = message_ids()
    assert len(ids) > 150
    assert sorted(ids - translated.keys()) == []


def test_the_compiled_catalog_matches_its_source():
    with (CATALOG / "messages.po").open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id}
    with (CATALOG / "messages.mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert mo == po
