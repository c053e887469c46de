#!/bin/sh
# Prints the home of a JDK 25 or newer: $JAVA_HOME if it qualifies, else the newest under /usr/lib/jvm.
# navstar calls the kernel through the FFM API and is built for Java 25.
set -eu
MIN=25

feature() { # feature release of the JDK at $1, or 0
  [ -x "$1/bin/javac" ] && [ -f "$1/release" ] || { echo 0; return; }
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n1
}

if [ -n "${JAVA_HOME:-}" ] && [ "$(feature "$JAVA_HOME")" -ge "$MIN" ] 2>/dev/null; then
  echo "$JAVA_HOME"; exit 0
fi
best=""; best_v=0
for d in /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
  [ -d "$d" ] || continue
  v=$(feature "$d"); v=${v:-0}
  if [ "$v" -ge "$MIN" ] && [ "$v" -gt "$best_v" ]; then best=$d; best_v=$v; fi
done
if [ -z "$best" ]; then
  echo "navstar needs a JDK $MIN or newer (java.lang.foreign); none found in \$JAVA_HOME or /usr/lib/jvm." >&2
  echo "Install one (for example Temurin 25) and set JAVA_HOME to it." >&2
  exit 1
fi
echo "$best"
