// Package admin is a broker's admin HTTP endpoint: /healthz, /stats,
// /metrics and /events. It is how a broker running as a separate process or
// in a container reports to the harness, so that scenario assertions read
// the same typed event stream whether a node runs in-process or not.
//
// The package does not import package broker: the broker (or the CLI)
// hands it what it needs through small interfaces (StatsSource, Health) and
// feeds it events through the Hub and Metrics sinks, which keeps the
// dependency arrows pointing one way and lets the endpoint be tested
// without a broker.
//
// Wiring, roughly:
//
//	hub, m := admin.NewHub(0), admin.NewMetrics(name)
//	opts.Events = admin.Tee(hub, m, recorder) // the broker's events.Sink
//	srv, err := admin.New(admin.Options{Addr: "127.0.0.1:0", Node: name,
//		Stats: admin.StatsFunc(func() any { return b.Stats() }),
//		Health: admin.HealthFunc(healthy), Hub: hub, Metrics: m})
//	err = srv.Start() // then print srv.Addr() in the ready line
//
// /events serves JSON lines, one events.Event per line with an extra "seq"
// field: the event's index in the node's stream (0 for the first event the
// Hub saw). A reader that has seen seq k resumes with ?since=k+1 and sees
// nothing twice; a jump in seq means the Hub's ring no longer held the
// events in between.
package admin
