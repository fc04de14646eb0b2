package selector

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// H is a message's headers.
type H map[string]string

func (h H) get(name string) (string, bool) {
	v, ok := h[name]
	return v, ok
}

func mustParse(t testing.TB, s string) *Selector {
	t.Helper()
	sel, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return sel
}

// triOf returns "TRUE", "FALSE" or "UNKNOWN": what the selector evaluates
// to, told apart through the public API by matching it and its negation.
func triOf(t *testing.T, s string, h H) string {
	t.Helper()
	pos, neg := mustParse(t, s).Match(h.get), mustParse(t, "NOT ("+s+")").Match(h.get)
	switch {
	case pos && neg:
		t.Fatalf("%q and its negation both match %v", s, h)
	case pos:
		return "TRUE"
	case neg:
		return "FALSE"
	}
	return "UNKNOWN"
}

func TestMatch(t *testing.T) {
	tests := []struct {
		sel  string
		h    H
		want bool
	}{
		// = <> < <= > >= on strings and numbers
		{"region = 'eu'", H{"region": "eu"}, true},
		{"region = 'eu'", H{"region": "us"}, false},
		{"region = 'eu'", H{"region": "EU"}, false}, // strings are case-sensitive
		{"region <> 'eu'", H{"region": "us"}, true},
		{"region <> 'eu'", H{}, false}, // NULL <> x is UNKNOWN
		{"region = 'eu'", H{}, false},
		{"priority > 4", H{"priority": "5"}, true},
		{"priority > 4", H{"priority": "4"}, false},
		{"priority >= 4", H{"priority": "4"}, true},
		{"priority < 4", H{"priority": "3"}, true},
		{"priority <= 4", H{"priority": "4.0"}, true},
		{"priority <= 4", H{"priority": "4.5"}, false},
		{"name = 'O''Brien'", H{"name": "O'Brien"}, true},
		{"x = ''", H{"x": ""}, true},
		{"5 = 5.0", nil, true},
		{"'a' = 'a'", nil, true},

		// typing: a header takes the type of the other operand
		{"priority = 4", H{"priority": "4.0"}, true},    // numeric: 4.0 = 4
		{"priority = '4'", H{"priority": "4.0"}, false}, // string: '4.0' <> '4'
		{"priority = '4'", H{"priority": "4"}, true},
		{"priority > 4", H{"priority": "high"}, false},    // unlike types: FALSE
		{"NOT priority > 4", H{"priority": "high"}, true}, // ... not UNKNOWN
		{"NOT priority > 4", H{}, false},                  // NULL: UNKNOWN
		{"price > 9.99", H{"price": "10"}, true},          // exact header vs approximate literal
		{"price > 2e3", H{"price": "2001"}, true},         //
		{"price > 2E3", H{"price": "1999.5"}, false},      //
		{"price = 2000", H{"price": "2e3"}, true},         // approximate header vs exact literal
		{"price = 1", H{"price": "+1"}, true},             //
		{"price = 1", H{"price": " 1"}, false},            // blanks make it not a number
		{"price = 10", H{"price": "0x0A"}, false},         // headers are decimal
		{"price = 10", H{"price": "010"}, true},           // ... even with a leading 0
		{"price > 0", H{"price": "1e999"}, false},         // out of range: not a number
		{"price > 0", H{"price": "Infinity"}, false},      // nor is Java's spelling
		{"NOT price = 0", H{"price": "NaN"}, true},        // unlike types: FALSE, negated
		{"a / b <> a / b", H{"a": "0", "b": "0.0"}, true}, // NaN equals nothing
		{"a / b = a / b", H{"a": "0", "b": "0.0"}, false},
		{"temp < -4", H{"temp": "-5"}, true}, //
		{"temp = -4", H{"temp": "-4"}, true}, //
		{"x = 010", H{"x": "8"}, true},       // octal literal, as in Java
		{"x = 0x1F", H{"x": "31"}, true},     // hex literal
		{"x = 5L", H{"x": "5"}, true},        // long suffix
		{"x = -9223372036854775808", H{"x": "-9223372036854775808"}, true},
		{"x > 9223372036854775807", H{"x": "9300000000000000000"}, true}, // huge header: approximate
		{"a = b", H{"a": "1.0", "b": "1"}, false},                        // two headers: strings
		{"a = b", H{"a": "x", "b": "x"}, true},
		{"a < b", H{"a": "abc", "b": "abd"}, true}, // ActiveMQ orders string properties
		{"a >= b", H{"a": "b", "b": "abc"}, true},
		{"a > b", H{"a": "10", "b": "9"}, false},    // as strings, even when both look numeric
		{"a + 0 > b", H{"a": "10", "b": "9"}, true}, // make one side numeric to compare numbers
		{"'5' = 5", nil, false},                     // unlike literal types
		{"NOT '5' = 5", nil, true},

		// booleans
		{"flag = TRUE", H{"flag": "true"}, true},
		{"flag = true", H{"flag": "TRUE"}, true},
		{"flag = FALSE", H{"flag": "yes"}, false},
		{"NOT flag = FALSE", H{"flag": "yes"}, true},
		{"flag = 1", H{"flag": "true"}, false},
		{"flag", H{"flag": "true"}, true},
		{"flag", H{"flag": "False"}, false},
		{"NOT flag", H{"flag": "false"}, true},
		{"NOT flag", H{"flag": "maybe"}, true}, // not a boolean: FALSE
		{"NOT flag", H{}, false},               // missing: UNKNOWN
		{"TRUE", nil, true},
		{"FALSE", nil, false},
		{"FALSE OR TRUE", nil, true},
		{"(a = 1) = TRUE", H{"a": "1"}, true},
		{"(a = 1) <> FALSE", H{"a": "1"}, true},

		// arithmetic
		{"a + b = 5", H{"a": "2", "b": "3"}, true},
		{"a - b = -1", H{"a": "2", "b": "3"}, true},
		{"a * b = 6", H{"a": "2", "b": "3"}, true},
		{"a / b = 2", H{"a": "7", "b": "3"}, true},     // integer division truncates
		{"a / b = 2.5", H{"a": "5", "b": "2.0"}, true}, // approximate division
		{"a / 2.0 = 2.5", H{"a": "5"}, true},
		{"a / 0 = 1", H{"a": "5"}, false},
		{"a / 0 IS NULL", H{"a": "5"}, true},
		{"a / 0.0 > 1000", H{"a": "5"}, true}, // +Inf
		{"-a = -3", H{"a": "3"}, true},
		{"-(-a) = 3", H{"a": "3"}, true},
		{"- -a = 3", H{"a": "3"}, true},
		{"+a = 5", H{"a": "05"}, true}, // unary plus makes the header numeric
		{"a = '05'", H{"a": "05"}, true},
		{"1 + 2 * 3 = 7", nil, true},
		{"(1 + 2) * 3 = 9", nil, true},
		{"10 - 2 - 3 = 5", nil, true},
		{"12 / 2 / 3 = 2", nil, true},
		{"-2 * -3 = 6", nil, true},
		{"a + 1 > 2", H{"a": "x"}, false},
		{"NOT (a + 1 > 2)", H{"a": "x"}, false}, // arithmetic on a non-number is NULL
		{"a + 1 IS NULL", H{"a": "x"}, true},
		{"a + 1 = 2", H{}, false},
		{"9223372036854775807 + 1 < 0", nil, true}, // wraps, as Java

		// BETWEEN
		{"age BETWEEN 15 AND 19", H{"age": "15"}, true},
		{"age BETWEEN 15 AND 19", H{"age": "19"}, true},
		{"age BETWEEN 15 AND 19", H{"age": "20"}, false},
		{"age BETWEEN 15 AND 19", H{"age": "14.9"}, false},
		{"age BETWEEN 15 AND 19", H{}, false},
		{"age NOT BETWEEN 15 AND 19", H{"age": "20"}, true},
		{"age NOT BETWEEN 15 AND 19", H{"age": "17"}, false},
		{"age NOT BETWEEN 15 AND 19", H{}, false},
		{"age NOT BETWEEN 15 AND 19", H{"age": "x"}, false}, // x < 15 OR x > 19: FALSE
		{"NOT age BETWEEN 15 AND 19", H{"age": "x"}, true},  // NOT (FALSE AND FALSE)
		{"age BETWEEN lo AND 19", H{"age": "5"}, false},
		{"age NOT BETWEEN lo AND 19", H{"age": "25"}, true}, // UNKNOWN OR TRUE
		{"age BETWEEN 1 + 1 AND 2 * 2 AND b = 2", H{"age": "3", "b": "2"}, true},
		{"age BETWEEN -1 AND 1.5", H{"age": "0"}, true},

		// IN
		{"country IN ('UK', 'US', 'France')", H{"country": "UK"}, true},
		{"country IN ('UK', 'US', 'France')", H{"country": "Peru"}, false},
		{"country IN ('UK', 'US', 'France')", H{}, false},
		{"country NOT IN ('UK', 'US')", H{"country": "Peru"}, true},
		{"country NOT IN ('UK', 'US')", H{"country": "UK"}, false},
		{"country NOT IN ('UK', 'US')", H{}, false},
		{"c IN ('a','b','c','d','e','f','g','h','i','j')", H{"c": "j"}, true},
		{"c NOT IN ('a','b','c','d','e','f','g','h','i','j')", H{"c": "k"}, true},
		{"priority IN ('4', '5')", H{"priority": "4"}, true},
		{"c IN ('it''s')", H{"c": "it's"}, true},

		// LIKE
		{"phone LIKE '12%3'", H{"phone": "123"}, true},
		{"phone LIKE '12%3'", H{"phone": "12993"}, true},
		{"phone LIKE '12%3'", H{"phone": "1234"}, false},
		{"word LIKE 'l_se'", H{"word": "lose"}, true},
		{"word LIKE 'l_se'", H{"word": "loose"}, false},
		{"word NOT LIKE 'l_se'", H{"word": "loose"}, true},
		{"word NOT LIKE 'l_se'", H{}, false},
		{"word LIKE 'l_se'", H{"word": "lüse"}, true}, // _ is one character, not one byte
		{`u LIKE '\_%' ESCAPE '\'`, H{"u": "_foo"}, true},
		{`u LIKE '\_%' ESCAPE '\'`, H{"u": "bar"}, false},
		{"x LIKE '100!%' ESCAPE '!'", H{"x": "100%"}, true},
		{"x LIKE '100!%' ESCAPE '!'", H{"x": "1000"}, false},
		{"x LIKE 'a!!b' ESCAPE '!'", H{"x": "a!b"}, true},
		{"x LIKE 'a!b' ESCAPE '!'", H{"x": "ab"}, true}, // escaping a plain character
		{"x LIKE '100%'", H{"x": "100%"}, true},
		{"x LIKE '%'", H{"x": ""}, true},
		{"x LIKE ''", H{"x": ""}, true},
		{"x LIKE ''", H{"x": "a"}, false},
		{"x LIKE 'a%b%c'", H{"x": "aXbYc"}, true},
		{"x LIKE 'a%b%c'", H{"x": "abcb"}, false},
		{"x LIKE '%%%a'", H{"x": "ba"}, true},
		{"x LIKE '%ab'", H{"x": "aab"}, true},
		{"x LIKE '_%_'", H{"x": "a"}, false},
		{"x LIKE 'A%'", H{"x": "abc"}, false}, // case-sensitive
		{"x LIKE 'é_'", H{"x": "éa"}, true},

		// IS NULL
		{"x IS NULL", H{}, true},
		{"x IS NULL", H{"x": ""}, false},
		{"x IS NOT NULL", H{"x": ""}, true},
		{"x IS NOT NULL", H{}, false},
		{"(x = 1) IS NULL", H{}, true}, // UNKNOWN is NULL

		// JMS header aliases
		{"JMSPriority > 4", H{"priority": "9"}, true},
		{"JMSPriority > 4", H{"JMSPriority": "9"}, false}, // alias reads priority
		{"jmspriority > 4", H{"jmspriority": "9"}, true},  // names are case-sensitive: no alias
		{"JMSMessageID = 'ID:1'", H{"message-id": "ID:1"}, true},
		{"JMSCorrelationID = 'c1'", H{"correlation-id": "c1"}, true},
		{"JMSCorrelationID IS NULL", H{}, true},
		{"JMSType = 'car'", H{"type": "car"}, true},
		{"JMSTimestamp > 1000", H{"timestamp": "2000"}, true},
		{"JMSDeliveryMode = 'PERSISTENT'", H{"persistent": "true"}, true},
		{"JMSDeliveryMode = 'PERSISTENT'", H{"persistent": "TRUE"}, true},
		{"JMSDeliveryMode = 'PERSISTENT'", H{}, false},
		{"JMSDeliveryMode = 'NON_PERSISTENT'", H{}, true},
		{"JMSDeliveryMode = 'NON_PERSISTENT'", H{"persistent": "false"}, true},
		{"JMSDeliveryMode IS NULL", H{}, false},

		// identifiers
		{"x-region = 'eu'", H{"x-region": "eu"}, true},
		{"order.total > 100", H{"order.total": "150"}, true},
		{"a-b = 1", H{"a-b": "1"}, true},
		{"a - b = 1", H{"a": "3", "b": "2"}, true},
		{"a -1 = 2", H{"a": "3"}, true},
		{"$x = 1 AND _y = 2", H{"$x": "1", "_y": "2"}, true},
		{"größe = 'L'", H{"größe": "L"}, true},

		// logic and precedence
		{"a = 1 OR b = 1 AND c = 1", H{"a": "1"}, true}, // AND binds tighter
		{"(a = 1 OR b = 1) AND c = 1", H{"a": "1"}, false},
		{"NOT a = 1 AND b = 1", H{"a": "2", "b": "1"}, true},
		{"NOT NOT a = 1", H{"a": "1"}, true},
		{"a = 1 AND b = 1 AND c = 1", H{"a": "1", "b": "1", "c": "1"}, true},
		{"a = 1 OR b = 1 OR c = 1", H{"c": "1"}, true},
		{"a between 1 and 3 and not b is null or c like 'x'", H{"a": "2", "b": "0"}, true},

		// no selector
		{"", H{}, true},
		{"  \t\n", H{}, true},
	}
	for _, tt := range tests {
		sel, err := Parse(tt.sel)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.sel, err)
			continue
		}
		if got := sel.Match(tt.h.get); got != tt.want {
			t.Errorf("Parse(%q).Match(%v) = %v, want %v", tt.sel, tt.h, got, tt.want)
		}
		// The canonical form selects the same messages.
		again, err := Parse(sel.String())
		if err != nil {
			t.Errorf("Parse(%q) (String of %q): %v", sel.String(), tt.sel, err)
			continue
		}
		if got := again.Match(tt.h.get); got != tt.want {
			t.Errorf("Parse(%q).Match(%v) = %v, want %v (String of %q)", sel.String(), tt.h, got, tt.want, tt.sel)
		}
	}
}

