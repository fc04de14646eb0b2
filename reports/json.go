package reports

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes r as indented JSON. It is the lossless form of the
// report: every field, the full event logs, durations in nanoseconds (keys
// ending in _ns). Reading it back with encoding/json gives r again, except
// that bytes which are not valid UTF-8 come back as U+FFFD.
func WriteJSON(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("reports: write json: nil report")
	}
	if err := writeJSON(w, r); err != nil {
		return fmt.Errorf("reports: write json: %w", err)
	}
	return nil
}

// writeJSON indents with two spaces and leaves <, > and & alone: the
// default HTML escaping would turn every "server-a->hub" into
// "server-a-\u003ehub", and nobody embeds this file in a web page raw.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
