from tests.i18n_check import missing_translations, used_msgids


def test_strings_are_found() -> None:
    msgids = used_msgids()
    assert "Log in" in msgids
    assert "This field is required." in msgids


def test_every_portal_string_has_a_german_translation() -> None:
    missing = missing_translations("de")
    assert missing == [], "run scripts/i18n_missing.py and translate:\n" + "\n".join(missing)
