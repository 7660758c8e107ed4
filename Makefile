# buildtune: see README.md. `make demo` and `make test` do their own set-up.
GO        ?= go
BUILDKIT  := github.com/moby/buildkit
# runc lives in /usr/sbin on Debian.
export PATH := $(PATH):/usr/sbin:/sbin

BUILDKIT_VERSION = $(shell $(GO) list -m -f '{{.Version}}' $(BUILDKIT))
BK_LDFLAGS = -X $(BUILDKIT)/version.Version=$(BUILDKIT_VERSION) -X $(BUILDKIT)/version.Package=$(BUILDKIT)

.PHONY: setup deps deps-long demo test test-long bench bench-micro bench-proof bench-prediction fuzz vet clean bin/buildtune

setup: deps bin/buildkitd bin/buildctl bin/buildtune

# Debian packages: runc for BuildKit's OCI worker, busybox-static for the
# fixture base images, docker-registry (the CNCF distribution server) for
# the second registry the tests use. Installed only when missing.
deps:
	@missing=""; \
	command -v runc >/dev/null 2>&1 || missing="$$missing runc"; \
	[ -x /bin/busybox ] || missing="$$missing busybox-static"; \
	[ -x /usr/bin/docker-registry ] || missing="$$missing docker-registry"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# buildkitd and buildctl from the BuildKit version pinned in go.mod.
bin/buildkitd: go.mod go.sum
	$(GO) build -ldflags "$(BK_LDFLAGS)" -o $@ $(BUILDKIT)/cmd/buildkitd

bin/buildctl: go.mod go.sum
	$(GO) build -ldflags "$(BK_LDFLAGS)" -o $@ $(BUILDKIT)/cmd/buildctl

# -buildvcs=true: run.json records the git commit buildtune was built from.
bin/buildtune:
	$(GO) build -buildvcs=true -o $@ ./cmd/buildtune

# The main job on the embedded default stack: the default sweep, then its
# analysis, report and recommendation for the full 433-image build.
DEMO_OUT ?= runs/demo-$(shell date +%Y%m%d-%H%M%S)
demo: setup
	./bin/buildtune sweep --out $(DEMO_OUT)
	./bin/buildtune report $(DEMO_OUT)
	./bin/buildtune recommend $(DEMO_OUT)
	@echo "report: $(DEMO_OUT)/report.md ($(DEMO_OUT)/report.html)"

# Unit and integration tests (real buildkitd, real registries), < 25 min.
test: setup
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 25m ./...

# Longer suites: a bigger real sweep, docker-registry variants.
# The long suite also opens report.html in headless Chromium (Debian's
# chromium-headless-shell), installed only when missing.
deps-long:
	@[ -x /usr/bin/chromium-headless-shell ] || [ -x /usr/bin/chromium ] || { \
		echo "installing: chromium-headless-shell"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell; }

test-long: setup deps-long
	BUILDTUNE_LONG=1 $(GO) test -count=1 -timeout 80m ./...
	$(MAKE) fuzz FUZZTIME=60s

# Speed targets: medians and ratios against a baseline measured in the same run.
# Everything, on a quiet machine: the micro-benchmarks, the fleet benchmarks, the proof
# scenarios of internal/bench and scenario 4 (BenchmarkPrediction in cmd/buildtune), whose
# summaries land in reports/bench/. Measured: 78 min on 27 Nov's host and 110 min on a slower
# one before scenario 4 joined, which took 30 min alone (BENCHMARKS.md).
MICRO = Reducer10k|WriterImage|EncodeImage|Read100k|AnalyzePredict10k
bench: setup bench-micro
	BUILDTUNE_BENCH_OUT=reports/bench $(GO) test -p 1 -run '^$$' -bench . -skip 'BenchmarkReplayLimits|$(MICRO)' -benchtime 1x -count 1 -timeout 200m ./...

# buildtune's own hot paths (reducer, records, analysis), about a minute:
# Go's default 1 s per benchmark, five times each; read the median line.
bench-micro:
	$(GO) test -run '^$$' -bench '$(MICRO)' -benchmem -count 5 ./internal/engine/ ./sweep/record/ ./analyze/evidence/

# The proof scenarios alone (overhead, old scheme, replay, sweep cost); one
# of them with BENCH, e.g. make bench-proof BENCH=SchemesReplay. The
# diagnosis of condition (b)'s limit runs only when named:
# make bench-proof BENCH=ReplayLimits (about 13 min).
BENCH ?= .
bench-proof: setup
	BUILDTUNE_BENCH_OUT=reports/bench $(GO) test -run '^$$' -bench '$(BENCH)' $(if $(filter .,$(BENCH)),-skip 'BenchmarkReplayLimits') -benchtime 1x -count 1 -timeout 100m ./internal/bench/

# Scenario 4 alone (prediction accuracy on three fixture sets, about 30 min).
bench-prediction: setup
	BUILDTUNE_BENCH_OUT=reports/bench $(GO) test -run '^$$' -bench 'BenchmarkPrediction$$' -benchtime 1x -count 1 -timeout 60m ./cmd/buildtune/

# Every fuzz target, FUZZTIME each (make test-long runs them for 60 s).
FUZZTIME ?= 30s
FUZZ_TARGETS = FuzzRead:./sweep/record FuzzRewriteRoundTrip:./internal/workflow FuzzParseGrid:./sweep \
	FuzzParseProfile:./fixtures FuzzParse:./internal/workload FuzzExpand:./internal/workload FuzzReducer:./internal/engine \
	FuzzBandwidthRoundTrip:./internal/input
fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		echo "fuzz $${t%%:*} ($(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$${t%%:*}$$" -fuzztime $(FUZZTIME) $${t#*:}; \
	done

vet:
	$(GO) vet ./...

clean:
	rm -rf bin
