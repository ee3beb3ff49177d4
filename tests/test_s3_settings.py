"""The S3A settings winnow adds to a profile (no Spark, no server): jars, endpoint, region."""

from __future__ import annotations

import pytest
from winnow import objectstore
from winnow.errors import WinnowError
from winnow.session import load_profile

pytestmark = pytest.mark.s3


def test_the_s3_profile_uses_s3a_with_the_magic_committer():
    conf = load_profile("s3")
    assert objectstore.uses_s3a(conf)
    assert conf["spark.hadoop.fs.s3a.committer.name"] == "magic"
    assert conf["spark.sql.sources.commitProtocolClass"].endswith("PathOutputCommitProtocol")
    assert conf["spark.hadoop.fs.s3a.create.conditional.enabled"] == "true"
    assert not objectstore.uses_s3a(load_profile("local"))


def test_jars_endpoint_and_region_come_with_an_s3a_profile(tmp_path, monkeypatch):
    jars = tmp_path / "s3a"
    jars.mkdir()
    for name in ("hadoop-aws-3.4.2.jar", "s3-2.29.52.jar"):
        (jars / name).write_bytes(b"")
    (jars / objectstore.COMPLETE).touch()
    monkeypatch.setattr(objectstore, "JARS_DIR", jars)
    monkeypatch.setattr(objectstore.s3a_jars, "__defaults__", (jars,))
    env = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9000", "AWS_REGION": "eu-west-1"}
    conf = objectstore.with_object_store(
        {"spark.hadoop.fs.s3a.impl": "x", "spark.jars": "/opt/mine.jar",
         "spark.hadoop.fs.s3a.endpoint.region": "us-east-2"}, env)
    assert conf["spark.jars"].split(",") == [
        "/opt/mine.jar", str(jars / "hadoop-aws-3.4.2.jar"), str(jars / "s3-2.29.52.jar")]
    assert conf["spark.hadoop.fs.s3a.endpoint"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.path.style.access"] == "true"
    assert conf["spark.executorEnv.AWS_ENDPOINT_URL"] == "http://127.0.0.1:9000"
    assert conf["spark.hadoop.fs.s3a.endpoint.region"] == "us-east-2"  # the profile wins
    # Without S3A keys nothing is added; AWS (no endpoint) needs no endpoint setting.
    assert objectstore.with_object_store({"spark.a": "1"}, env) == {"spark.a": "1"}
    aws = objectstore.with_object_store({"spark.hadoop.fs.s3a.impl": "x"}, {})
    assert "spark.hadoop.fs.s3a.endpoint" not in aws


def test_missing_jars_are_a_one_line_error(tmp_path):
    with pytest.raises(WinnowError, match=r"S3A jars missing in .*: run `make jars`"):
        objectstore.s3a_jars(tmp_path / "none")


def test_schemes():
    assert objectstore.scheme("s3a://bucket/key") == "s3a"
    assert objectstore.scheme("/tmp/x") == "file"
    assert "s3a" in objectstore.COPYING_RENAME and "file" not in objectstore.COPYING_RENAME
