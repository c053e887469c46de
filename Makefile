# navstar: the two commands a user needs are `make run` and `make test`; both install what they need first.
SHELL       := /bin/bash
JAVA_HOME   := $(shell scripts/java-home.sh 2>/dev/null)
export JAVA_HOME
MVN         := JAVA_HOME=$(JAVA_HOME) mvn -B
JAVA        := $(JAVA_HOME)/bin/java
JVM_ARGS    := --enable-native-access=ALL-UNNAMED

# eBPF objects: clang -g -O2 -target bpf, with BTF. One object per *.bpf.c.
CLANG       ?= clang
ARCH_INC    := /usr/include/$(shell gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)
BPF_CFLAGS  := -g -O2 -target bpf -mcpu=v3 -Wall -Werror -Wno-unused-function \
               -I bpf/include -I $(ARCH_INC) -D__TARGET_ARCH_x86
BPF_SRC     := $(wildcard bpf/*/*.bpf.c)
BPF_OBJ     := $(patsubst bpf/%.bpf.c,bpf/build/%.o,$(BPF_SRC))
BPF_HDR     := $(wildcard bpf/include/*.h bpf/*/*.h)

BENCH       ?= .
BENCH_ARGS  ?= -f 1 -wi 3 -i 5 -prof gc
# make bench (and make bench-<area>) writes a new report (raw results in raw/, then index.html and PNGs); make report
# renders one again, by default the latest (REPORT=reports/<date> for another). docs/benchmarks.md, "Reports".
BENCH_REPORT := reports/$(shell date +%Y-%m-%d-%H%M%S)
REPORT      ?= $(patsubst %/raw,%,$(lastword $(sort $(wildcard reports/*/raw))))
RENDER      := $(JAVA) -Djava.awt.headless=true -cp jmh/target/benchmarks.jar io.navstar.bench.report.BenchReport

.PHONY: all deps java-check bpf build test test-scripts torture run bench bench-jmh bench-scripts report clean

all: build

deps:
	@scripts/deps.sh

java-check:
	@test -n "$(JAVA_HOME)" || { scripts/java-home.sh; exit 1; }

bpf: $(BPF_OBJ)

bpf/build/%.o: bpf/%.bpf.c $(BPF_HDR)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

build: deps java-check bpf
	$(MVN) install -DskipTests

test: deps java-check bpf
	$(MVN) install
	@$(MAKE) -s test-scripts

# The shell-level checks, on a built tree: packaging/provision-node.sh staged, vagrant/Vagrantfile validated.
test-scripts:
	@for t in packaging/test/*-test.sh vagrant/*-test.sh; do bash "$$t" || exit 1; done

# The torture suite's long form (docs/torture.md; `make test` runs its short form): ten agents under TORTURE_SECONDS
# of faults; TORTURE_SEED=<seed> replays a run that failed; TORTURE_MODE=tc runs tc mode's data plane (default sock).
TORTURE_SECONDS ?= 300
TORTURE_MODE    ?= sock
torture: deps java-check bpf
	$(MVN) -pl control-plane -am test -Dtest=ClusterTortureTest -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dnavstar.torture.seconds=$(TORTURE_SECONDS) -Dnavstar.torture.mode=$(TORTURE_MODE) \
	  $(if $(TORTURE_SEED),-Dnavstar.torture.seed=$(TORTURE_SEED))

run: build
	MODE=$(MODE) scripts/demo.sh

# Every benchmark: JMH first, then the scripts that drive real tools (dnsperf, wrk) side by side, then the report of
# both in $(BENCH_REPORT), compared with the report before it.
bench: bench-jmh bench-scripts
	$(RENDER) $(BENCH_REPORT)

bench-jmh: build
	@mkdir -p $(BENCH_REPORT)/raw
	$(JAVA) $(JVM_ARGS) -Dnavstar.bpf.dir=$(CURDIR)/bpf/build -jar jmh/target/benchmarks.jar $(BENCH_ARGS) \
	  -rf json -rff $(BENCH_REPORT)/raw/jmh.json $(BENCH)

bench-scripts: build
	@mkdir -p $(BENCH_REPORT)/raw
	@for s in jmh/scripts/*.sh; do echo "== $$s"; BENCH_RESULTS=$(CURDIR)/$(BENCH_REPORT)/raw bash "$$s" || exit 1; done

# The report again from the raw results already in $(REPORT)/raw (after a change to the renderer, or to compare).
report: build
	@test -n "$(REPORT)" || { echo "make report: no reports/<date>/raw yet; make bench writes one" >&2; exit 2; }
	$(RENDER) $(REPORT)

# One area's scripts: `make bench-dns` runs jmh/scripts/dns-*.sh, `make bench-lb` jmh/scripts/lb-*.sh, then their
# report in $(BENCH_REPORT) as make bench writes one (each figure compared with the last report that has it).
bench-%: build
	@compgen -G "jmh/scripts/$*-*.sh" >/dev/null || { echo "make bench-$*: no jmh/scripts/$*-*.sh" >&2; exit 2; }
	@mkdir -p $(BENCH_REPORT)/raw
	@for s in jmh/scripts/$*-*.sh; do echo "== $$s"; BENCH_RESULTS=$(CURDIR)/$(BENCH_REPORT)/raw bash "$$s" || exit 1; done
	$(RENDER) $(BENCH_REPORT)

clean:
	rm -rf bpf/build
	$(MVN) -q clean