// TestThreeValuedLogic checks AND, OR and NOT against the SQL truth tables,
// with TRUE, FALSE and UNKNOWN operands.
func TestThreeValuedLogic(t *testing.T) {
	h := H{"t": "1", "f": "2"} // u is missing
	operand := map[string]string{"TRUE": "t = 1", "FALSE": "f = 1", "UNKNOWN": "u = 1"}
	tests := []struct{ a, op, b, want string }{
		{"TRUE", "AND", "TRUE", "TRUE"},
		{"TRUE", "AND", "FALSE", "FALSE"},
		{"TRUE", "AND", "UNKNOWN", "UNKNOWN"},
		{"FALSE", "AND", "TRUE", "FALSE"},
		{"FALSE", "AND", "FALSE", "FALSE"},
		{"FALSE", "AND", "UNKNOWN", "FALSE"},
		{"UNKNOWN", "AND", "TRUE", "UNKNOWN"},
		{"UNKNOWN", "AND", "FALSE", "FALSE"},
		{"UNKNOWN", "AND", "UNKNOWN", "UNKNOWN"},
		{"TRUE", "OR", "TRUE", "TRUE"},
		{"TRUE", "OR", "FALSE", "TRUE"},
		{"TRUE", "OR", "UNKNOWN", "TRUE"},
		{"FALSE", "OR", "TRUE", "TRUE"},
		{"FALSE", "OR", "FALSE", "FALSE"},
		{"FALSE", "OR", "UNKNOWN", "UNKNOWN"},
		{"UNKNOWN", "OR", "TRUE", "TRUE"},
		{"UNKNOWN", "OR", "FALSE", "UNKNOWN"},
		{"UNKNOWN", "OR", "UNKNOWN", "UNKNOWN"},
		{"", "NOT", "TRUE", "FALSE"},
		{"", "NOT", "FALSE", "TRUE"},
		{"", "NOT", "UNKNOWN", "UNKNOWN"},
	}
	for _, tt := range tests {
		var s string
		if tt.op == "NOT" {
			s = "NOT " + operand[tt.b]
		} else {
			s = operand[tt.a] + " " + tt.op + " " + operand[tt.b]
		}
		if got := triOf(t, s, h); got != tt.want {
			t.Errorf("%s %s %s: %q is %s, want %s", tt.a, tt.op, tt.b, s, got, tt.want)
		}
		// Also through the evaluator directly, for the n-ary chains.
		if got := truth(mustParse(t, s).root.eval(h.get)); got.value() != map[string]tri{"TRUE": isTrue, "FALSE": isFalse, "UNKNOWN": isUnknown}[tt.want].value() {
			t.Errorf("eval(%q) = %v, want %s", s, got, tt.want)
		}
	}
	// Long chains agree with folding the tables left to right.
	if got := triOf(t, "t = 1 AND u = 1 AND f = 1", h); got != "FALSE" {
		t.Errorf("TRUE AND UNKNOWN AND FALSE is %s, want FALSE", got)
	}
	if got := triOf(t, "f = 1 OR u = 1 OR f = 1", h); got != "UNKNOWN" {
		t.Errorf("FALSE OR UNKNOWN OR FALSE is %s, want UNKNOWN", got)
	}
}

