import pytest

from weloop.segments.bitmaps import clear_caches


@pytest.fixture(autouse=True)
def _cold_bitmaps(settings):
    # Rolled-back tests reuse pks on SQLite: start every test with empty process caches.
    settings.SEGMENTS_ATTRIBUTE_TTL_SECONDS = 0
    clear_caches()
    yield
    clear_caches()
