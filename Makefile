# brokerlab — the two commands a new user needs are `make run` and `make test`.
GO       ?= go
BIN      := bin/brokerlab
OUT      ?= out
FUZZTIME ?= 60s

.PHONY: all build run test fuzz bench lint clean

all: build

# Static (CGO_ENABLED=0): the container driver runs this very binary in
# images FROM scratch, which have no loader or libc.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN) ./cmd/brokerlab

# Run the built-in scenario catalogue in-process: a hub and two spokes over
# mutual TLS, faults, certificate mistakes. Writes $(OUT)/junit.xml.
run: build
	./$(BIN) run --out $(OUT)

# Every test, Ginkgo scenario suites included, under the race detector.
test:
	$(GO) test -race -count=1 -timeout 30m ./...

# Each fuzz target for FUZZTIME (go test -fuzz takes one target at a time).
fuzz:
	$(GO) test ./broker/stomp -run '^$$' -fuzz '^FuzzReadFrame$$' -fuzztime $(FUZZTIME)
	$(GO) test ./broker -run '^$$' -fuzz '^FuzzConn$$' -fuzztime $(FUZZTIME)
	$(GO) test ./topology -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./broker/network -run '^$$' -fuzz '^FuzzParseConnector$$' -fuzztime $(FUZZTIME)
	$(GO) test ./scenarios -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	$(GO) test ./broker/security -run '^$$' -fuzz '^FuzzCheckPassword$$' -fuzztime $(FUZZTIME)
	$(GO) test ./broker/security -run '^$$' -fuzz '^FuzzParseProperties$$' -fuzztime $(FUZZTIME)
	$(GO) test ./topology/driver/activemq -run '^$$' -fuzz '^FuzzLogReader$$' -fuzztime $(FUZZTIME)
	$(GO) test ./scenarios/bench -run '^$$' -fuzz '^FuzzRawRead$$' -fuzztime $(FUZZTIME)
	$(GO) test ./broker/tlsconf -run '^$$' -fuzz '^FuzzParseKnobs$$' -fuzztime $(FUZZTIME)
	$(GO) test ./broker/tlsconf -run '^$$' -fuzz '^FuzzClassifyLogText$$' -fuzztime $(FUZZTIME)
	$(GO) test ./faults -run '^$$' -fuzz '^FuzzScanLog$$' -fuzztime $(FUZZTIME)
	$(GO) test ./faults -run '^$$' -fuzz '^FuzzRecordSplitter$$' -fuzztime $(FUZZTIME)

# Plaintext against TLS throughput: the CLI's table, then Go benchmarks.
bench: build
	./$(BIN) bench
	$(GO) test ./broker/... -run '^$$' -bench . -benchmem

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet ./...
	@if command -v staticcheck >/dev/null; then staticcheck ./...; else echo "staticcheck not installed; skipped (go install honnef.co/go/tools/cmd/staticcheck@latest)"; fi

clean:
	rm -rf bin $(OUT)