// TestUnknownVersusFalse pins down where comparisons give UNKNOWN (NULL
// operand) and where FALSE (unlike types).
func TestUnknownVersusFalse(t *testing.T) {
	tests := []struct {
		sel  string
		h    H
		want string
	}{
		{"x = 1", H{}, "UNKNOWN"},
		{"x = 1", H{"x": "one"}, "FALSE"},
		{"x = 'a'", H{}, "UNKNOWN"},
		{"x = TRUE", H{"x": "1"}, "FALSE"},
		{"x + 1 = 2", H{"x": "one"}, "UNKNOWN"},
		{"x LIKE 'a%'", H{}, "UNKNOWN"},
		{"x NOT LIKE 'a%'", H{}, "UNKNOWN"},
		{"x IN ('a')", H{}, "UNKNOWN"},
		{"x NOT IN ('a')", H{}, "UNKNOWN"},
		{"x BETWEEN 1 AND 2", H{}, "UNKNOWN"},
		{"x BETWEEN 1 AND 2", H{"x": "one"}, "FALSE"},
		{"x BETWEEN y AND 2", H{"x": "1"}, "UNKNOWN"},
		{"x BETWEEN y AND 2", H{"x": "3"}, "FALSE"},
		{"x IS NULL", H{}, "TRUE"},
		{"x", H{}, "UNKNOWN"},
		{"x", H{"x": "1"}, "FALSE"},
		{"x = y", H{"x": "1"}, "UNKNOWN"},
	}
	for _, tt := range tests {
		if got := triOf(t, tt.sel, tt.h); got != tt.want {
			t.Errorf("%q with %v is %s, want %s", tt.sel, tt.h, got, tt.want)
		}
	}
}

