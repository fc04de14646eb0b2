package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/Shopify/toxiproxy/v2"
)

// toxic is one toxiproxy toxic as its JSON API takes it. Faults describe
// their toxics with it and let addToxics do the bookkeeping, so that every
// network fault gets rollback on a half-applied Apply and an idempotent
// Undo for free.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`   // a toxiproxy toxic type: "latency", "timeout", …
	Stream     string         `json:"stream"` // "upstream" (From→To) or "downstream" (To→From)
	Toxicity   float32        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// streams maps a fault's direction param to toxiproxy's streams. Upstream
// is what the From node (the dialler) sends, downstream what it receives.
func streams(direction string) []string {
	switch direction {
	case "upstream":
		return []string{"upstream"}
	case "downstream":
		return []string{"downstream"}
	default:
		return []string{"upstream", "downstream"}
	}
}

// addToxics adds ts to p in order. If one fails, those already added are
// removed again, so a failed Apply leaves the link as it found it. The
// returned Undo removes all of them; it may be called more than once.
func addToxics(ctx context.Context, what string, p *toxiproxy.Proxy, ts []toxic) (Undo, error) {
	var added []string
	for _, t := range ts {
		if err := ctx.Err(); err != nil {
			return nil, rollback(ctx, what, p, added, fmt.Errorf("faults: %s: %w", what, err))
		}
		if t.Toxicity == 0 {
			t.Toxicity = 1
		}
		body, err := json.Marshal(t)
		if err != nil {
			return nil, rollback(ctx, what, p, added, fmt.Errorf("faults: %s: encode toxic %s: %w", what, t.Name, err))
		}
		if _, err := p.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
			return nil, rollback(ctx, what, p, added, fmt.Errorf("faults: %s: add toxic %s: %w", what, t.Name, err))
		}
		added = append(added, t.Name)
	}
	var (
		mu   sync.Mutex
		done bool
	)
	return func(ctx context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return nil
		}
		if err := removeToxics(ctx, what, p, added); err != nil {
			return err
		}
		done = true
		return nil
	}, nil
}

func rollback(ctx context.Context, what string, p *toxiproxy.Proxy, added []string, cause error) error {
	// The rollback must run even when ctx is what failed.
	if err := removeToxics(context.WithoutCancel(ctx), what, p, added); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// removeToxics removes every named toxic, carrying on past failures so that
// one stuck toxic does not leave the others in place. A toxic that is
// already gone (a second Undo, or the proxy was reset) counts as removed.
func removeToxics(ctx context.Context, what string, p *toxiproxy.Proxy, names []string) error {
	var errs []error
	for _, name := range names {
		if err := p.Toxics.RemoveToxic(quiet(ctx), name); err != nil && !isGone(err) {
			errs = append(errs, fmt.Errorf("faults: undo %s: remove toxic %s: %w", what, name, err))
		}
	}
	return errors.Join(errs...)
}
