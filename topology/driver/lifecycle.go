package driver

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/brokerlab/brokerlab/broker/events"
)

// StartAll starts every node that running says is down, in the order of
// names (file order), one at a time, and stops at the first error: the
// StartAll of every driver.
func StartAll(names []string, running func(name string) bool, start func(name string) error) error {
	for _, name := range names {
		if running(name) {
			continue
		}
		if err := start(name); err != nil {
			return err
		}
	}
	return nil
}

// StopAll stops every node that running says is up, all at once, and
// joins the errors: a Shutdown for drivers whose nodes stop independently.
func StopAll(ctx context.Context, names []string, running func(name string) bool, stop func(ctx context.Context, name string) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, name := range names {
		if !running(name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := stop(ctx, name); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Follower is a goroutine copying one running node's events from its
// admin endpoint into a sink (FollowEvents).
type Follower struct {
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// Follow starts following adminAddr until gone is closed and the stream
// read to its end, or Stop cuts it.
func Follow(adminAddr string, gone <-chan struct{}, sink events.Sink) *Follower {
	ctx, cancel := context.WithCancel(context.Background())
	f := &Follower{cancel: cancel}
	f.done.Add(1)
	go func() {
		defer f.done.Done()
		FollowEvents(ctx, adminAddr, gone, sink)
	}()
	return f
}

// Stop ends the event stream once the node is gone (its gone channel
// closed). The follower first reads what the node sent before it went (it
// returns on its own at the end of that stream); past a bound it is cut.
// A nil Follower is stopped already.
func (f *Follower) Stop() {
	if f == nil {
		return
	}
	t := time.AfterFunc(2*time.Second, f.cancel)
	f.done.Wait()
	t.Stop()
	f.cancel()
}
