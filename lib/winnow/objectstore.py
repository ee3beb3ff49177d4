"""Object storage (``s3a://``): the connector's jars, its settings, and what differs there.

A Spark profile that sets any ``spark.hadoop.fs.s3a.*`` key (``conf/spark/s3.yaml``)
uses S3A. :func:`with_object_store` then adds the jars ``make jars`` fetched from Maven
Central (``hadoop-aws`` of the Hadoop inside pyspark, the AWS SDK v2 modules it calls,
``spark-hadoop-cloud`` for the S3A committers) and, from the environment, the endpoint
(``AWS_ENDPOINT_URL_S3`` or ``AWS_ENDPOINT_URL``: an S3-compatible server, path-style
access) and the region (``AWS_REGION`` or ``AWS_DEFAULT_REGION``). Credentials come from
the SDK's usual provider chain (environment, profile files, instance/container role).

What is not like a local file system, and how winnow copes (tested against a real S3
API server in ``tests/test_s3.py``):

* rename is a copy plus a delete, file by file, so a directory rename killed halfway
  leaves some files moved and some not: :meth:`winnow.fs.HadoopFS.replace` moves a
  directory file by file after recording that the move started, so a re-run resumes it
  instead of deleting what was already moved;
* ``create(overwrite=false)`` is a check then a write, so two writers can both "create"
  the lease: the lease is created with S3's conditional write (``If-None-Match: *``,
  Hadoop's ``fs.option.create.conditional.overwrite``), which exactly one wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from winnow.errors import WinnowError

#: The Hadoop inside the pinned pyspark (``pyspark/jars/hadoop-client-api-3.4.2.jar``);
#: hadoop-aws must be the same version.
HADOOP_VERSION = "3.4.2"
#: Where ``make jars`` puts the S3A jars (``WINNOW_JARS_DIR`` overrides the parent).
JARS_DIR = Path(os.environ.get("WINNOW_JARS_DIR", Path.home() / ".cache" / "winnow" / "jars")
                ) / f"s3a-hadoop-{HADOOP_VERSION}"
#: Written by ``make jars`` once every jar is in place.
COMPLETE = ".complete"
#: Schemes whose rename is a copy and a delete (not atomic for a directory).
COPYING_RENAME = frozenset({"s3a", "s3", "s3n", "gs", "oss", "cosn", "wasb", "wasbs"})
#: Schemes whose create can be made exclusive only with a conditional write.
CONDITIONAL_CREATE = frozenset({"s3a"})
#: Hadoop's createFile() option for ``If-None-Match: *`` (HADOOP-19256, Hadoop 3.4.2).
IF_NONE_MATCH = "fs.option.create.conditional.overwrite"
#: Hadoop's createFile() option for ``If-Match: <etag>``.
IF_MATCH = "fs.option.create.conditional.overwrite.etag"


def scheme(path: str) -> str:
    """``s3a`` for ``s3a://bucket/key``; ``file`` for a path without a scheme."""
    head, sep, _ = path.partition("://")
    return head.lower() if sep else "file"


def uses_s3a(conf: Mapping[str, str]) -> bool:
    """True if these Spark settings configure S3A (a ``spark.hadoop.fs.s3a.*`` key)."""
    return any(k.startswith("spark.hadoop.fs.s3a.") for k in conf)


def s3a_jars(directory: Path = JARS_DIR) -> list[str]:
    """The S3A jars (sorted paths); a one-line error if ``make jars`` has not run."""
    if not (directory / COMPLETE).is_file():
        raise WinnowError(f"S3A jars missing in {directory}: run `make jars` "
                          "(fetches hadoop-aws and the AWS SDK from Maven Central)")
    return sorted(str(p) for p in directory.glob("*.jar"))


def endpoint_settings(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """S3A endpoint and region from the environment (the AWS SDK's variable names)."""
    env = os.environ if env is None else env
    out = {}
    endpoint = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL")
    if endpoint:
        # An S3-compatible server (MinIO, Ceph, moto) serves buckets as paths.
        out["spark.hadoop.fs.s3a.endpoint"] = endpoint
        out["spark.hadoop.fs.s3a.path.style.access"] = "true"
        # Executors read inputs with pyarrow, which takes the endpoint from here.
        out["spark.executorEnv.AWS_ENDPOINT_URL"] = endpoint
    region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
    if region:
        out["spark.hadoop.fs.s3a.endpoint.region"] = region
        out["spark.executorEnv.AWS_REGION"] = region
    return out


def with_object_store(conf: dict[str, str], env: Mapping[str, str] | None = None
                      ) -> dict[str, str]:
    """``conf`` plus the S3A jars (``spark.jars``) and endpoint if it uses S3A; keys
    already in ``conf`` win over the environment's."""
    if not uses_s3a(conf):
        return conf
    out = {**endpoint_settings(env), **conf}
    jars = [j for j in out.get("spark.jars", "").split(",") if j]
    out["spark.jars"] = ",".join(jars + [j for j in s3a_jars() if j not in jars])
    return out
