# pgrst: make build | run | test | bench-micro | fmt | clean
#
# make run            builds bin/pgrst and serves a throwaway demo database
#                     (sql/demo.sql in ./.pgrst-demo) on localhost:3000
# make run CONFIG=f   builds bin/pgrst and runs it with the configuration file f;
#                     so does a set PGRST_DB_URI (without CONFIG)
# make test           go vet and every test, each test binary on a throwaway
#                     PostgreSQL cluster (installed first if missing, see
#                     scripts/ensure-postgres.sh)

GO     ?= go
BIN    := bin/pgrst
CONFIG ?=

.PHONY: build run test vet bench-micro fmt clean

build:
	$(GO) build -o $(BIN) .

ifneq ($(strip $(CONFIG)$(PGRST_DB_URI)),)
run: build
	./$(BIN) $(CONFIG)
else
run:
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "$(GO) build -o $(BIN) ." && $(GO) build -o $(BIN) . && \
	echo "$(GO) run ./cmd/pgrst-demo -server $(BIN)" && exec $(GO) run ./cmd/pgrst-demo -server $(BIN)
endif

test:
	@PG_BIN="$$(scripts/ensure-postgres.sh)" && export PG_BIN && \
	echo "PG_BIN=$$PG_BIN" && \
	echo "$(GO) vet ./..." && $(GO) vet ./... && \
	echo "$(GO) test -count=1 -timeout 20m ./..." && $(GO) test -count=1 -timeout 20m ./...

vet:
	$(GO) vet ./...

bench-micro:
	$(GO) test -run '^$$' -bench . -benchmem ./planner/ ./server/...

fmt:
	$(GO) fmt ./...

clean:
	rm -rf bin/ .pgrst-demo/ *.test *.out *.prof
	$(GO) clean -testcache
