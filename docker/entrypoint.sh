#!/bin/bash
# One image, every Spark role. The first argument picks it:
#   master | worker MASTER_URL   standalone daemons (in the foreground)
#   driver | executor            what Spark on Kubernetes runs in its pods
#   demo                         synthesise a corpus and curate it (docker/demo.sh)
#   anything else                run as a command (winnow, spark-submit, bash …)
set -euo pipefail

role="${1:-demo}"
case "$role" in
  master)
    shift
    exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
      --host "${SPARK_MASTER_HOST:-$(hostname)}" --port "${SPARK_MASTER_PORT:-7077}" \
      --webui-port "${SPARK_MASTER_WEBUI_PORT:-8080}" "$@"
    ;;
  worker)
    shift
    exec "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
      --cores "${SPARK_WORKER_CORES:-1}" --memory "${SPARK_WORKER_MEMORY:-2g}" \
      --webui-port "${SPARK_WORKER_WEBUI_PORT:-8081}" "$@"
    ;;
  driver)
    # Kubernetes cluster mode: the driver pod runs spark-submit in client mode.
    shift
    exec "$SPARK_HOME/bin/spark-submit" \
      --conf "spark.driver.bindAddress=${SPARK_DRIVER_BIND_ADDRESS}" \
      --conf "spark.executorEnv.SPARK_DRIVER_POD_IP=${SPARK_DRIVER_BIND_ADDRESS}" \
      --deploy-mode client "$@"
    ;;
  executor)
    # Kubernetes executor pod: the environment names driver, id, resources and the
    # JVM options (SPARK_JAVA_OPT_0, _1, … in order).
    shift
    java_opts=()
    for ((i = 0; ; i++)); do
      opt="SPARK_JAVA_OPT_$i"
      [ -n "${!opt:-}" ] || break
      java_opts+=("${!opt}")
    done
    exec java -Xms"${SPARK_EXECUTOR_MEMORY}" -Xmx"${SPARK_EXECUTOR_MEMORY}" "${java_opts[@]}" \
      -cp "${SPARK_CLASSPATH:+$SPARK_CLASSPATH:}$SPARK_HOME/conf:$SPARK_HOME/jars/*" \
      org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend \
      --driver-url "$SPARK_DRIVER_URL" --executor-id "$SPARK_EXECUTOR_ID" \
      --cores "$SPARK_EXECUTOR_CORES" --app-id "$SPARK_APPLICATION_ID" \
      --hostname "$SPARK_EXECUTOR_POD_IP" --resourceProfileId "${SPARK_RESOURCE_PROFILE_ID:-0}" \
      --podName "${SPARK_EXECUTOR_POD_NAME:-}"
    ;;
  demo)
    shift
    exec /opt/winnow/docker/demo.sh "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
