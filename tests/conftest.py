"""Shared fixtures: one real local Spark session for the test run, data paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
C4_SAMPLE = SHARED / "web" / "c4-en-sample-1000.jsonl.gz"
CC_SAMPLE = SHARED / "web" / "cc-2019-30-multilingual-697.jsonl.gz"


@pytest.fixture(scope="session")
def spark():
    """A real ``local[2]`` Spark session shared by all end-to-end tests."""
    from winnow.session import build_session

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    session = build_session(
        "local[2]",
        app_name="winnow-tests",
        extra={
            "spark.driver.memory": "2g",
            "spark.sql.shuffle.partitions": "4",
            "spark.default.parallelism": "4",
            "spark.ui.enabled": "false",
            # As conf/spark/local.yaml: short local runs are faster on the JVM's client
            # compiler alone (with the tiered default's code cache: 48 MB filled up).
            "spark.driver.extraJavaOptions":
                "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m",
        },
    )
    yield session
    session.stop()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"shared data not found at {SHARED}")
    return SHARED


@pytest.fixture(scope="session", autouse=True)
def assets_path(tmp_path_factory) -> Path:
    """The shipped recipes' word lists (``asset:`` names) as a fresh clone gets them:
    ``winnow assets fetch --from`` the shared copy into a temporary directory, which is
    then the whole search path (``WINNOW_ASSETS``; the user cache is pointed away too)."""
    from winnow import assets

    home = tmp_path_factory.mktemp("assets")
    assets.fetch(home, source_dir=SHARED / "wordlists")
    saved = {k: os.environ.get(k) for k in (assets.ENV, "XDG_CACHE_HOME")}
    os.environ[assets.ENV] = str(home)
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
