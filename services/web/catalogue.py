"""Keep the Polish catalogue in step with the code: extract, merge, compile.

Run ``python -m services.web.catalogue`` after changing visible strings; it rewrites
``translations/pl/LC_MESSAGES/messages.po`` (keeping existing translations) and its
compiled ``messages.mo``. The tests check that every string has a Polish translation and
that the committed .mo matches the .po.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

HERE = Path(__file__).parent
PO = HERE / "translations" / "pl" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")
#: A fixed stamp in the header, so re-running the update changes nothing unless the strings did.
STAMP = datetime(2026, 11, 23, tzinfo=UTC)
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}


def extracted() -> list[tuple[str | None, str]]:
    """Every (context, message id) used in the web package's code and templates."""
    found = extract_from_dir(
        str(HERE), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
    )
    return sorted(
        {(context, message) for _file, _line, message, _comments, context in found if isinstance(message, str)},
        key=lambda cm: (cm[1], cm[0] or ""),
    )


def load() -> Catalog:
    """The Polish catalogue as committed."""
    with PO.open("rb") as f:
        return read_po(f, locale="pl")


def compiled(catalog: Catalog) -> bytes:
    """The .mo bytes for a catalogue."""
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


def update(translations: dict[str, str] | None = None) -> list[str]:
    """Merge the extracted ids into the catalogue (new ones from ``translations``); return the untranslated."""
    old = {(m.context, m.id): m.string for m in load() if m.id} if PO.exists() else {}
    old.update({(None, k): v for k, v in (translations or {}).items()})
    catalog = Catalog(
        locale="pl",
        project="safehub",
        version="1",
        charset="utf-8",
        creation_date=STAMP,
        revision_date=STAMP,
        last_translator="safehub",
        language_team="safehub",
    )
    for context, message in extracted():
        catalog.add(message, old.get((context, message), ""), context=context)
    PO.parent.mkdir(parents=True, exist_ok=True)
    with PO.open("wb") as f:
        write_po(f, catalog, width=100, omit_header=False, sort_output=True)
    MO.write_bytes(compiled(load()))
    return [m.id for m in catalog if m.id and not m.string]


if __name__ == "__main__":
    missing = update()
    print(f"{PO}: {len(missing)} untranslated" + ("".join(f"\n  {m}" for m in missing)))
