"""CRM_FIELD_ENCRYPTION_KEY: production refuses to start without it, a key that is not a
Fernet key is named, several keys rotate, and development derives one from SECRET_KEY."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from project.config import ConfigError, field_encryption_keys, refuse_unsafe_production
from tests.project.test_settings import SAFE_PRODUCTION, start_django


def test_production_refuses_to_start_without_a_key() -> None:
    environ = {k: v for k, v in SAFE_PRODUCTION.items() if k != "CRM_FIELD_ENCRYPTION_KEY"}
    with pytest.raises(ConfigError, match="CRM_FIELD_ENCRYPTION_KEY is not set"):
        refuse_unsafe_production(environ, profile="production")
    refuse_unsafe_production(SAFE_PRODUCTION, profile="production")

    result = start_django(environ)

    assert result.returncode != 0
    assert "CRM_FIELD_ENCRYPTION_KEY is not set" in result.stderr


def test_keys_rotate_and_a_bad_one_is_named() -> None:
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()

    assert field_encryption_keys(
        {"CRM_FIELD_ENCRYPTION_KEY": f"{first}, {second}"}, secret_key="s"
    ) == [first, second]
    with pytest.raises(ConfigError, match="key number 2 is not a Fernet key"):
        field_encryption_keys({"CRM_FIELD_ENCRYPTION_KEY": f"{first},short"}, secret_key="s")


def test_development_derives_a_key_from_the_secret_key() -> None:
    [derived] = field_encryption_keys({}, secret_key="dev secret")
    Fernet(derived.encode())  # a valid key
    assert field_encryption_keys({}, secret_key="dev secret") == [derived]
    assert field_encryption_keys({}, secret_key="another") != [derived]
