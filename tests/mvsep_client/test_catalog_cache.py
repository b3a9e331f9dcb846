"""The catalog fetches /api/app/algorithms once, serves it from the disk cache within the TTL,
and keeps working from the cache when the server is gone."""

import os
import time

import pytest

from mvsep_bridge.daemon.catalog import Catalog, cache_path
from mvsep_bridge.daemon.errors import Unreachable
from mvsep_bridge.daemon.settings import load_settings


def test_fetch_cache_ttl_and_offline(emulator, tmp_path):
    settings = load_settings(base_url=emulator.base_url, data_dir=tmp_path / "data")
    fetched = Catalog.load(settings)
    assert "fetched now" in fetched.source
    assert 68 in fetched and fetched.get(68).audio_widget == "matchering_upload"  # all scopes asked
    assert cache_path(settings).is_file()

    emulator.stop()  # from here on, only the cache can answer
    cached = Catalog.load(settings)
    assert cached.source.startswith("cache") and len(cached) == len(fetched)

    old = time.time() - 25 * 3600
    os.utime(cache_path(settings), (old, old))
    stale = Catalog.load(settings)  # expired and the server is down: the stale copy still serves
    assert stale.source.startswith("cache") and len(stale) == len(fetched)
    with pytest.raises(Unreachable):
        Catalog.load(settings, refresh=True)


def test_expired_cache_is_fetched_again(emulator, tmp_path):
    settings = load_settings(base_url=emulator.base_url, data_dir=tmp_path / "data")
    Catalog.load(settings)
    cache_path(settings).write_text("[]")  # a cache with nothing in it does not count
    assert "fetched now" in Catalog.load(settings).source
    assert "fetched now" in Catalog.load(settings, ttl=0).source
