package topology

import (
	"slices"
	"strings"
	"testing"

	"github.com/brokerlab/brokerlab/broker/network"
)

const networkHub = "name: t\nnodes:\n  hub: {listen: [\"stomp://127.0.0.1:0\"]}\n  a:\n    connect: ["

// backOffMultiplier was missing from topology files ("unknown key"): it is
// read as the connector URI reads it and rendered into the URI.
func TestConnectorBackOffMultiplier(t *testing.T) {
	for src, want := range map[string]float64{
		`{to: hub, backOffMultiplier: 1.5}`:   1.5,
		`{to: hub, backOffMultiplier: 3}`:     3,
		`{to: hub, backOffMultiplier: "100"}`: 100,
		`{to: hub}`:                           0, // the broker's default, 2
	} {
		spec := mustParse(t, networkHub+src+"]\n")
		c := spec.Node("a").Connect[0]
		if c.Network.BackOffMultiplier != want {
			t.Errorf("%s: BackOffMultiplier %v, want %v", src, c.Network.BackOffMultiplier, want)
		}
		// What the file says is what the broker gets.
		q := c.Network.Query()
		cfg, err := network.ParseConnector("static://(tcp://127.0.0.1:1)?" + strings.Join(q, "&"))
		if err != nil {
			t.Fatalf("%s: rendered %v does not parse: %v", src, q, err)
		}
		if want == 0 {
			want = network.DefaultBackOffMultiplier
		}
		if cfg.BackOffMultiplier != want {
			t.Errorf("%s: rendered %v reads as multiplier %v, want %v", src, q, cfg.BackOffMultiplier, want)
		}
		if c.Network.Clone().BackOffMultiplier != c.Network.BackOffMultiplier {
			t.Errorf("%s: Clone lost the multiplier", src)
		}
	}
}

// A non-finite or out-of-range multiplier or jitter ends, in the broker, in
// no wait at all between failed logins; the file is refused with the
// option's name and its range, as the connector URI is.
func TestConnectorBackoffRanges(t *testing.T) {
	const (
		multiplier = `6:28: node "a": connect[0].backOffMultiplier must be a number from 1 to 100, e.g. 2 to double each delay, got `
		jitter     = `6:17: node "a": connect[0].jitter must be a fraction from 0 to below 1, e.g. 0.2 for ±20%, got `
	)
	for src, want := range map[string]string{
		`{to: hub, backOffMultiplier: NaN}`:   multiplier + `the string "NaN"`,
		`{to: hub, backOffMultiplier: .nan}`:  multiplier + `the number .nan`,
		`{to: hub, backOffMultiplier: .inf}`:  multiplier + `the number .inf`,
		`{to: hub, backOffMultiplier: "Inf"}`: multiplier + `the string "Inf"`,
		`{to: hub, backOffMultiplier: 1e12}`:  multiplier + `the number 1e12`,
		`{to: hub, backOffMultiplier: 0.5}`:   multiplier + `the number 0.5`,
		`{to: hub, backOffMultiplier: twice}`: multiplier + `the string "twice"`,
		`{to: hub, backOffMultiplier: [2]}`:   multiplier + `a list`,
		`{to: hub, backOffMultiplier: }`:      multiplier + `null`,
		`{to: hub, jitter: "NaN"}`:            jitter + `the string "NaN"`,
		`{to: hub, jitter: .nan}`:             jitter + `the number .nan`,
		`{to: hub, jitter: "-Inf"}`:           jitter + `the string "-Inf"`,
		`{to: hub, jitter: 1}`:                jitter + `the integer 1`,
	} {
		src := strings.Replace(src, "{to: hub, ", "{to: hub,\n        ", 1)
		got := parseErrors(t, networkHub+src+"]\n")
		if !slices.Equal(got, []string{want}) {
			t.Errorf("%s:\ngot  %q\nwant %q", src, got, want)
		}
	}
}
