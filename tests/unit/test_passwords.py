"""Password hashing: Argon2 with the library's default parameters in csms; hashes made with other parameters (the
suite's cheap ones, or older defaults) still verify, and are reported as due for a rehash."""

from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters

from core.tenancy import passwords


def test_csms_hashes_with_argon2s_default_parameters() -> None:
    # DUMMY_HASH was made at import by csms's own hasher, before the suite swapped in its cheap one (tests/conftest.py)
    defaults = PasswordHasher()
    made = extract_parameters(passwords.DUMMY_HASH)
    assert (made.type, made.time_cost, made.memory_cost, made.parallelism) == (
        defaults.type, defaults.time_cost, defaults.memory_cost, defaults.parallelism
    )  # fmt: skip


def test_a_hash_verifies_its_password_only() -> None:
    hashed = passwords.hash_password("richtig-1234")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "richtig-1234")
    assert not passwords.verify_password(hashed, "falsch-1234")
    assert not passwords.verify_password("", "richtig-1234")
    assert not passwords.verify_password("kein hash", "richtig-1234")


def test_a_hash_of_other_parameters_verifies_and_is_due_for_a_rehash() -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("alt-1234")
    strong = PasswordHasher().hash("alt-1234")
    assert passwords.verify_password(cheap, "alt-1234") and passwords.verify_password(strong, "alt-1234")
    original = passwords._hasher
    passwords._hasher = PasswordHasher()
    try:
        assert passwords.needs_rehash(cheap) and not passwords.needs_rehash(strong)
    finally:
        passwords._hasher = original
