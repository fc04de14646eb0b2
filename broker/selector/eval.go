package selector

import (
	"math"
	"strconv"
	"strings"
)

type getter = func(name string) (string, bool)

// kind is the runtime type of a value.
type kind uint8

const (
	kNull  kind = iota // missing header, failed arithmetic, or UNKNOWN condition
	kBool              // literal or condition result
	kInt               // exact numeric
	kFloat             // approximate numeric
	kStr               // string literal (or a derived header such as JMSDeliveryMode)
	kHdr               // header value: a string whose type follows the other operand
)

type value struct {
	k kind
	b bool
	i int64
	f float64
	s string
}

var (
	nullValue  = value{}
	trueValue  = value{k: kBool, b: true}
	falseValue = value{k: kBool}
)

// tri is a three-valued truth value.
type tri uint8

const (
	isFalse tri = iota
	isTrue
	isUnknown
)

func (t tri) value() value {
	switch t {
	case isTrue:
		return trueValue
	case isFalse:
		return falseValue
	}
	return nullValue
}

func boolTri(b bool) tri {
	if b {
		return isTrue
	}
	return isFalse
}

// truth is the truth value of v used as a condition. NULL is UNKNOWN; a
// header is TRUE or FALSE when its value is "true" or "false" (any case),
// and any other value is FALSE, as a comparison of unlike types is.
func truth(v value) tri {
	switch v.k {
	case kBool:
		return boolTri(v.b)
	case kNull:
		return isUnknown
	case kHdr:
		if b, ok := parseBool(v.s); ok {
			return boolTri(b)
		}
	}
	return isFalse
}