func TestSyntaxErrors(t *testing.T) {
	tests := []struct {
		sel string
		pos int
		msg string
	}{
		{"region = ", 9, "unexpected end of input, expected an expression"},
		{"region = 'eu", 9, "unterminated string literal"},
		{"a = 1 b = 2", 6, "unexpected identifier b, expected AND, OR or end of input"},
		{"(a = 1", 6, "expected ')' to close the '(' at column 1, found end of input"},
		{"a = 1)", 5, "unexpected ')' with no matching '('"},
		{"a == 1", 3, "unexpected '=', expected an expression"},
		{"a != 1", 2, "use <> for not-equal"},
		{`a = "x"`, 4, "string literals use single quotes"},
		{"a # 1", 2, "unexpected character '#'"},
		{"a = 1 = 2", 6, "comparisons cannot be chained"},
		{"a < b IS NULL", 6, "comparisons cannot be chained"},
		{"a IN (1, 2)", 6, "expected a string literal in the IN list, found number 1"},
		{"a IN ()", 6, "expected a string literal in the IN list, found ')'"},
		{"a IN 'x'", 5, "expected '(' after IN"},
		{"a IN ('x' 'y')", 10, "expected ',' or ')' in the IN list, found string 'y'"},
		{"a LIKE b", 7, "expected a string literal pattern after LIKE, found identifier b"},
		{"a LIKE 'x' ESCAPE 'ab'", 18, "the ESCAPE string must be a single character, found 'ab'"},
		{"a LIKE 'x' ESCAPE ''", 18, "the ESCAPE string must be a single character"},
		{"a LIKE 'x!' ESCAPE '!'", 7, "the ESCAPE character ends the pattern"},
		{"a LIKE 'x' ESCAPE", 17, "expected a string literal after ESCAPE, found end of input"},
		{"a BETWEEN 1 OR 2", 12, "expected AND between the bounds of BETWEEN, found keyword OR"},
		{"a NOT 5", 6, "expected BETWEEN, IN or LIKE after NOT, found number 5"},
		{"a IS 5", 5, "expected NULL or NOT NULL after IS, found number 5"},
		{"a = NULL", 4, "keyword NULL may only appear in IS NULL or IS NOT NULL"},
		{"a = 1 AND", 9, "unexpected end of input"},
		{"AND a = 1", 0, "unexpected keyword AND, expected an expression"},
		{"a.-b = 1", 1, "unexpected character '.'"},
		// static types
		{"5", 0, "a selector must be a condition, found number 5"},
		{"'eu'", 0, "a selector must be a condition, found string 'eu'"},
		{"a + 1", 0, "a selector must be a condition, found a numeric expression"},
		{"1 AND a", 0, "operand of AND must be a condition, found number 1"},
		{"a OR 'x'", 5, "operand of OR must be a condition, found string 'x'"},
		{"NOT 5", 4, "operand of NOT must be a condition, found number 5"},
		{"'a' + 1 = 2", 0, "operand of '+' must be numeric, found string 'a'"},
		{"a + TRUE = 2", 4, "operand of '+' must be numeric, found boolean TRUE"},
		{"a * (b = 1) = 2", 4, "operand of '*' must be numeric, found a condition"},
		{"-'a' = 1", 1, "operand of unary '-' must be numeric"},
		{"5 LIKE 'x'", 0, "operand of LIKE must be a string, found number 5"},
		{"a + 1 IN ('2')", 0, "operand of IN must be a string, found a numeric expression"},
		{"a BETWEEN 'a' AND 'c'", 10, "lower bound of BETWEEN must be numeric"},
		{"a BETWEEN 1 AND 'c'", 16, "upper bound of BETWEEN must be numeric"},
		{"name > 'm'", 7, "operand of '>' must be numeric, found string 'm' (strings and booleans compare only with = and <>)"},
		{"'m' <= name", 0, "operand of '<=' must be numeric, found string 'm'"},
		{"TRUE > FALSE", 0, "operand of '>' must be numeric, found boolean TRUE"},
		{"a < (b = 1)", 4, "operand of '<' must be numeric, found a condition"},
		{"JMSDeliveryMode < 'x'", 0, "operand of '<' must be numeric, found a string"},
		{"JMSDeliveryMode + 1 = 2", 0, "operand of '+' must be numeric, found a string"},
		// numbers
		{"a = 1.5.3", 4, `malformed number "1.5.3"`},
		{"2e = a", 0, "expected digits in exponent"},
		{"a = 08", 4, "octal literal with digits 8 or 9"},
		{"0x = a", 0, "expected hex digits after 0x"},
		{"5abc = a", 0, "unexpected character after number"},
		{"a = 1.5L", 4, "unexpected character after number"},
		{"a = 9223372036854775808", 4, "integer 9223372036854775808 out of range"},
		{"a = 1e999", 4, "number 1e999 out of range"},
		{"a = -1e999", 5, "number -1e999 out of range"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.sel)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Parse(%q) = %v, want a *SyntaxError", tt.sel, err)
			continue
		}
		if se.Pos != tt.pos || !strings.Contains(se.Msg, tt.msg) {
			t.Errorf("Parse(%q): at %d: %s\nwant at %d: ...%s...", tt.sel, se.Pos, se.Msg, tt.pos, tt.msg)
		}
		if msg := err.Error(); !strings.HasPrefix(msg, fmt.Sprintf("selector: at column %d: ", tt.pos+1)) {
			t.Errorf("Parse(%q): Error() = %q", tt.sel, msg)
		}
	}
}

