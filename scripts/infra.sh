#!/usr/bin/env bash
# Local infrastructure for fraudstream: a single-node Apache Kafka 4.x broker in KRaft mode, an
# Apicurio Registry 3.x serving the Confluent schema-registry API (schemas stored in Kafka), and
# Redis (feature state for many scorer replicas; the machine's redis-server, or the one
# scripts/tools.sh brings from PyPI).
#
#   scripts/infra.sh up            start what is not already answering, create topics, register
#                                  schemas; print the status lines and INFRA_STARTED="<what it started>"
#   scripts/infra.sh up --secure   the same, plus a second broker (kafka-secure) that authenticates
#                                  clients with SASL/SCRAM-SHA-512 over TLS and authorizes them with
#                                  the ACLs of scripts/infra/kafka-acls.json (FRAUDSTREAM_KAFKA_SECURE=true
#                                  does the same); see docs/security.md
#   scripts/infra.sh down [NAME]   stop what `up` started (kafka, kafka-secure, registry, redis; default all)
#   scripts/infra.sh status        print KAFKA_BROKERS=/SCHEMA_REGISTRY_URL=/REDIS_URL= lines; exit 0
#                                  only when Kafka and the registry answer
#   scripts/infra.sh stop NAME     stop one service `up` started (SIGTERM, as an orchestrator would);
#                                  the fault tests and `npm run chaos` use it
#   scripts/infra.sh kill NAME     the same with SIGKILL: a crash, no clean shutdown (chaos broker-kill)
#   scripts/infra.sh start NAME    start it again (no topic creation)
#   scripts/infra.sh owns NAME     exit 0 when the service answering is one this script started
#                                  (its pid file under var/ names a live process)
#
# KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL point everything at existing services instead:
# when they answer, nothing is started. Jars are resolved by Maven from Maven Central once and cached
# under .cache/ (git-ignored); data and logs live under var/. A port that another program holds is
# reported with the FRAUDSTREAM_*_PORT variable that moves ours.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="$ROOT/.cache"
VAR="${FRAUDSTREAM_VAR_DIR:-$ROOT/var}"
KAFKA_VERSION="4.1.1"
APICURIO_VERSION="3.0.9"
# Ports are fixed by default; a second, isolated stack (a CI check beside a running one) can move them.
KAFKA_PORT="${FRAUDSTREAM_KAFKA_PORT:-9092}"
CONTROLLER_PORT="${FRAUDSTREAM_CONTROLLER_PORT:-9093}"
REGISTRY_PORT="${FRAUDSTREAM_REGISTRY_PORT:-8081}"
REDIS_PORT="${FRAUDSTREAM_REDIS_PORT:-6379}"
# The secure broker has ports of its own: it runs beside the default one, which keeps the registry's
# schemas (docs/security.md).
SECURE_KAFKA_PORT="${FRAUDSTREAM_SECURE_KAFKA_PORT:-9094}"
SECURE_CONTROLLER_PORT="${FRAUDSTREAM_SECURE_CONTROLLER_PORT:-9095}"

DEFAULT_BROKERS="127.0.0.1:$KAFKA_PORT"
DEFAULT_REGISTRY="http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7"
DEFAULT_REDIS="redis://127.0.0.1:$REDIS_PORT"
SECURE_BROKERS="127.0.0.1:$SECURE_KAFKA_PORT"
SECURE_DIR="$VAR/kafka-secure"
SECURE_ADMIN="admin"
KAFKA_BROKERS="${KAFKA_BROKERS:-$DEFAULT_BROKERS}"
SCHEMA_REGISTRY_URL="${SCHEMA_REGISTRY_URL:-$DEFAULT_REGISTRY}"
REDIS_URL="${REDIS_URL:-$DEFAULT_REDIS}"

log() { printf '[infra] %s\n' "$*" >&2; }
die() { printf '[infra] error: %s\n' "$*" >&2; exit 1; }

# host:port of the first endpoint of a comma-separated list or of a URL.
endpoint() {
  local first="${1%%,*}"
  first="${first#*://}"
  first="${first%%/*}"
  printf '%s\n' "${first##*@}"
}

# host:port answers a TCP connect.
tcp_answers() {
  local hp
  hp="$(endpoint "$1")"
  (exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}") 2>/dev/null
}

