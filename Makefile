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

# Every fuzz target in the tree for FUZZTIME each (go test -fuzz takes one
# target at a time). Targets are found by name, `func Fuzz…` in *_test.go,
# so a new one is fuzzed without editing this file. All of them run even
# when one fails; the failures are listed at the end.
fuzz:
	@failed=""; \
	for file in $$(grep -rl --include='*_test.go' --exclude-dir=.git '^func Fuzz' . | sort); do \
	  pkg=./$$(dirname $${file#./}); \
	  for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
	    echo "$(GO) test $$pkg -run '^\$$' -fuzz '^$$target\$$' -fuzztime $(FUZZTIME)"; \
	    $(GO) test $$pkg -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) || failed="$$failed $$pkg.$$target"; \
	  done; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: failed:$$failed (reproducers in each package's testdata/fuzz)"; exit 1; fi

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
