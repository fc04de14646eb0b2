package topology

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics, that every failure is a
// non-empty ErrorList, and that whatever it accepts also passes Validate
// and survives Clone. Seeds live in testdata/fuzz/FuzzParse; run it with
// go test ./topology -run '^$' -fuzz FuzzParse -fuzztime 20s
func FuzzParse(f *testing.F) {
	f.Add([]byte(tutorial))
	f.Add([]byte(threeMistakes))
	for _, name := range Examples() {
		data, err := examplesFS.ReadFile("examples/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		spec, err := Parse("fuzz.yaml", data)
		if err != nil {
			var list ErrorList
			if !errors.As(err, &list) || len(list) == 0 {
				t.Fatalf("error is %T %q, want a non-empty ErrorList", err, err)
			}
			for _, e := range list {
				if e == nil || e.Msg == "" {
					t.Fatalf("empty error in %q", err)
				}
			}
			if spec != nil {
				t.Fatalf("spec returned with an error")
			}
			return
		}
		if err := spec.Validate(); err != nil {
			t.Fatalf("Parse accepted a spec that Validate refuses: %v", err)
		}
		if c := spec.Clone(); !reflect.DeepEqual(c, spec) {
			t.Fatalf("Clone differs from the original")
		}
	})
}