func parseBool(s string) (bool, bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parseNumber converts a header value to a number: an optional sign and
// decimal digits (exact, or approximate if beyond 64 bits), or a decimal
// floating-point number with optional fraction and exponent. Anything
// else, including blanks, hex, "NaN" and "Inf", is not a number.
func parseNumber(s string) (value, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		digits++
	}
	if i == len(s) {
		if digits == 0 {
			return value{}, false
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return value{k: kInt, i: n}, true
		}
	} else {
		if s[i] == '.' {
			for i++; i < len(s) && isDigit(s[i]); i++ {
				digits++
			}
		}
		if digits == 0 {
			return value{}, false
		}
		if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
			i++
			if i < len(s) && (s[i] == '+' || s[i] == '-') {
				i++
			}
			e := i
			for i < len(s) && isDigit(s[i]) {
				i++
			}
			if i == e {
				return value{}, false
			}
		}
		if i != len(s) {
			return value{}, false
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && math.IsInf(f, 0) { // out of range; underflow to 0 is fine
		return value{}, false
	}
	return value{k: kFloat, f: f}, true
}

// num converts an arithmetic operand to a number; ok is false for NULL and
// for headers that are not numbers.
func num(v value) (value, bool) {
	switch v.k {
	case kInt, kFloat:
		return v, true
	case kHdr:
		return parseNumber(v.s)
	}
	return v, false
}

func isNum(v value) bool { return v.k == kInt || v.k == kFloat }

func isStr(v value) bool { return v.k == kStr || v.k == kHdr }

func asFloat(v value) float64 {
	if v.k == kInt {
		return float64(v.i)
	}
	return v.f
}

type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var cmpNames = [...]string{opEq: "=", opNe: "<>", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

// compare applies op. NULL on either side gives UNKNOWN. A header takes the
// type of the other side: a number if the other side is numeric and the
// value parses as one, TRUE/FALSE against a boolean, else a string. Like
// types compare (exact and approximate numbers with promotion to
// approximate; strings byte-wise; booleans with = and <>, the parser
// rejects the rest); unlike types give FALSE, as JMS 1.1 and ActiveMQ
// specify.
func compare(op cmpOp, l, r value) tri {
	if l.k == kNull || r.k == kNull {
		return isUnknown
	}
	var ok bool
	if l.k == kHdr && r.k != kHdr {
		if l, ok = coerce(l, r.k); !ok {
			return isFalse
		}
	} else if r.k == kHdr && l.k != kHdr {
		if r, ok = coerce(r, l.k); !ok {
			return isFalse
		}
	}
	var c int
	switch {
	case l.k == kInt && r.k == kInt:
		c = cmp3(l.i < r.i, l.i > r.i)
	case isNum(l) && isNum(r):
		a, b := asFloat(l), asFloat(r)
		if a != a || b != b { // NaN: unordered, equal to nothing
			return boolTri(op == opNe)
		}
		c = cmp3(a < b, a > b)
	case isStr(l) && isStr(r):
		c = strings.Compare(l.s, r.s)
	case l.k == kBool && r.k == kBool:
		c = cmp3(!l.b && r.b, l.b && !r.b)
	default:
		return isFalse
	}
	switch op {
	case opEq:
		return boolTri(c == 0)
	case opNe:
		return boolTri(c != 0)
	case opLt:
		return boolTri(c < 0)
	case opLe:
		return boolTri(c <= 0)
	case opGt:
		return boolTri(c > 0)
	}
	return boolTri(c >= 0)
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

// coerce converts header value h to the type of the other operand.
func coerce(h value, to kind) (value, bool) {
	switch to {
	case kInt, kFloat:
		return parseNumber(h.s)
	case kBool:
		b, ok := parseBool(h.s)
		return value{k: kBool, b: b}, ok
	}
	return h, true // kStr: compare as strings
}

func and3(a, b tri) tri {
	switch {
	case a == isFalse || b == isFalse:
		return isFalse
	case a == isUnknown || b == isUnknown:
		return isUnknown
	}
	return isTrue
}

func or3(a, b tri) tri {
	switch {
	case a == isTrue || b == isTrue:
		return isTrue
	case a == isUnknown || b == isUnknown:
		return isUnknown
	}
	return isFalse
}

func not3(a tri) tri {
	switch a {
	case isTrue:
		return isFalse
	case isFalse:
		return isTrue
	}
	return isUnknown
}

// eval methods. Conditions return TRUE, FALSE or NULL (UNKNOWN).

func (n *litNode) eval(getter) value { return n.v }

func (n *identNode) eval(get getter) value {
	if n.deliveryMode {
		if v, ok := get("persistent"); ok && strings.EqualFold(v, "true") {
			return value{k: kStr, s: "PERSISTENT"}
		}
		return value{k: kStr, s: "NON_PERSISTENT"}
	}
	if v, ok := get(n.header); ok {
		return value{k: kHdr, s: v}
	}
	return nullValue
}

func (n *unaryNode) eval(get getter) value {
	v, ok := num(n.x.eval(get))
	switch {
	case !ok:
		return nullValue
	case !n.neg:
		return v
	case v.k == kInt:
		v.i = -v.i
	default:
		v.f = -v.f
	}
	return v
}

func (n *arithNode) eval(get getter) value {
	l, ok := num(n.l.eval(get))
	if !ok {
		return nullValue
	}
	r, ok := num(n.r.eval(get))
	if !ok {
		return nullValue
	}
	if l.k == kInt && r.k == kInt {
		a, b := l.i, r.i
		switch n.op {
		case '+':
			return value{k: kInt, i: a + b}
		case '-':
			return value{k: kInt, i: a - b}
		case '*':
			return value{k: kInt, i: a * b}
		}
		if b == 0 { // integer division by zero: no value
			return nullValue
		}
		return value{k: kInt, i: a / b}
	}
	a, b := asFloat(l), asFloat(r)
	switch n.op {
	case '+':
		return value{k: kFloat, f: a + b}
	case '-':
		return value{k: kFloat, f: a - b}
	case '*':
		return value{k: kFloat, f: a * b}
	}
	return value{k: kFloat, f: a / b}
}

// mirror[op] is the operator that gives the same result with the operands
// swapped.
var mirror = [...]cmpOp{opEq: opEq, opNe: opNe, opLt: opGt, opLe: opGe, opGt: opLt, opGe: opLe}

func newCmp(op cmpOp, l, r node) *cmpNode {
	n := &cmpNode{op: op, l: l, r: r}
	id, lit, fop := l, r, op
	if _, ok := l.(*litNode); ok {
		id, lit, fop = r, l, mirror[op]
	}
	if id, ok := id.(*identNode); ok && !id.deliveryMode {
		if lit, ok := lit.(*litNode); ok {
			n.hdr, n.fop, n.flit = id.header, fop, lit.v
		}
	}
	return n
}

func (n *cmpNode) eval(get getter) value {
	if n.hdr != "" {
		v, ok := get(n.hdr)
		if !ok {
			return nullValue
		}
		return compare(n.fop, value{k: kHdr, s: v}, n.flit).value()
	}
	l := n.l.eval(get)
	if l.k == kNull {
		return nullValue
	}
	return compare(n.op, l, n.r.eval(get)).value()
}

// BETWEEN is x >= lo AND x <= hi; NOT BETWEEN is x < lo OR x > hi, the
// equivalences JMS gives (which differ from NOT (x BETWEEN ..) when types
// are unlike).
func (n *betweenNode) eval(get getter) value {
	x := n.x.eval(get)
	if x.k == kNull {
		return nullValue
	}
	lo, hi := n.lo.eval(get), n.hi.eval(get)
	if n.not {
		return or3(compare(opLt, x, lo), compare(opGt, x, hi)).value()
	}
	return and3(compare(opGe, x, lo), compare(opLe, x, hi)).value()
}

func (n *inNode) eval(get getter) value {
	x := n.x.eval(get)
	if x.k == kNull {
		return nullValue
	}
	if !isStr(x) {
		return falseValue
	}
	found := false
	if n.set != nil {
		_, found = n.set[x.s]
	} else {
		for _, s := range n.list {
			if s == x.s {
				found = true
				break
			}
		}
	}
	return boolTri(found != n.not).value()
}

func (n *likeNode) eval(get getter) value {
	x := n.x.eval(get)
	if x.k == kNull {
		return nullValue
	}
	if !isStr(x) {
		return falseValue
	}
	return boolTri(n.m.match(x.s) != n.not).value()
}

func (n *isNullNode) eval(get getter) value {
	return boolTri((n.x.eval(get).k == kNull) != n.not).value()
}

func (n *notNode) eval(get getter) value {
	return not3(truth(n.x.eval(get))).value()
}

func (n *logicNode) eval(get getter) value {
	res := boolTri(!n.or) // AND starts TRUE, OR starts FALSE
	for _, x := range n.xs {
		t := truth(x.eval(get))
		if n.or {
			res = or3(res, t)
			if res == isTrue {
				break
			}
		} else {
			res = and3(res, t)
			if res == isFalse {
				break
			}
		}
	}
	return res.value()
}
