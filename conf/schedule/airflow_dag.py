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
    )