# Sends $2 (printf format) to host:port $1 and prints the first $3 bytes of the reply as hex.
tcp_exchange() (
  hp="$(endpoint "$1")"
  exec 3<>"/dev/tcp/${hp%:*}/${hp##*:}" || exit 1
  # shellcheck disable=SC2059 # the request is a printf format of escapes
  printf "$2" >&3
  timeout 3 head -c "$3" <&3 | od -An -tx1 | tr -d ' \n'
) 2>/dev/null

# A Kafka broker answers an ApiVersions request (v0: size 10, api key 18, correlation id 7, no
# client id) with its correlation id, where any other program answers otherwise or not at all.
kafka_answers() {
  local reply
  reply="$(tcp_exchange "$1" '\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x07\xff\xff' 8)" || return 1
  [ "${reply:8:8}" = "00000007" ]
}
registry_answers() { curl -sf --max-time 3 "$SCHEMA_REGISTRY_URL/subjects" >/dev/null 2>&1; }
# "+PONG" in hex.
redis_answers() { [ "$(tcp_exchange "$REDIS_URL" 'PING\r\n' 5)" = "2b504f4e47" ]; }

# The message for a port of ours that answers, but not as the service we would start there.
port_taken() {
  local port="$1" what="$2" variable="$3"
  printf 'port %s (%s) is in use by another program: stop it, or move ours with %s=<free port> (npm test and npm run demo follow it)' \
    "$port" "$what" "$variable"
}

require_java() {
  command -v java >/dev/null 2>&1 || die "Java 17+ is required to run Kafka and the schema registry, and java is not on the PATH (Debian: apt-get install openjdk-17-jre-headless)."
  local major
  major="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [ "${major%%.*}" -ge 17 ] 2>/dev/null || die "Java 17+ is required to run Kafka and the schema registry; the java on the PATH is version '$major' ($(command -v java))."
}
require_maven() {
  command -v mvn >/dev/null 2>&1 || die "Maven is required to fetch the Kafka and registry jars from Maven Central, and mvn is not on the PATH (Debian: apt-get install maven)."
}

mvn_quiet() { mvn -B -q -Dmaven.repo.local="$CACHE/m2" "$@"; }
maven_failed() {
  die "Maven could not resolve $1 from Maven Central (Maven's message above); check that Maven reaches Maven Central (a mirror or proxy belongs in ~/.m2/settings.xml)"
}

