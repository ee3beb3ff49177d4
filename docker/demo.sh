#!/bin/bash
# The demo: write a synthetic corpus and curate it. Without SPARK_MASTER it runs in
# local[2]; with SPARK_MASTER=spark://host:7077 it goes through `winnow submit`, so
# DEMO_DIR must then be a path every worker sees (the compose file shares a volume).
set -euo pipefail

demo_dir="${DEMO_DIR:-/tmp/winnow-demo}"
docs="${DEMO_DOCS:-2000}"
cd /opt/winnow

rm -rf "$demo_dir/corpus"
winnow synth --docs "$docs" --output "$demo_dir/corpus" --workers 1
if [ -z "${SPARK_MASTER:-}" ]; then
  winnow run --config conf/default.yaml --input "$demo_dir/corpus/docs" \
    --output "$demo_dir/curated" --master 'local[2]' --overwrite
else
  # conf/spark/cluster.yaml sizes executors for big nodes; the demo's are small.
  winnow submit --master "$SPARK_MASTER" --spark-profile "${SPARK_PROFILE:-cluster}" \
    --conf spark.executor.cores="${EXECUTOR_CORES:-1}" \
    --conf spark.executor.memory="${EXECUTOR_MEMORY:-1g}" \
    --conf spark.executor.memoryOverhead="${EXECUTOR_OVERHEAD:-512m}" \
    --conf spark.driver.memory=1g --conf spark.sql.shuffle.partitions=8 \
    --conf spark.checkpoint.dir="$demo_dir/checkpoints" \
    --run --config conf/default.yaml --input "$demo_dir/corpus/docs" \
    --output "$demo_dir/curated" --overwrite
fi
test -f "$demo_dir/curated/_SUCCESS"
