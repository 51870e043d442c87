"""Secrets at rest: Fernet (the `cryptography` library) with the keys in
CRM_FIELD_ENCRYPTION_KEYS. MultiFernet encrypts with the first key and decrypts with any, so a
key is rotated by putting a new one first; `reencrypt` moves a stored value onto it."""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class UnreadableSecret(Exception):
    """A stored secret that none of the configured keys decrypts (a key was removed)."""


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.CRM_FIELD_ENCRYPTION_KEYS))


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise UnreadableSecret(
            "A stored secret cannot be decrypted with CRM_FIELD_ENCRYPTION_KEY: put back the "
            "key it was encrypted with (after the new one), or enter the secret again."
        ) from None


def reencrypt(token: str) -> str:
    """The same secret, encrypted with the first key (for rotation)."""
    return fernet().rotate(token.encode()).decode()


def last4(secret: str) -> str:
    """What is ever shown of a secret again: its last four characters."""
    return secret[-4:]
