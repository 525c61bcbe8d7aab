import re

from babel.messages.pofile import read_po

from portal.i18n import catalog_files
from tests.i18n_check import missing_translations, used_msgids


def test_strings_are_found() -> None:
    msgids = used_msgids()
    assert "Log in" in msgids
    assert "This field is required." in msgids


def test_every_portal_string_has_a_german_translation() -> None:
    missing = missing_translations("de")
    assert missing == [], "run scripts/i18n_missing.py and translate:\n" + "\n".join(missing)


# The portal addresses staff with "Sie"; these words would be the familiar "du" (any inflection of "dein").
FAMILIAR = re.compile(r"\b(du|dich|dir|dein\w*)\b", re.IGNORECASE)


def familiar_words(language: str = "de") -> list[str]:
    found = []
    for po_path in catalog_files(language):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            texts = message.string if isinstance(message.string, tuple | list) else (message.string,)
            for text in texts:
                if text and (match := FAMILIAR.search(text)):
                    found.append(f"{po_path.name}: {match.group(0)!r} in {text!r}")
    return found


def test_the_familiar_search_finds_du_forms() -> None:
    assert FAMILIAR.search("die Leistung deiner Ladeinfrastruktur")
    assert FAMILIAR.search("Hast du Fragen?")
    assert not FAMILIAR.search("Dubai, Durchschnitt, direkt, Dirigent, Ihrer Ladeinfrastruktur")


def test_german_texts_address_people_with_sie() -> None:
    assert familiar_words() == []
