"""Fixtures for the whole suite."""

import pytest

from geo import polygons


@pytest.fixture(scope="session", autouse=True)
def geo_cache_dir(tmp_path_factory):
    """A fresh RAQUAN_CACHE_DIR for the whole session, so the tests never read a stale cache."""
    directory = tmp_path_factory.mktemp("raquan-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("RAQUAN_CACHE_DIR", str(directory))
        polygons.clear_memory_cache()
        yield directory
    polygons.clear_memory_cache()
