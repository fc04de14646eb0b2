package driver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/brokerlab/brokerlab/broker"
	"github.com/brokerlab/brokerlab/broker/events"
)

// FollowEvents copies a node's events from its admin endpoint
// (/events?follow=1) into sink until ctx ends, so that a node in another
// process or a container reports into the same stream as an in-process
// one. A broken stream is resumed from the next index (?since=), so no
// event is seen twice. It returns when ctx ends, or when a stream ends
// after gone is closed (the node has exited: everything it sent has been
// read).
func FollowEvents(ctx context.Context, adminAddr string, gone <-chan struct{}, sink events.Sink) {
	next := 0
	for ctx.Err() == nil {
		n, err := followOnce(ctx, adminAddr, next, sink)
		next = n
		if ctx.Err() != nil {
			return
		}
		select {
		case <-gone:
			return
		default:
		}
		if err != nil {
			// The node may be going away; its driver cancels ctx when it
			// knows. Until then try again, briefly spaced.
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// followedLine is an /events line: the event plus its stream index.
type followedLine struct {
	Seq *int `json:"seq"`
	events.Event
}

func followOnce(ctx context.Context, adminAddr string, since int, sink events.Sink) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://%s/events?follow=1&since=%d", adminAddr, since), nil)
	if err != nil {
		return since, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return since, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return since, fmt.Errorf("driver: %s/events: %s", adminAddr, resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var l followedLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue
		}
		if l.Seq == nil {
			// The endpoint dropped us for being slow; its line says where to
			// resume, which is where we are.
			continue
		}
		since = *l.Seq + 1
		sink.Emit(l.Event)
	}
	return since, sc.Err()
}

// AdminStats reads a node's /stats from its admin endpoint, waiting at
// most 3 s; false when adminAddr is "" (the node is not running) or the
// node cannot say.
func AdminStats(adminAddr string) (broker.Stats, bool) {
	if adminAddr == "" {
		return broker.Stats{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	var st broker.Stats
	if err := fetchStats(ctx, adminAddr, &st); err != nil {
		return broker.Stats{}, false
	}
	return st, true
}

// fetchStats reads a node's /stats into v.
func fetchStats(ctx context.Context, adminAddr string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+adminAddr+"/stats", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("driver: %s/stats: %s", adminAddr, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}
