package broker_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/brokertest"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Events reach the logger as structured JSON records, and a refused login
// is a warning that names the login but never the passcode.
func TestStructuredLogs(t *testing.T) {
	var out lockedBuffer
	logger := slog.New(slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b := brokertest.NewBroker(t, broker.Options{Name: "logged", Logger: logger, Users: map[string]string{"u": "hunter2"}})
	rawExchange(t, b.Addr(), "CONNECT\naccept-version:1.2\nlogin:u\npasscode:wrong-secret\n\n\x00")
	var sawListener, sawRefusal bool
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not a JSON record: %q", line)
		}
		sawListener = sawListener || (rec["kind"] == "listener-up" && rec["level"] == "INFO" && rec["node"] == "logged")
		sawRefusal = sawRefusal || (rec["kind"] == "auth-failed" && rec["level"] == "WARN")
	}
	if !sawListener || !sawRefusal {
		t.Fatalf("missing records (listener-up %v, auth-failed %v):\n%s", sawListener, sawRefusal, out.String())
	}
	if strings.Contains(out.String(), "wrong-secret") || strings.Contains(out.String(), "hunter2") {
		t.Fatalf("a passcode reached the log:\n%s", out.String())
	}
}