kafka_libs() {
  local dir="$CACHE/kafka-$KAFKA_VERSION/libs"
  if [ ! -f "$dir/.complete" ]; then
    require_maven
    log "resolving Kafka $KAFKA_VERSION from Maven Central into $dir"
    rm -rf "$dir"
    mvn_quiet -f "$ROOT/scripts/infra/kafka-pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$dir" >&2 \
      || maven_failed "Kafka $KAFKA_VERSION"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

apicurio_dir() {
  local dir="$CACHE/apicurio-$APICURIO_VERSION"
  if [ ! -f "$dir/.complete" ]; then
    require_maven
    log "resolving Apicurio Registry $APICURIO_VERSION from Maven Central into $dir"
    rm -rf "$dir" "$CACHE/apicurio-dl"
    mvn_quiet dependency:copy -Dartifact="io.apicurio:apicurio-registry-app:$APICURIO_VERSION:tar.gz:all" \
      -DoutputDirectory="$CACHE/apicurio-dl" >&2 || maven_failed "Apicurio Registry $APICURIO_VERSION"
    mkdir -p "$dir"
    tar xzf "$CACHE/apicurio-dl/apicurio-registry-app-$APICURIO_VERSION-all.tar.gz" -C "$dir"
    rm -rf "$CACHE/apicurio-dl"
    touch "$dir/.complete"
  fi
  echo "$dir"
}

# Starts a detached process that outlives this script; its pid goes to var/<name>.pid.
spawn() {
  local name="$1" logfile="$2"
  shift 2
  mkdir -p "$VAR"
  setsid nohup "$@" >"$logfile" 2>&1 </dev/null &
  echo $! >"$VAR/$name.pid"
}

wait_for() {
  local what="$1" seconds="$2" check="$3" logfile="$4" pidfile="$5"
  local i
  for ((i = 0; i < seconds * 2; i++)); do
    if $check; then return 0; fi
    if [ -f "$pidfile" ] && ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      tail -n 30 "$logfile" >&2 || true
      bind_hint "$logfile"
      die "$what exited during start-up; its log is $logfile"
    fi
    sleep 0.5
  done
  tail -n 30 "$logfile" >&2 || true
  die "$what did not answer within ${seconds}s; its log is $logfile"
}

# A port taken between our check and the bind (or one we do not check) shows only in the log.
bind_hint() {
  grep -qiE 'address already in use|BindException' "$1" 2>/dev/null || return 0
  log "a port it needs is in use by another program: move ours with FRAUDSTREAM_KAFKA_PORT, FRAUDSTREAM_CONTROLLER_PORT, FRAUDSTREAM_REGISTRY_PORT or FRAUDSTREAM_REDIS_PORT"
}

kafka_check() { kafka_answers "$KAFKA_BROKERS"; }

# Names of the services this invocation started, for INFRA_STARTED.
started=()

start_kafka() {
  if kafka_check; then
    log "Kafka answers at $KAFKA_BROKERS"
    return
  fi
  [ "$KAFKA_BROKERS" = "$DEFAULT_BROKERS" ] || die "KAFKA_BROKERS=$KAFKA_BROKERS does not answer (nothing is started for a non-default cluster)"
  tcp_answers "$DEFAULT_BROKERS" && die "$(port_taken "$KAFKA_PORT" "Kafka" FRAUDSTREAM_KAFKA_PORT)"
  tcp_answers "127.0.0.1:$CONTROLLER_PORT" \
    && die "$(port_taken "$CONTROLLER_PORT" "Kafka's controller" FRAUDSTREAM_CONTROLLER_PORT)"
  require_java
  local libs data conf
  libs="$(kafka_libs)"
  data="$VAR/kafka/data"
  conf="$VAR/kafka/server.properties"
  mkdir -p "$data"
  sed -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$CONTROLLER_PORT#g" -e "s#@DATA_DIR@#$data#g" \
    "$ROOT/scripts/infra/server.properties.tmpl" >"$conf"
  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java -cp "$libs/*" -Dlog4j2.configurationFile="$ROOT/scripts/infra/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" >&2 || die "formatting the KRaft storage in $data failed"
  fi
  log "starting Kafka $KAFKA_VERSION (KRaft) on $DEFAULT_BROKERS"
  spawn kafka "$VAR/kafka/kafka.log" java -Xms256m -Xmx768m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/scripts/infra/log4j2.properties" -cp "$libs/*" kafka.Kafka "$conf"
  started+=(kafka)
  wait_for "Kafka" 90 kafka_check "$VAR/kafka/kafka.log" "$VAR/kafka.pid"
}

start_registry() {
  if registry_answers; then
    log "schema registry answers at $SCHEMA_REGISTRY_URL"
    return
  fi
  [ "$SCHEMA_REGISTRY_URL" = "$DEFAULT_REGISTRY" ] || die "SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL does not answer"
  tcp_answers "$DEFAULT_REGISTRY" && die "$(port_taken "$REGISTRY_PORT" "schema registry" FRAUDSTREAM_REGISTRY_PORT)"
  require_java
  local dir
  dir="$(apicurio_dir)"
  mkdir -p "$VAR/registry"
  log "starting Apicurio Registry $APICURIO_VERSION (kafkasql storage) on $DEFAULT_REGISTRY"
  spawn registry "$VAR/registry/registry.log" java -Xms128m -Xmx512m \
    -Dquarkus.http.host=127.0.0.1 -Dquarkus.http.port="$REGISTRY_PORT" \
    -Dapicurio.storage.kind=kafkasql -Dapicurio.kafkasql.bootstrap.servers="$KAFKA_BROKERS" \
    -Dapicurio.kafkasql.topic=fraudstream.schemas \
    -Dquarkus.log.level=WARN -Dquarkus.log.category.\"io.apicurio\".level=INFO \
    -jar "$dir/apicurio-registry-app-$APICURIO_VERSION-runner.jar"
  started+=(registry)
  wait_for "Schema registry" 120 registry_answers "$VAR/registry/registry.log" "$VAR/registry.pid"
}

start_redis() {
  if redis_answers; then
    log "Redis answers at $REDIS_URL"
    return
  fi
  [ "$REDIS_URL" = "$DEFAULT_REDIS" ] || die "REDIS_URL=$REDIS_URL does not answer"
  # Only the scorer's shared feature state (FEATURE_STORE=redis) needs Redis: without it the rest
  # runs, so a missing Redis is a warning here and a failure in the tests that need it.
  if tcp_answers "$DEFAULT_REDIS"; then
    log "warning: Redis not started: $(port_taken "$REDIS_PORT" "Redis" FRAUDSTREAM_REDIS_PORT)"
    return
  fi
  if ! bash "$ROOT/scripts/tools.sh" redis-server; then
    log "warning: Redis not started: no redis-server (see above); Redis-backed feature state is unavailable"
    return
  fi
  mkdir -p "$VAR/redis"
  log "starting Redis on $DEFAULT_REDIS"
  # Append-only file, fsync every second, as the feature state's Redis should run anywhere: a
  # restart keeps the card and terminal windows (without it the scorer reports the state lost,
  # docs/reliability.md).
  spawn redis "$VAR/redis/redis.log" "$CACHE/bin/redis-server" --bind 127.0.0.1 --port "$REDIS_PORT" \
    --dir "$VAR/redis" --save "" --appendonly yes --appendfsync everysec --protected-mode yes
  started+=(redis)
  wait_for "Redis" 20 redis_answers "$VAR/redis/redis.log" "$VAR/redis.pid"
}

# Letters and digits only: a secret that needs no quoting in a JAAS line or a --add-scram argument.
random_secret() { head -c 64 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

# The app principals of the secure broker (the keys of scripts/infra/kafka-acls.json).
secure_principals() {
  node -e 'process.stdout.write(Object.keys(require(process.argv[1]).principals).join(" "))' \
    "$ROOT/scripts/infra/kafka-acls.json" || die "cannot read the principals of scripts/infra/kafka-acls.json"
}

# A local CA and the broker's certificate (127.0.0.1 and localhost), made once with the JDK's keytool.
# The CA's private key is deleted once the broker's certificate is signed: nothing else can be signed
# with it; clients trust tls/ca.pem.
secure_tls() {
  local tls="$SECURE_DIR/tls" pw
  [ -f "$tls/.complete" ] && return 0
  command -v keytool >/dev/null 2>&1 || die "keytool (from the JDK that runs Kafka) is required to make the secure broker's certificates, and it is not on the PATH"
  rm -rf "$tls"
  mkdir -p "$tls"
  chmod 700 "$tls"
  pw="$(random_secret)"
  log "generating a local CA and the secure broker's certificate in $tls"
  (
    umask 077
    cd "$tls"
    printf '%s' "$pw" >store.password
    kt() { keytool "$@" -storepass "$pw" >keytool.log 2>&1 || { cat keytool.log >&2; exit 1; }; }
    kt -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=fraudstream local CA" \
      -ext bc:c -validity 825 -keystore ca.p12 -storetype PKCS12
    kt -exportcert -rfc -alias ca -keystore ca.p12 -file ca.pem
    kt -genkeypair -alias broker -keyalg EC -groupname secp256r1 -dname "CN=fraudstream-broker" \
      -validity 825 -keystore broker.p12 -storetype PKCS12
    kt -certreq -alias broker -keystore broker.p12 -file broker.csr
    kt -gencert -rfc -alias ca -keystore ca.p12 -infile broker.csr -outfile broker.pem -validity 825 \
      -ext SAN=DNS:localhost,IP:127.0.0.1 -ext KU=digitalSignature -ext EKU=serverAuth
    kt -importcert -noprompt -alias ca -file ca.pem -keystore broker.p12
    kt -importcert -alias broker -file broker.pem -keystore broker.p12
    kt -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 -storetype PKCS12
    rm -f ca.p12 broker.csr keytool.log
  ) || die "generating the secure broker's certificates in $tls failed"
  touch "$tls/.complete"
}

# A TLS port cannot be asked for ApiVersions in the clear: the secure broker answers when its port
# accepts connections (kafka-secure:setup then waits, with kafkajs's retries, for it to serve).
kafka_secure_check() { tcp_answers "$SECURE_BROKERS"; }

start_kafka_secure() {
  local pidfile="$VAR/kafka-secure.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && kafka_secure_check; then
    log "secure Kafka answers at $SECURE_BROKERS"
    return
  fi
  tcp_answers "$SECURE_BROKERS" \
    && die "$(port_taken "$SECURE_KAFKA_PORT" "secure Kafka" FRAUDSTREAM_SECURE_KAFKA_PORT)"
  tcp_answers "127.0.0.1:$SECURE_CONTROLLER_PORT" \
    && die "$(port_taken "$SECURE_CONTROLLER_PORT" "secure Kafka's controller" FRAUDSTREAM_SECURE_CONTROLLER_PORT)"
  require_java
  local libs data conf creds principal principals
  libs="$(kafka_libs)"
  secure_tls
  data="$SECURE_DIR/data"
  conf="$SECURE_DIR/server.properties"
  creds="$SECURE_DIR/credentials"
  principals="$SECURE_ADMIN $(secure_principals)"
  mkdir -p "$data"
  # SCRAM credentials live in the cluster's metadata: they are made when the storage is formatted,
  # one random password per principal, kept (mode 600) in credentials/<principal>.
  local scram=()
  if [ ! -f "$data/meta.properties" ]; then
    rm -rf "$creds"
    mkdir -p "$creds"
    chmod 700 "$creds"
    for principal in $principals; do
      (umask 077 && random_secret >"$creds/$principal")
      scram+=(--add-scram "SCRAM-SHA-512=[name=$principal,password=$(cat "$creds/$principal")]")
    done
  else
    for principal in $principals; do
      [ -s "$creds/$principal" ] || die "no credentials for $principal in $creds (a principal added since the secure storage was formatted): remove $SECURE_DIR and start again"
    done
  fi
  (
    umask 077
    sed -e "s#@KAFKA_PORT@#$SECURE_KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$SECURE_CONTROLLER_PORT#g" \
      -e "s#@DATA_DIR@#$data#g" "$ROOT/scripts/infra/server.properties.tmpl" >"$conf"
    sed -e "s#@KAFKA_PORT@#$SECURE_KAFKA_PORT#g" -e "s#@CONTROLLER_PORT@#$SECURE_CONTROLLER_PORT#g" \
      -e "s#@TLS_DIR@#$SECURE_DIR/tls#g" -e "s#@STORE_PASSWORD@#$(cat "$SECURE_DIR/tls/store.password")#g" \
      -e "s#@ADMIN_PASSWORD@#$(cat "$creds/$SECURE_ADMIN")#g" \
      "$ROOT/scripts/infra/server-secure.properties.tmpl" >>"$conf"
  )
  if [ ! -f "$data/meta.properties" ]; then
    local cluster_id
    cluster_id="$(java -cp "$libs/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    java -cp "$libs/*" -Dlog4j2.configurationFile="$ROOT/scripts/infra/log4j2.properties" \
      kafka.tools.StorageTool format -t "$cluster_id" -c "$conf" "${scram[@]}" >&2 \
      || die "formatting the secure KRaft storage in $data failed"
  fi
  log "starting the secure Kafka $KAFKA_VERSION (KRaft, SASL_SSL) on $SECURE_BROKERS"
  spawn kafka-secure "$SECURE_DIR/kafka.log" java -Xms128m -Xmx512m -XX:+UseG1GC \
    -Dlog4j2.configurationFile="$ROOT/scripts/infra/log4j2.properties" -cp "$libs/*" kafka.Kafka "$conf"
  started+=(kafka-secure)
  wait_for "Secure Kafka" 90 kafka_secure_check "$SECURE_DIR/kafka.log" "$pidfile"
}

# The environment of a client of the secure broker authenticated as principal $1 (lines to eval).
secure_client_env() {
  printf 'KAFKA_BROKERS=%q\n' "$SECURE_BROKERS"
  printf 'KAFKA_SSL=true\n'
  printf 'KAFKA_SSL_CA_FILE=%q\n' "$SECURE_DIR/tls/ca.pem"
  printf 'KAFKA_SASL_MECHANISM=scram-sha-512\n'
  printf 'KAFKA_SASL_USERNAME=%q\n' "$1"
  printf 'KAFKA_SASL_PASSWORD=%q\n' "$(cat "$SECURE_DIR/credentials/$1")"
}

# Topics and ACLs on the secure broker, as its super user.
set_up_kafka_secure() {
  log "creating topics and ACLs on the secure broker"
  (
    set -a
    eval "$(secure_client_env "$SECURE_ADMIN")"
    set +a
    cd "$ROOT" && npm run -s kafka-secure:setup
  ) || die "kafka-secure:setup failed"
}

# stop_one NAME [SIGNAL]: TERM (the default) lets the service shut down cleanly; KILL is a crash.
stop_one() {
  local name="$1" signal="${2:-TERM}" pidfile="$VAR/$1.pid" pid i
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (pid $pid, SIG$signal)"
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < 60; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.5
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

print_status() {
  echo "KAFKA_BROKERS=$KAFKA_BROKERS"
  echo "SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL"
  if redis_answers; then echo "REDIS_URL=$REDIS_URL"; fi
  # Only while the secure broker runs: where it is, the CA to trust, each principal's password file.
  if [ -f "$VAR/kafka-secure.pid" ] && kill -0 "$(cat "$VAR/kafka-secure.pid")" 2>/dev/null && kafka_secure_check; then
    echo "KAFKA_SECURE_BROKERS=$SECURE_BROKERS"
    echo "KAFKA_SECURE_CA_FILE=$SECURE_DIR/tls/ca.pem"
    echo "KAFKA_SECURE_CREDENTIALS_DIR=$SECURE_DIR/credentials"
  fi
}

case "${1:-}" in
  up)
    secure="${FRAUDSTREAM_KAFKA_SECURE:-false}"
    for arg in "${@:2}"; do
      case "$arg" in
        --secure) secure=true ;;
        *) die "usage: $0 up [--secure]" ;;
      esac
    done
    # Printed even when a later step fails, so the caller can stop what was started.
    trap 'echo "INFRA_STARTED=\"${started[*]}\""' EXIT
    start_kafka
    start_registry
    start_redis
    export KAFKA_BROKERS SCHEMA_REGISTRY_URL
    log "creating topics and registering schemas"
    (cd "$ROOT" && npm run -s topics:create) || die "topics:create failed"
    if [ "$secure" = true ]; then
      start_kafka_secure
      set_up_kafka_secure
    fi
    print_status
    ;;
  down)
    shift
    names=("$@")
    [ "${#names[@]}" -gt 0 ] || names=(registry redis kafka-secure kafka)
    # The registry keeps its schemas in Kafka: it stops first.
    for name in registry redis kafka-secure kafka; do
      case " ${names[*]} " in *" $name "*) stop_one "$name" ;; esac
    done
    ;;
  stop)
    case "${2:-}" in kafka | kafka-secure | registry | redis) stop_one "$2" ;; *) die "usage: $0 stop kafka|kafka-secure|registry|redis" ;; esac
    ;;
  kill)
    case "${2:-}" in kafka | kafka-secure | registry | redis) stop_one "$2" KILL ;; *) die "usage: $0 kill kafka|kafka-secure|registry|redis" ;; esac
    ;;
  start)
    case "${2:-}" in
      kafka) start_kafka ;;
      # Started alone (the secure test does), it has no topics or ACLs yet: see kafka-secure:setup.
      kafka-secure) start_kafka_secure ;;
      registry) start_registry ;;
      redis) start_redis ;;
      *) die "usage: $0 start kafka|kafka-secure|registry|redis" ;;
    esac
    ;;
  owns)
    case "${2:-}" in kafka | kafka-secure | registry | redis) ;; *) die "usage: $0 owns kafka|kafka-secure|registry|redis" ;; esac
    pidfile="$VAR/$2.pid"
    [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null || exit 1
    case "$2" in
      kafka) [ "$KAFKA_BROKERS" = "$DEFAULT_BROKERS" ] ;;
      kafka-secure) true ;;
      registry) [ "$SCHEMA_REGISTRY_URL" = "$DEFAULT_REGISTRY" ] ;;
      redis) [ "$REDIS_URL" = "$DEFAULT_REDIS" ] ;;
    esac
    ;;
  status)
    ok=0
    kafka_check || { log "Kafka does not answer at $KAFKA_BROKERS"; ok=1; }
    registry_answers || { log "schema registry does not answer at $SCHEMA_REGISTRY_URL"; ok=1; }
    print_status
    exit "$ok"
    ;;
  *)
    echo "usage: $0 up [--secure] | down [kafka|kafka-secure|registry|redis ...] | status | stop <service> | kill <service> | start <service> | owns <service>" >&2
    exit 2
    ;;
esac