func TestErrorText(t *testing.T) {
	_, err := Parse("region = ")
	want := `selector: at column 10: unexpected end of input, expected an expression (in "region = ")`
	if err == nil || err.Error() != want {
		t.Errorf("Error() = %v\nwant      %s", err, want)
	}
	long := "a = 1 AND " + strings.Repeat("b = 2 AND ", 20) + "c = = 3"
	_, err = Parse(long)
	if err == nil || !strings.Contains(err.Error(), `(in "...`) || !strings.HasSuffix(err.Error(), `c = = 3")`) {
		t.Errorf("long selector: Error() = %v, want an excerpt around the error", err)
	}
	// A SyntaxError made by hand has no input to quote.
	if got := (&SyntaxError{Pos: 0, Msg: "boom"}).Error(); got != "selector: at column 1: boom" {
		t.Errorf("Error() = %q", got)
	}
}

func TestLimits(t *testing.T) {
	// Length.
	ok := "a = '" + strings.Repeat("x", MaxLength-6) + "'"
	if len(ok) != MaxLength {
		t.Fatal(len(ok))
	}
	mustParse(t, ok)
	_, err := Parse(ok + " ")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Pos != MaxLength || !strings.Contains(se.Msg, "too long: 4097 bytes (limit 4096)") {
		t.Errorf("Parse(4097 bytes) = %v", err)
	}

	// Nesting of parentheses, NOT and signs.
	nest := func(open, close string, n int) string {
		return strings.Repeat(open, n) + "a = 1" + strings.Repeat(close, n)
	}
	for _, tt := range []struct {
		name, open, close string
		pos               func(n int) int
	}{
		{"parentheses", "(", ")", func(n int) int { return n }},
		{"NOT", "NOT ", "", func(n int) int { return 4 * n }},
	} {
		mustParse(t, nest(tt.open, tt.close, MaxDepth))
		for _, n := range []int{MaxDepth + 1, 1000} {
			_, err := Parse(nest(tt.open, tt.close, n))
			if !errors.As(err, &se) || se.Pos != tt.pos(MaxDepth) || !strings.Contains(se.Msg, "nested too deeply") {
				t.Errorf("%s nested %d deep: %v", tt.name, n, err)
			}
		}
	}
	mustParse(t, strings.Repeat("-", MaxDepth)+"a = 1")
	if _, err := Parse(strings.Repeat("-", MaxDepth+1) + "a = 1"); !errors.As(err, &se) || !strings.Contains(se.Msg, "nested too deeply") {
		t.Errorf("signs nested %d deep: %v", MaxDepth+1, err)
	}
	// Mixed nesting counts together.
	if _, err := Parse(strings.Repeat("NOT (", 33) + "a = 1" + strings.Repeat(")", 33)); err == nil {
		t.Error("NOT ( nested 33 deep (66 levels) parsed")
	}
	// Long flat chains are not nesting.
	and := "a = 1" + strings.Repeat(" AND a = 1", 400)
	if !mustParse(t, and).Match(H{"a": "1"}.get) {
		t.Error("long AND chain did not match")
	}
	sum := "1" + strings.Repeat(" + 1", 1000) + " = 1001"
	if !mustParse(t, sum).Match(nil) {
		t.Error("long sum did not match")
	}
	// Parentheses up to the length limit: an error, not a stack overflow.
	if _, err := Parse(strings.Repeat("(", MaxLength)); err == nil {
		t.Error("4096 '(' parsed")
	}
}

