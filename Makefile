# pgrst: make build | run | test | bench | bench-compare | bench-micro | fuzz | stress | stress-listen | explorer | test-browser | fmt | clean
#
# make run            builds bin/pgrst and serves a throwaway demo database
#                     (sql/demo.sql in ./.pgrst-demo) on localhost:3000
# make run CONFIG=f   builds bin/pgrst and runs it with the configuration file f;
#                     so does a set PGRST_DB_URI (without CONFIG)
# make test           go vet and every test, each test binary on a throwaway
#                     PostgreSQL cluster (installed first if missing, see
#                     scripts/ensure-postgres.sh); then every test again under
#                     the race detector (go test -race, which needs cgo and a C
#                     compiler), where the allocation-count tests skip
#                     themselves (raceEnabled), so they need the first run

GO     ?= go
SERVER := bin/pgrst
CONFIG ?=

.PHONY: build run test vet bench bench-compare bench-micro fuzz stress stress-listen explorer test-browser fmt clean

build:
	$(GO) build -o $(SERVER) .

ifneq ($(strip $(CONFIG)$(PGRST_DB_URI)),)
run: build
	./$(SERVER) $(CONFIG)
else
run:
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "$(GO) build -o $(SERVER) ." && $(GO) build -o $(SERVER) . && \
	echo "$(GO) run ./cmd/pgrst-demo -server $(SERVER) -explorer $(EXPLORER)" && \
	exec $(GO) run ./cmd/pgrst-demo -server $(SERVER) -explorer $(EXPLORER)
endif

test:
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "PG_BIN=$$PG_BIN" && \
	echo "$(GO) vet ./..." && $(GO) vet ./... && \
	cc="$$(CGO_ENABLED=1 $(GO) env CC)" && { command -v "$${cc%% *}" >/dev/null 2>&1 || { \
		echo "make test: go test -race needs a C compiler ($$cc): install one, e.g. apt-get install gcc libc6-dev" >&2; exit 1; }; } && \
	echo "$(GO) test -count=1 -timeout 20m ./..." && $(GO) test -count=1 -timeout 20m ./... && \
	echo "CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./..." && CGO_ENABLED=1 $(GO) test -race -count=1 -timeout 30m ./...

vet:
	$(GO) vet ./...

# make bench          the benchmark (bench/): a throwaway cluster tuned for
#                     benchmarking, the dataset, bin/pgrst under load, pgbench and
#                     bench/floor for the database's limit; prints the table and
#                     writes bench/results/*.json. BENCH_DURATION, BENCH_CONCURRENCY,
#                     BENCH_SCENARIOS, ... (see bench/main.go)
# make bench-compare URL=http://host:port   (or BIN=path/to/server, or
#                     BENCH_TARGETS=name=URL-or-binary,...): the same scenarios
#                     against another server too, interleaved, with ratios
# make bench-micro    Go micro-benchmarks with -benchmem
bench: build
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	$(GO) build -o bin/pgrst-floor ./bench/floor && \
	$(GO) build -o bin/pgrst-bench ./bench && \
	./bin/pgrst-bench

bench-compare: build
	@targets="$(BENCH_TARGETS)"; \
	if [ -n "$(URL)" ]; then targets="$${targets:+$$targets,}other=$(URL)"; fi; \
	if [ -n "$(BIN)" ]; then targets="$${targets:+$$targets,}bin=$(BIN)"; fi; \
	if [ -z "$$targets" ]; then echo "make bench-compare: set URL=http://host:port, BIN=path/to/server or BENCH_TARGETS=name=spec,..." >&2; exit 2; fi; \
	PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	$(GO) build -o bin/pgrst-floor ./bench/floor && \
	$(GO) build -o bin/pgrst-bench ./bench && \
	BENCH_TARGETS="$$targets" ./bin/pgrst-bench

bench-micro:
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "$(GO) test -run '^$$$$' -bench . -benchmem ./planner/ ./server/..." && \
	$(GO) test -run '^$$' -bench . -benchmem ./planner/ ./server/...

