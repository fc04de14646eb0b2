package security

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
)

// fixed is a module whose outcome the test decides.
type fixed struct {
	ok    bool
	user  string
	group string
}

func (f fixed) Login(ConnView) (*Principal, error) {
	if !f.ok {
		return nil, errors.New("refused")
	}
	return &Principal{User: f.user, Groups: []string{f.group}}, nil
}

// stackOf builds a stack from "flag:outcome" words, modules named m0, m1, …
func stackOf(t *testing.T, spec string) Stack {
	t.Helper()
	var s Stack
	for i, w := range strings.Fields(spec) {
		flag, outcome, _ := strings.Cut(w, ":")
		f, err := ParseFlag(flag)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("m%d", i)
		s = append(s, StackEntry{Name: name, Flag: f, Module: fixed{ok: outcome == "ok", user: "u" + name, group: "g" + name}})
	}
	return s
}

// The JAAS rules, case by case, as javax.security.auth.login.Configuration
// documents them and LoginContext implements them: which modules run, the
// overall outcome, whose error is reported, whose principals commit.
func TestStackTruthTable(t *testing.T) {
	for _, tt := range []struct {
		stack  string
		ok     bool
		called string // modules invoked, in order
		err    string // module whose error is reported ("" when ok)
		user   string
		groups string
	}{
		// One module of each flag, succeeding and failing.
		{"required:ok", true, "m0", "", "um0", "gm0"},
		{"required:fail", false, "m0", "m0", "", ""},
		{"requisite:ok", true, "m0", "", "um0", "gm0"},
		{"requisite:fail", false, "m0", "m0", "", ""},
		{"sufficient:ok", true, "m0", "", "um0", "gm0"},
		{"sufficient:fail", false, "m0", "m0", "", ""},
		{"optional:ok", true, "m0", "", "um0", "gm0"},
		{"optional:fail", false, "m0", "m0", "", ""},
		// Required: the stack goes on after a failure, and the failure decides.
		{"required:fail required:ok", false, "m0 m1", "m0", "", ""},
		{"required:fail required:fail", false, "m0 m1", "m0", "", ""},
		{"required:ok required:fail", false, "m0 m1", "m1", "", ""},
		{"required:ok required:ok", true, "m0 m1", "", "um0", "gm0 gm1"},
		// Requisite: a failure stops the stack at once.
		{"requisite:fail required:ok", false, "m0", "m0", "", ""},
		{"requisite:fail sufficient:ok", false, "m0", "m0", "", ""},
		{"requisite:ok required:ok", true, "m0 m1", "", "um0", "gm0 gm1"},
		// …reporting an earlier required failure rather than its own.
		{"required:fail requisite:fail optional:ok", false, "m0 m1", "m0", "", ""},
		// Sufficient: a success ends the stack…
		{"sufficient:ok required:fail", true, "m0", "", "um0", "gm0"},
		{"sufficient:ok requisite:fail", true, "m0", "", "um0", "gm0"},
		{"required:ok sufficient:ok required:fail", true, "m0 m1", "", "um0", "gm0 gm1"},
		// …unless a required module already failed: then it goes on and fails.
		{"required:fail sufficient:ok optional:ok", false, "m0 m1 m2", "m0", "", ""},
		// A sufficient failure is not fatal.
		{"sufficient:fail required:ok", true, "m0 m1", "", "um1", "gm1"},
		{"sufficient:fail sufficient:ok", true, "m0 m1", "", "um1", "gm1"},
		{"sufficient:fail sufficient:fail", false, "m0 m1", "m0", "", ""},
		{"sufficient:fail required:fail", false, "m0 m1", "m1", "", ""},
		// Optional: never fatal, but with no required or requisite module
		// at least one module must succeed.
		{"optional:fail optional:fail", false, "m0 m1", "m0", "", ""},
		{"optional:fail optional:ok", true, "m0 m1", "", "um1", "gm1"},
		{"required:ok optional:fail", true, "m0 m1", "", "um0", "gm0"},
		{"optional:ok required:fail", false, "m0 m1", "m1", "", ""},
		{"optional:ok sufficient:fail", true, "m0 m1", "", "um0", "gm0"},
		// The classic fallbacks: certificate, else password; location, else password.
		{"sufficient:fail required:ok optional:fail", true, "m0 m1 m2", "", "um1", "gm1"},
		{"sufficient:ok required:ok optional:ok", true, "m0", "", "um0", "gm0"},
		// An empty stack proves nothing.
		{"", false, "", "-", "", ""},
	} {
		t.Run(strings.ReplaceAll(tt.stack, " ", ","), func(t *testing.T) {
			res := stackOf(t, tt.stack).Login(ConnView{})
			if got := strings.Join(res.Called, " "); got != tt.called {
				t.Errorf("called %q, want %q", got, tt.called)
			}
			if (res.Err == nil) != tt.ok || (res.Principal != nil) != tt.ok {
				t.Fatalf("ok: err %v principal %v, want ok=%v", res.Err, res.Principal, tt.ok)
			}
			if !tt.ok {
				var me *ModuleError
				switch {
				case tt.err == "-":
					if !errors.Is(res.Err, errAllIgnored) {
						t.Errorf("err %v, want all ignored", res.Err)
					}
				case !errors.As(res.Err, &me) || me.Module != tt.err:
					t.Errorf("err %v, want %s's", res.Err, tt.err)
				}
				return
			}
			if res.Principal.User != tt.user || strings.Join(res.Principal.Groups, " ") != tt.groups {
				t.Errorf("principal %+v, want %s %s", res.Principal, tt.user, tt.groups)
			}
		})
	}
}

