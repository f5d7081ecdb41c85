#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker + controller in one JVM) from the jars Maven fetches.
#   scripts/kafka/kafka.sh start|stop|status|reset|fetch
# KAFKA_PORT (default 9092) and KAFKA_CONTROLLER_PORT (default KAFKA_PORT+1) select the instance,
# so several can run at once; everything lives under $ORDERMAIL_CACHE/kafka (default <repo>/.cache/kafka).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${ORDERMAIL_CACHE:-$repo/.cache}/kafka
port=${KAFKA_PORT:-9092}
controller_port=${KAFKA_CONTROLLER_PORT:-$((port + 1))}
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$here/pom.xml")
libs=$cache/libs
instance=$cache/broker-$port
pid_file=$instance/kafka.pid
log_file=$instance/kafka.log

say() { printf 'kafka.sh: %s\n' "$*" >&2; }

fetch() {
  if [ -f "$libs/.version" ] && [ "$(cat "$libs/.version")" = "$kafka_version" ]; then return; fi
  command -v java >/dev/null || { say "java is missing: apt-get install openjdk-17-jre-headless"; exit 1; }
  command -v mvn >/dev/null || { say "maven is missing: apt-get install maven"; exit 1; }
  say "fetching Apache Kafka $kafka_version with Maven into $libs"
  rm -rf "$libs"
  mvn -q -B -f "$here/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime >&2
  echo "$kafka_version" > "$libs/.version"
}

running() { [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null; }

answers() {
  # A metadata request through kafkajs, the client the service itself uses.
  (cd "$repo" && KAFKAJS_NO_PARTITIONER_WARNING=1 timeout 15 node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const admin = new Kafka({ brokers: [process.argv[1]], logLevel: logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 2000 }).admin();
    admin.connect().then(() => admin.describeCluster()).then(() => admin.disconnect()).then(() => process.exit(0), () => process.exit(1));
  ' "127.0.0.1:$port") >/dev/null 2>&1
}

configure() {
  mkdir -p "$instance/data"
  cat > "$instance/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$instance/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
share.coordinator.state.topic.replication.factor=1
PROPS
  cat > "$instance/log4j.properties" <<PROPS
log4j.rootLogger=WARN, file
log4j.appender.file=org.apache.log4j.FileAppender
log4j.appender.file.File=$log_file
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
PROPS
  if [ ! -f "$instance/data/meta.properties" ]; then
    java -cp "$libs/*" -Dlog4j.configuration="file:$instance/log4j.properties" kafka.tools.StorageTool format \
      -t "$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)" \
      -c "$instance/server.properties" --ignore-formatted >/dev/null
  fi
}

start() {
  if running && answers; then say "already running on 127.0.0.1:$port"; echo "KAFKA_BROKERS=127.0.0.1:$port"; return; fi
  fetch
  configure
  say "starting Kafka $kafka_version on 127.0.0.1:$port"
  started=$(date +%s)
  KAFKA_HEAP_OPTS= nohup java -Xms256m -Xmx768m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:auto \
    -Dlog4j.configuration="file:$instance/log4j.properties" -cp "$libs/*" \
    kafka.Kafka "$instance/server.properties" >> "$instance/stdout.log" 2>&1 &
  echo $! > "$pid_file"
  for _ in $(seq 180); do
    if ! running; then say "Kafka exited during start-up; last log lines:"; tail -n 30 "$log_file" "$instance/stdout.log" >&2 || true; exit 1; fi
    if answers; then say "ready after $(( $(date +%s) - started ))s"; echo "KAFKA_BROKERS=127.0.0.1:$port"; return; fi
    sleep 0.5
  done
  say "Kafka did not answer within 90 s; last log lines:"; tail -n 30 "$log_file" >&2 || true
  stop; exit 1
}

stop() {
  running || { rm -f "$pid_file"; say "not running on port $port"; return 0; }
  local pid; pid=$(cat "$pid_file")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -0 "$pid" 2>/dev/null && { say "still running after 30 s, killing"; kill -KILL "$pid" 2>/dev/null || true; }
  rm -f "$pid_file"
  say "stopped (port $port)"
}

case "${1:-}" in
  fetch) fetch ;;
  start) start ;;
  stop) stop ;;
  status) if running && answers; then echo "KAFKA_BROKERS=127.0.0.1:$port"; else say "not running on port $port"; exit 1; fi ;;
  reset) stop; rm -rf "$instance"; say "data removed (port $port)" ;;
  *) echo "usage: KAFKA_PORT=9092 $0 start|stop|status|reset|fetch" >&2; exit 2 ;;
esac