# make fuzz          explores every fuzz target in the module (each func Fuzz*
#                     in a *_test.go file, found by grep) for FUZZTIME, one after
#                     another, and names those that failed at the end. Seeds are
#                     the f.Add calls and testdata/fuzz/<name>/, which make test
#                     runs too; a failing input lands in testdata/fuzz/<name>/.
FUZZTIME ?= 30s
fuzz:
	@targets=$$(grep -r --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git \
		-o '^func Fuzz[A-Za-z0-9_]*' . | sed 's|/[^/]*_test\.go:func |/:|' | sort); \
	[ -n "$$targets" ] || { echo "make fuzz: no fuzz targets found" >&2; exit 1; }; \
	failed=; for t in $$targets; do dir=$${t%%:*}; name=$${t#*:}; \
		echo "$(GO) test -run '^\$$' -fuzz '^$$name\$$' -fuzztime $(FUZZTIME) $$dir"; \
		$(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) "$$dir" || failed="$$failed $$name"; \
	done; \
	if [ -n "$$failed" ]; then echo "make fuzz: failed:$$failed" >&2; exit 1; fi

# make stress        the long forms of the reliability and security tests:
#                     the soak (soak_test.go: the pgrst binary under a mixed
#                     workload with a schema reload every 30 s, for STRESS_SOAK,
#                     default 10m; zero unexpected answers, RSS, goroutines and
#                     prepared statements per connection flat), then every fuzz
#                     target for STRESS_FUZZTIME (default 10m) each, one after
#                     another, as make fuzz does. make test runs the fuzz seeds,
#                     a soak of a few seconds and the other suites in short form.
STRESS_SOAK     ?= 10m
STRESS_FUZZTIME ?= 10m
stress:
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "STRESS_SOAK=$(STRESS_SOAK) $(GO) test -run '^TestFaults$$/^Soak$$' -count=1 -v -timeout 0 ." && \
	STRESS_SOAK=$(STRESS_SOAK) $(GO) test -run '^TestFaults$$/^Soak$$' -count=1 -v -timeout 0 .
	@$(MAKE) --no-print-directory fuzz FUZZTIME=$(STRESS_FUZZTIME)

# make stress-listen  the event streams under load (bench/listen): a throwaway
#                     cluster, bin/pgrst with server-listen-enabled, 2,000
#                     subscribers over 100 channels and 1,000 notifications/s
#                     for 20 s; prints the latency NOTIFY -> client (p50, p99,
#                     max), events lost, pgrst's RSS per subscriber and CPU.
#                     LISTEN_ARGS changes them, e.g. LISTEN_ARGS="-channels 1 -rate 100"
LISTEN_ARGS ?=
stress-listen: build
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	$(GO) run ./bench/listen -server $(SERVER) $(LISTEN_ARGS)

# make explorer       fetches Swagger UI (the swagger-ui-dist npm package, with npm)
#                     into .explorer/swagger-ui-dist: admin-server-explorer-dir for
#                     the admin server's /explorer/; make run uses it when present
# make test-browser   the API explorer in headless Chromium (server/
#                     explorer_browser_test.go, build tag browser): the page lists
#                     the demo's tables and "Try it out" returns rows. It needs npm
#                     and Chromium (apt-get install chromium, done here as root when
#                     missing), so it is not part of make test
EXPLORER := .explorer/swagger-ui-dist
explorer: $(EXPLORER)/swagger-ui-bundle.js
$(EXPLORER)/swagger-ui-bundle.js:
	@command -v npm >/dev/null 2>&1 || { echo "make explorer: needs npm (apt-get install npm)" >&2; exit 1; }
	mkdir -p .explorer && cd .explorer && rm -rf package swagger-ui-dist && \
	tgz="$$(npm pack --silent swagger-ui-dist@5)" && tar xzf "$$tgz" && rm -f "$$tgz" && mv package swagger-ui-dist

test-browser: explorer
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; \
	else echo "make test-browser: needs Chromium (apt-get install chromium)" >&2; exit 1; fi
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "$(GO) test -tags browser -run TestExplorerInBrowser -count=1 -timeout 10m ./server/" && \
	PGRST_EXPLORER_DIR="$(CURDIR)/$(EXPLORER)" $(GO) test -tags browser -run TestExplorerInBrowser -count=1 -timeout 10m ./server/

fmt:
	$(GO) fmt ./...

clean:
	rm -rf bin/ .pgrst-demo/ .explorer/ *.test *.out *.prof
	$(GO) clean -testcache
