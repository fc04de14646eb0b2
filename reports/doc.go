// Package reports turns the results of a brokerlab run into what people and
// CI read. Results are plain data (Report, Scenario, Step, Delivery,
// BenchResult); renderers are pure functions of that data, deterministic,
// and golden-tested:
//
//	scenario runner ──fills──▶ Report (data)
//	                              │
//	          ┌──────────────┬────┴─────────┬────────────────┐
//	          ▼              ▼              ▼                ▼
//	     WriteJUnit      WriteJSON     WriteMarkdown      Console
//	     (CI tests)     (lossless)    (job summary)   (live progress)
//
//	bench runner ──▶ []BenchResult ──▶ WriteBenchTable, WriteBenchJSON
//
// The package imports only the standard library and nothing from the rest
// of brokerlab, so that a report can be rendered (or re-rendered from its
// JSON) without the harness, and the harness's types can change without
// breaking report formats that CI systems depend on.
//
// Text from the run (event lines, peer error messages) can hold anything;
// every renderer but JSON turns control characters and invalid UTF-8 into
// visible \xNN escapes, so the XML stays valid and terminals stay sane.
package reports
