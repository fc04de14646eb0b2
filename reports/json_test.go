package reports

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "json", buf.Bytes())
}

func TestJSONRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJSON(&buf, fixture()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `\u003e`) {
		t.Errorf("JSON escapes > as \\u003e; want server-a->hub readable")
	}
	var got Report
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if want := fixture(); !reflect.DeepEqual(&got, want) {
		t.Errorf("round trip changed the report:\n got %+v\nwant %+v", got, *want)
	}
}
