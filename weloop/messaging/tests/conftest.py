import pytest


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # merchant_create hashes an owner password; PBKDF2 costs ~0.4 s a merchant, MD5 nothing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
