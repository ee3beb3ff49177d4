"""A real S3 API server on 127.0.0.1 for the object-storage tests: ``moto_server``.

``s3_server`` (session-scoped) starts ``moto_server`` on a free loopback port as a
subprocess, waits until it answers, creates the bucket ``winnow`` and stops the server
afterwards. Its ``env`` holds what a winnow process needs to reach it through the usual
AWS variables (dummy credentials, ``AWS_ENDPOINT_URL``, region); S3A and pyarrow both
read them. The S3A jars come from ``make jars``; without them the tests fail with the
one-line reason (``winnow.objectstore.s3a_jars``).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

BUCKET = "winnow"


@dataclass
class S3Server:
    url: str
    env: dict[str, str]
    #: The server's request log (one line per HTTP request).
    log: Path | None = None

    def requests(self, method: str, key: str) -> int:
        """How many ``method`` requests for ``key`` the server has logged so far."""
        needle = f'"{method} /{BUCKET}/{key} HTTP'
        text = re.sub(r"\x1b\[[0-9;]*m", "", self.log.read_text())  # werkzeug's colours
        return sum(needle in line for line in text.splitlines())

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def filesystem(self):
        """A pyarrow file system on the server (paths ``winnow/<key>``)."""
        from pyarrow import fs as pafs

        return pafs.S3FileSystem(access_key="testing", secret_key="testing",
                                 endpoint_override=self.url, scheme="http",
                                 region="us-east-1")

    def keys(self, prefix: str) -> list[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(
            Bucket=BUCKET, Prefix=prefix)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def upload(self, local: Path, key: str) -> str:
        self.client().upload_file(str(local), BUCKET, key)
        return f"s3a://{BUCKET}/{key}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    from winnow.objectstore import s3a_jars

    s3a_jars()  # a clear error now, not a Java stack trace in every run
    port = _free_port()
    exe = Path(sys.executable).with_name("moto_server")
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([str(exe), "-H", "127.0.0.1", "-p", str(port)],
                                stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_ENDPOINT_URL": url, "AWS_REGION": "us-east-1",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true"}
    server = S3Server(url, env, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                server.client().create_bucket(Bucket=BUCKET)
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start: {log.read_text()[-500:]}"
                                       ) from None
                time.sleep(0.2)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def winnow_env(server: S3Server, **extra: str) -> dict[str, str]:
    """The environment of a winnow process that talks to ``server``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("WINNOW_CRASH", "WINNOW_PAUSE", "AWS_"))}
    return {**env, "SPARK_LOCAL_IP": "127.0.0.1", **server.env, **extra}
