"""Airflow DAG: the nightly winnow run with SparkSubmitOperator (matches `winnow run`).

`{{ ds }}` (the logical date) is the run id, so a cleared or retried task re-runs
the same run id, which winnow makes idempotent.
"""

from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

WINNOW = "/opt/winnow"

with DAG(
    dag_id="winnow_nightly",
    schedule="30 2 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,  # winnow's state lease refuses overlapping runs anyway
    default_args={"retries": 2, "retry_delay": timedelta(minutes=15)},
) as dag:
    SparkSubmitOperator(
        task_id="curate",
        application=f"{WINNOW}/jobs/curate.py",
        conn_id="spark_default",  # its host is the master URL, e.g. spark://master:7077
        py_files=f"{WINNOW}/dist/winnow-0.1.0.zip",  # built by `winnow submit` (docs/cluster.md)
        application_args=[
            "--config", f"{WINNOW}/conf/recipes/fineweb_pipeline.yaml",
            "--input", "s3a://crawl/new/",
            "--output", "s3a://corpus/published",
            "--state", "s3a://corpus/published/_state",
            "--run-id", "{{ ds }}",
            "--quiet",
        ],
        conf={"spark.sql.adaptive.enabled": "true"},
        # The recipe's word lists (`asset:` names), filled once by `winnow assets fetch`;
        # the image (docker/Dockerfile) has them at this path on every node.
        env_vars={"WINNOW_ASSETS": f"{WINNOW}/assets"},
    )

# Weekly: merge the nightly index partitions into one compaction (idempotent). It
# rewrites the whole index, so weekly rather than nightly; if a nightly run holds the
# state's lease it exits with a clear message and Airflow retries it.
with DAG(
    dag_id="winnow_compact_index",
    schedule="30 4 * * 0",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 3, "retry_delay": timedelta(minutes=30)},
) as compact_dag:
    SparkSubmitOperator(
        task_id="compact_index",
        application=f"{WINNOW}/jobs/compact_index.py",
        conn_id="spark_default",
        py_files=f"{WINNOW}/dist/winnow-0.1.0.zip",
        application_args=["--state", "s3a://corpus/published/_state"],
    )