func TestString(t *testing.T) {
	tests := []struct{ in, want string }{
		{"region='eu' and priority>4", "region = 'eu' AND priority > 4"},
		{"a = 1 or (b = 2 and c = 3)", "a = 1 OR b = 2 AND c = 3"},
		{"(a = 1 or b = 2) and c = 3", "(a = 1 OR b = 2) AND c = 3"},
		{"a = 1 or (b = 2 or c = 3)", "a = 1 OR (b = 2 OR c = 3)"},
		{"not (a = 1)", "NOT a = 1"},
		{"not (a = 1 and b = 2)", "NOT (a = 1 AND b = 2)"},
		{"(1 + 2) * 3 = a", "(1 + 2) * 3 = a"},
		{"a - (b - c) = 0", "a - (b - c) = 0"},
		{"(a - b) - c = 0", "a - b - c = 0"},
		{"a / (b * c) = 0", "a / (b * c) = 0"},
		{"x = 1.50", "x = 1.5"},
		{"x = 1e3", "x = 1000.0"},
		{"x = 1e300", "x = 1e+300"},
		{"x = 010", "x = 8"},
		{"x = 0xffL", "x = 255"},
		{"x = .5", "x = 0.5"},
		{"x = - 5", "x = -5"},
		{"x = -(5)", "x = -5"},
		{"-(a) = 1", "-a = 1"},
		{"-(-a) = 1", "--a = 1"},
		{"a - -5 = 1", "a - -5 = 1"},
		{"x like 'a''b%' escape '!'", "x LIKE 'a''b%' ESCAPE '!'"},
		{"x not like 'a'", "x NOT LIKE 'a'"},
		{"x not in ('a','b')", "x NOT IN ('a', 'b')"},
		{"x is not null", "x IS NOT NULL"},
		{"x not between 1 and 2+3", "x NOT BETWEEN 1 AND 2 + 3"},
		{"(a = 1) = true", "(a = 1) = TRUE"},
		{"(a = 1) is null", "(a = 1) IS NULL"},
		{"flag", "flag"},
		{"JMSPriority>4", "JMSPriority > 4"},
		{"x-region='eu'", "x-region = 'eu'"},
		{"", ""},
	}
	for _, tt := range tests {
		got := mustParse(t, tt.in).String()
		if got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if again := mustParse(t, got).String(); again != got {
			t.Errorf("String is not stable: %q -> %q", got, again)
		}
	}
}

