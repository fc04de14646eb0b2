package broker

import (
	"log/slog"
	"testing"

	"github.com/brokerlab/brokerlab/broker/events"
)

// Store events are logged by how much they matter: what Open recovered is
// information, a cut tail or acknowledgements lost to a crash a warning,
// and a failure an error, including one that names no state (such as a
// dead-lettering append that failed): persistent messages are at risk.
func TestStoreEventLevels(t *testing.T) {
	for state, want := range map[string]slog.Level{
		storeRecovered: slog.LevelInfo,
		storeTruncated: slog.LevelWarn,
		storeAcksLost:  slog.LevelWarn,
		storeFailed:    slog.LevelError,
		"":             slog.LevelError,
	} {
		if got := eventLevel(events.Event{Kind: events.StoreRecovered, State: state}); got != want {
			t.Errorf("store event in state %q logged at %v, want %v", state, got, want)
		}
	}
}
