import pytest


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # whitenoise's manifest storage needs collectstatic; tests use plain storage.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Hashing passwords properly is slow by design; tests only need it to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