// Every stack of up to three modules, every flag and outcome, against the
// rules as the JAAS documentation states them (not as Login computes them).
func TestStackExhaustive(t *testing.T) {
	words := []string{}
	for _, f := range Flags() {
		words = append(words, string(f)+":ok", string(f)+":fail")
	}
	var stacks [][]string
	for _, a := range words {
		stacks = append(stacks, []string{a})
		for _, b := range words {
			stacks = append(stacks, []string{a, b})
			for _, c := range words {
				stacks = append(stacks, []string{a, b, c})
			}
		}
	}
	for _, st := range stacks {
		spec := strings.Join(st, " ")
		res := stackOf(t, spec).Login(ConnView{})
		n := len(res.Called)
		flag := func(i int) string { f, _, _ := strings.Cut(st[i], ":"); return f }
		good := func(i int) bool { return strings.HasSuffix(st[i], ":ok") }
		requiredFailedBefore := func(i int) bool {
			for j := 0; j < i; j++ {
				if flag(j) == "required" && !good(j) {
					return true
				}
			}
			return false
		}
		// Where the stack must stop: the first requisite failure, or the
		// first sufficient success with no required failure before it.
		stop := len(st)
		for i := range st {
			if (flag(i) == "requisite" && !good(i)) || (flag(i) == "sufficient" && good(i) && !requiredFailedBefore(i)) {
				stop = i + 1
				break
			}
		}
		if n != stop {
			t.Errorf("%s: called %d modules, JAAS calls %d", spec, n, stop)
			continue
		}
		// Overall: every invoked required/requisite succeeded, and some
		// invoked module succeeded.
		want, any := true, false
		for i := 0; i < n; i++ {
			if (flag(i) == "required" || flag(i) == "requisite") && !good(i) {
				want = false
			}
			any = any || good(i)
		}
		want = want && any
		if (res.Err == nil) != want {
			t.Errorf("%s: ok=%v, JAAS says %v (%v)", spec, res.Err == nil, want, res.Err)
		}
		if want {
			// Commit: every successful invoked module's groups.
			var groups []string
			for i := 0; i < n; i++ {
				if good(i) {
					groups = append(groups, fmt.Sprintf("gm%d", i))
				}
			}
			if !slices.Equal(res.Principal.Groups, groups) {
				t.Errorf("%s: groups %v, want %v", spec, res.Principal.Groups, groups)
			}
		}
	}
	if len(stacks) != 8+64+512 {
		t.Fatalf("%d stacks", len(stacks))
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2")
	v := ConnView{Login: "u", Passcode: s}
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("x", "secret", s, "view", v)
	j, _ := json.Marshal(v)
	for _, out := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s %q %x", s, v, v, s, s, s), buf.String(), string(j)} {
		if strings.Contains(out, "hunter2") {
			t.Fatalf("secret printed: %s", out)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal")
	}
}

func TestParseFlag(t *testing.T) {
	for _, f := range Flags() {
		if g, err := ParseFlag(string(f)); err != nil || g != f {
			t.Fatal(f, err)
		}
	}
	if _, err := ParseFlag("Required"); err == nil || !strings.Contains(err.Error(), "requisite") {
		t.Fatalf("err %v", err)
	}
}