func TestNilSelector(t *testing.T) {
	var s *Selector
	if !s.Match(H{}.get) || s.String() != "" {
		t.Error("nil selector should match everything and print as empty")
	}
	if !mustParse(t, "x IS NULL").Match(nil) {
		t.Error("nil get should mean no headers")
	}
}

func TestLikeMatcher(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"", "", true},
		{"%", "anything", true},
		{"a%", "a", true},
		{"%a", "bba", true},
		{"%a%", "xxaxx", true},
		{"%a%", "xxxx", false},
		{"a_c", "abc", true},
		{"a_c", "ac", false},
		{"%abc", "ababc", true},
		{"%ab%cd", "xabycdcd", true},
		{"%ab%cd", "xabycdc", false},
		{"_%_", "ab", true},
		{"___", "日本語", true},
		{"%" + strings.Repeat("a%", 20) + "b", strings.Repeat("a", 200), false},
	}
	for _, tt := range tests {
		m, msg := compileLike(tt.pattern, "")
		if msg != "" {
			t.Fatalf("compileLike(%q): %s", tt.pattern, msg)
		}
		if got := m.match(tt.s); got != tt.want {
			t.Errorf("%q LIKE %q = %v, want %v", tt.s, tt.pattern, got, tt.want)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	sel := mustParse(b, "region = 'eu' AND priority > 4")
	h := H{
		"destination":    "/queue/orders",
		"message-id":     "ID:broker-1:42",
		"content-type":   "application/json",
		"content-length": "321",
		"region":         "eu",
		"priority":       "7",
	}
	get := h.get
	if !sel.Match(get) {
		b.Fatal("no match")
	}
	b.ReportAllocs()
	for b.Loop() {
		sel.Match(get)
	}
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("region = 'eu' AND priority > 4"); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCompareFastPath checks that header-versus-literal comparisons, which
// cmpNode evaluates without dynamic calls, agree with the general path.
func TestCompareFastPath(t *testing.T) {
	lits := []string{"4", "4.0", "-1e3", "'eu'", "'7'", "TRUE", "FALSE"}
	ops := []string{"=", "<>", "<", "<=", ">", ">="}
	values := []H{{}, {"x": "7"}, {"x": "4"}, {"x": "eu"}, {"x": "true"}, {"x": "4.0"}, {"x": ""}}
	for _, lit := range lits {
		for _, op := range ops {
			for _, s := range []string{"x " + op + " " + lit, lit + " " + op + " x"} {
				sel, err := Parse(s)
				if err != nil {
					continue // < on a string literal, say
				}
				n := sel.root.(*cmpNode)
				if n.hdr != "x" {
					t.Fatalf("%q: no fast path", s)
				}
				slow := *n
				slow.hdr = ""
				for _, h := range values {
					if a, b := n.eval(h.get), slow.eval(h.get); a != b {
						t.Errorf("%q with %v: fast path %+v, general path %+v", s, h, a, b)
					}
				}
			}
		}
	}
}
