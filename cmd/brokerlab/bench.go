package main

import (
	"fmt"
	"io"
	"time"

	"github.com/brokerlab/brokerlab/reports"
	"github.com/brokerlab/brokerlab/scenarios/bench"
)

var benchDoc = &doc{
	name:     "bench",
	synopsis: "brokerlab bench [--size N[,N...]] [--count N] [--rounds N] [--timeout D] [--json FILE]",
	about: `Measures what TLS costs: one broker in this process with a plaintext STOMP
listener and a STOMP+TLS listener requiring a client certificate (mutual TLS,
certificates generated into a temporary directory), one producer and one
consumer, both go-stomp clients.

Each run subscribes the consumer (ack auto) to a fresh queue, then the
producer sends --count messages of --size bytes, only the last with a
receipt, so the broker holds the producer back through TCP rather than by
round trips. A run's time is from the first send to the last message
received. Plaintext and TLS runs alternate, round by round, and the median
of the rounds is reported per transport and size, which cuts the noise of a
busy machine. Every run is abandoned after --timeout.

Progress goes to stderr, one line per run; the table to stdout. Its last line
is the TLS/plaintext ratio of msgs/s ("tls/plaintext: 0.78× msgs/s").
Measure on a quiet machine, and compare runs made on the same one.`,
	examples: `  # the default: 1 KiB messages, 20000 per run, 3 rounds
  brokerlab bench

  # your message sizes, results as JSON for a dashboard
  brokerlab bench --size 256,1024,65536 --json out/bench.json

  # a quick check that everything works
  brokerlab bench --count 500 --rounds 1`,
	exits: `  0  measured; the table was printed
  1  a run failed or did not finish within --timeout
  2  bad flags`,
}

func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := newFlags(benchDoc)
	sizes := &intList{values: []int{bench.DefaultSize}}
	fs.Var(sizes, "size", "message body size in `BYTES`; a comma list measures each (e.g. 256,1024,65536)")
	count := fs.Int("count", bench.DefaultCount, "`N` messages per run")
	rounds := fs.Int("rounds", bench.DefaultRounds, "`N` runs per transport and size; the median is reported")
	jsonOut := fs.String("json", "", "also write the results as JSON to `FILE`")
	timeout := fs.Duration("timeout", bench.DefaultRunTimeout, "abandon a run that takes longer than `DURATION`")
	pos, code, ok := parse(fs, benchDoc, args, stdout, stderr)
	if !ok {
		return code
	}
	switch {
	case len(pos) > 0:
		return usageError(stderr, benchDoc, "unexpected argument %q", pos[0])
	case *count <= 0:
		return usageError(stderr, benchDoc, "--count must be positive, got %d", *count)
	case *rounds <= 0:
		return usageError(stderr, benchDoc, "--rounds must be positive, got %d", *rounds)
	case *timeout <= 0:
		return usageError(stderr, benchDoc, "--timeout must be positive, got %s", *timeout)
	}

	ctx, stop := signalContext()
	defer stop()
	start := time.Now()
	results, err := bench.Run(ctx, bench.Options{
		Sizes: sizes.values, Count: *count, Rounds: *rounds, RunTimeout: *timeout, Progress: stderr,
	})
	if err != nil {
		fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
		return exitFail
	}
	fmt.Fprintf(stderr, "measured in %s\n\n", time.Since(start).Round(100*time.Millisecond))
	if err := reports.WriteBenchTable(stdout, results, bench.Plaintext); err != nil {
		fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
		return exitFail
	}
	if *jsonOut != "" {
		if err := writeBenchJSON(*jsonOut, results); err != nil {
			fmt.Fprintf(stderr, "brokerlab bench: %v\n", err)
			return exitFail
		}
		fmt.Fprintf(stderr, "results written to %s\n", *jsonOut)
	}
	return exitOK
}

func writeBenchJSON(path string, results []reports.BenchResult) error {
	return writeFile(path, func(w io.Writer) error { return reports.WriteBenchJSON(w, results) })
}
