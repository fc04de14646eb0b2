package selector

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// aliases maps the JMS header names a selector may use to the STOMP
// headers that carry them (JMSDeliveryMode is derived, see identNode).
var aliases = map[string]string{
	"JMSPriority":      "priority",
	"JMSMessageID":     "message-id",
	"JMSCorrelationID": "correlation-id",
	"JMSType":          "type",
	"JMSTimestamp":     "timestamp",
}

// parser is a recursive-descent parser over the token slice, one function
// per grammar rule in doc.go.
type parser struct {
	toks  []token
	i     int
	depth int // current nesting of '(' / NOT / unary sign
}

// parse returns nil, nil for a blank selector.
func parse(src string) (node, *SyntaxError) {
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	if toks[0].kind == tokEOF {
		return nil, nil
	}
	p := &parser{toks: toks}
	start := p.peek()
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		if t.kind == tokRParen {
			return nil, errorf(t.pos, "unexpected ')' with no matching '('")
		}
		return nil, errorf(t.pos, "unexpected %v, expected AND, OR or end of input", t)
	}
	if err := wantCond(n, start, "a selector"); err != nil {
		return nil, err
	}
	return n, nil
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tokEOF {
		p.i++
	}
	return t
}

// enter counts one level of nesting at t and fails past MaxDepth.
func (p *parser) enter(t token) *SyntaxError {
	p.depth++
	if p.depth > MaxDepth {
		return errorf(t.pos, "expression nested too deeply (limit %d levels of parentheses, NOT and signs)", MaxDepth)
	}
	return nil
}

// parseOr: OrExpr = AndExpr { "OR" AndExpr } .
func (p *parser) parseOr() (node, *SyntaxError) {
	return p.parseLogic(tokOr, p.parseAnd)
}

// parseAnd: AndExpr = NotExpr { "AND" NotExpr } .
func (p *parser) parseAnd() (node, *SyntaxError) {
	return p.parseLogic(tokAnd, p.parseNot)
}

func (p *parser) parseLogic(op tokKind, operand func() (node, *SyntaxError)) (node, *SyntaxError) {
	start := p.peek()
	x, err := operand()
	if err != nil || p.peek().kind != op {
		return x, err
	}
	what := "operand of AND"
	if op == tokOr {
		what = "operand of OR"
	}
	if err := wantCond(x, start, what); err != nil {
		return nil, err
	}
	l := &logicNode{or: op == tokOr, xs: []node{x}}
	for p.peek().kind == op {
		p.next()
		start := p.peek()
		x, err := operand()
		if err != nil {
			return nil, err
		}
		if err := wantCond(x, start, what); err != nil {
			return nil, err
		}
		l.xs = append(l.xs, x)
	}
	return l, nil
}

// parseNot: NotExpr = "NOT" NotExpr | Predicate .
func (p *parser) parseNot() (node, *SyntaxError) {
	if p.peek().kind != tokNot {
		return p.parsePredicate()
	}
	t := p.next()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	start := p.peek()
	x, err := p.parseNot()
	if err != nil {
		return nil, err
	}
	p.depth--
	if err := wantCond(x, start, "operand of NOT"); err != nil {
		return nil, err
	}
	return &notNode{x: x}, nil
}

var cmpOps = map[tokKind]cmpOp{
	tokEq: opEq, tokNe: opNe, tokLt: opLt, tokLe: opLe, tokGt: opGt, tokGe: opGe,
}

// parsePredicate:
//
//	Predicate = Sum [ CompareOp Sum
//	                | [ "NOT" ] "BETWEEN" Sum "AND" Sum
//	                | [ "NOT" ] "IN" "(" String { "," String } ")"
//	                | [ "NOT" ] "LIKE" String [ "ESCAPE" String ]
//	                | "IS" [ "NOT" ] "NULL" ] .
func (p *parser) parsePredicate() (node, *SyntaxError) {
	start := p.peek()
	x, err := p.parseSum()
	if err != nil {
		return nil, err
	}
	var n node
	t := p.peek()
	if op, ok := cmpOps[t.kind]; ok {
		p.next()
		yt := p.peek()
		y, err := p.parseSum()
		if err != nil {
			return nil, err
		}
		if op != opEq && op != opNe {
			what := "operand of " + punct[t.kind]
			if err := wantOrdered(x, start, what); err != nil {
				return nil, err
			}
			if err := wantOrdered(y, yt, what); err != nil {
				return nil, err
			}
		}
		n = newCmp(op, x, y)
	} else {
		not := false
		if t.kind == tokNot {
			p.next()
			not = true
			t = p.peek()
			if t.kind != tokBetween && t.kind != tokIn && t.kind != tokLike {
				return nil, errorf(t.pos, "expected BETWEEN, IN or LIKE after NOT, found %v", t)
			}
		}
		switch t.kind {
		case tokBetween:
			n, err = p.parseBetween(x, start, not)
		case tokIn:
			n, err = p.parseIn(x, start, not)
		case tokLike:
			n, err = p.parseLike(x, start, not)
		case tokIs:
			n, err = p.parseIsNull(x)
		default:
			return x, nil
		}
		if err != nil {
			return nil, err
		}
	}
	if t := p.peek(); t.kind >= tokEq && t.kind <= tokGe || t.kind == tokBetween ||
		t.kind == tokIn || t.kind == tokLike || t.kind == tokIs {
		return nil, errorf(t.pos, "unexpected %v: comparisons cannot be chained (combine them with AND, or use parentheses)", t)
	}
	return n, nil
}

func (p *parser) parseBetween(x node, xt token, not bool) (node, *SyntaxError) {
	if err := wantNum(x, xt, "operand of BETWEEN"); err != nil {
		return nil, err
	}
	p.next() // BETWEEN
	lt := p.peek()
	lo, err := p.parseSum()
	if err != nil {
		return nil, err
	}
	if err := wantNum(lo, lt, "lower bound of BETWEEN"); err != nil {
		return nil, err
	}
	if t := p.next(); t.kind != tokAnd {
		return nil, errorf(t.pos, "expected AND between the bounds of BETWEEN, found %v", t)
	}
	ht := p.peek()
	hi, err := p.parseSum()
	if err != nil {
		return nil, err
	}
	if err := wantNum(hi, ht, "upper bound of BETWEEN"); err != nil {
		return nil, err
	}
	return &betweenNode{not: not, x: x, lo: lo, hi: hi}, nil
}

func (p *parser) parseIn(x node, xt token, not bool) (node, *SyntaxError) {
	if err := wantStr(x, xt, "operand of IN"); err != nil {
		return nil, err
	}
	p.next() // IN
	if t := p.next(); t.kind != tokLParen {
		return nil, errorf(t.pos, "expected '(' after IN, found %v", t)
	}
	n := &inNode{not: not, x: x}
	for {
		t := p.next()
		if t.kind != tokString {
			return nil, errorf(t.pos, "expected a string literal in the IN list, found %v (IN lists hold quoted strings only)", t)
		}
		n.list = append(n.list, t.text)
		t = p.next()
		if t.kind == tokRParen {
			break
		}
		if t.kind != tokComma {
			return nil, errorf(t.pos, "expected ',' or ')' in the IN list, found %v", t)
		}
	}
	if len(n.list) > 8 {
		n.set = make(map[string]struct{}, len(n.list))
		for _, s := range n.list {
			n.set[s] = struct{}{}
		}
	}
	return n, nil
}

func (p *parser) parseLike(x node, xt token, not bool) (node, *SyntaxError) {
	if err := wantStr(x, xt, "operand of LIKE"); err != nil {
		return nil, err
	}
	p.next() // LIKE
	pt := p.next()
	if pt.kind != tokString {
		return nil, errorf(pt.pos, "expected a string literal pattern after LIKE, found %v", pt)
	}
	n := &likeNode{not: not, x: x, pattern: pt.text}
	if p.peek().kind == tokEscape {
		p.next()
		et := p.next()
		if et.kind != tokString {
			return nil, errorf(et.pos, "expected a string literal after ESCAPE, found %v", et)
		}
		if utf8.RuneCountInString(et.text) != 1 {
			return nil, errorf(et.pos, "the ESCAPE string must be a single character, found %s", quote(et.text))
		}
		n.escape = et.text
	}
	m, msg := compileLike(n.pattern, n.escape)
	if msg != "" {
		return nil, errorf(pt.pos, "bad LIKE pattern %s: %s", quote(pt.text), msg)
	}
	n.m = m
	return n, nil
}

func (p *parser) parseIsNull(x node) (node, *SyntaxError) {
	p.next() // IS
	not := false
	if p.peek().kind == tokNot {
		p.next()
		not = true
	}
	if t := p.next(); t.kind != tokNull {
		return nil, errorf(t.pos, "expected NULL or NOT NULL after IS, found %v", t)
	}
	return &isNullNode{not: not, x: x}, nil
}

// parseSum: Sum = Product { ( "+" | "-" ) Product } .
func (p *parser) parseSum() (node, *SyntaxError) {
	return p.parseArith(tokPlus, tokMinus, p.parseProduct)
}

// parseProduct: Product = Unary { ( "*" | "/" ) Unary } .
func (p *parser) parseProduct() (node, *SyntaxError) {
	return p.parseArith(tokStar, tokSlash, p.parseUnary)
}

func (p *parser) parseArith(op1, op2 tokKind, operand func() (node, *SyntaxError)) (node, *SyntaxError) {
	start := p.peek()
	x, err := operand()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t.kind == op1 || t.kind == op2; t = p.peek() {
		what := "operand of " + punct[t.kind]
		if err := wantNum(x, start, what); err != nil {
			return nil, err
		}
		p.next()
		yt := p.peek()
		y, err := operand()
		if err != nil {
			return nil, err
		}
		if err := wantNum(y, yt, what); err != nil {
			return nil, err
		}
		x = &arithNode{op: t.text[0], l: x, r: y}
	}
	return x, nil
}

// parseUnary: Unary = ( "+" | "-" ) Unary | Primary . A sign directly
// before a number is folded into it, so -9223372036854775808 is in range.
func (p *parser) parseUnary() (node, *SyntaxError) {
	t := p.peek()
	if t.kind != tokPlus && t.kind != tokMinus {
		return p.parsePrimary()
	}
	p.next()
	if n := p.peek(); n.kind == tokInt || n.kind == tokFloat {
		p.next()
		sign := ""
		if t.kind == tokMinus {
			sign = "-"
		}
		return numLit(n, sign)
	}
	if err := p.enter(t); err != nil {
		return nil, err
	}
	xt := p.peek()
	x, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	p.depth--
	if err := wantNum(x, xt, "operand of unary "+punct[t.kind]); err != nil {
		return nil, err
	}
	n := &unaryNode{neg: t.kind == tokMinus, x: x}
	if _, ok := x.(*litNode); ok { // - -5, -(5), +(5): fold, as printing would
		return &litNode{v: n.eval(nil)}, nil
	}
	return n, nil
}

// parsePrimary: Primary = Literal | Identifier | "(" OrExpr ")" .
func (p *parser) parsePrimary() (node, *SyntaxError) {
	t := p.next()
	switch t.kind {
	case tokIdent:
		n := &identNode{name: t.text, header: t.text}
		if h, ok := aliases[t.text]; ok {
			n.header = h
		} else if t.text == "JMSDeliveryMode" {
			n.deliveryMode = true
		}
		return n, nil
	case tokString:
		return &litNode{v: value{k: kStr, s: t.text}}, nil
	case tokInt, tokFloat:
		return numLit(t, "")
	case tokTrue, tokFalse:
		return &litNode{v: value{k: kBool, b: t.kind == tokTrue}}, nil
	case tokLParen:
		if err := p.enter(t); err != nil {
			return nil, err
		}
		x, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, errorf(c.pos, "expected ')' to close the '(' at column %d, found %v", t.pos+1, c)
		}
		p.depth--
		return x, nil
	case tokNull:
		return nil, errorf(t.pos, "keyword NULL may only appear in IS NULL or IS NOT NULL")
	case tokEOF:
		return nil, errorf(t.pos, "unexpected end of input, expected an expression")
	}
	return nil, errorf(t.pos, "unexpected %v, expected an expression", t)
}

// numLit converts a number token, with an optional folded sign.
func numLit(t token, sign string) (node, *SyntaxError) {
	if t.kind == tokInt {
		i, err := strconv.ParseInt(sign+t.text, 0, 64)
		if err != nil {
			return nil, errorf(t.pos, "integer %s%s out of range (64-bit signed)", sign, t.text)
		}
		return &litNode{v: value{k: kInt, i: i}}, nil
	}
	f, err := strconv.ParseFloat(sign+t.text, 64)
	if err != nil && (!errors.Is(err, strconv.ErrRange) || math.IsInf(f, 0)) {
		return nil, errorf(t.pos, "number %s%s out of range (64-bit floating point)", sign, t.text)
	}
	return &litNode{v: value{k: kFloat, f: f}}, nil
}

// Static type checks: an identifier's type is only known when a message is
// matched (tyAny), but literals and operators have fixed types, and JMS
// makes a selector that combines them wrongly invalid.

func wantCond(n node, at token, what string) *SyntaxError {
	if t := n.typ(); t == tyBool || t == tyAny {
		return nil
	}
	return errorf(at.pos, "%s must be a condition, found %s", what, describe(n))
}

func wantNum(n node, at token, what string) *SyntaxError {
	if t := n.typ(); t == tyNum || t == tyAny {
		return nil
	}
	return errorf(at.pos, "%s must be numeric, found %s", what, describe(n))
}

// wantOrdered checks an operand of < <= > >=: JMS (and ActiveMQ) compare
// strings and booleans only with = and <>. Two headers still order as
// strings, which is ActiveMQ's behaviour for string properties.
func wantOrdered(n node, at token, what string) *SyntaxError {
	if t := n.typ(); t == tyNum || t == tyAny {
		return nil
	}
	return errorf(at.pos, "%s must be numeric, found %s (strings and booleans compare only with = and <>)", what, describe(n))
}

func wantStr(n node, at token, what string) *SyntaxError {
	if t := n.typ(); t == tyStr || t == tyAny {
		return nil
	}
	return errorf(at.pos, "%s must be a string, found %s", what, describe(n))
}

func describe(n node) string {
	if l, ok := n.(*litNode); ok {
		var b strings.Builder
		l.format(&b)
		switch l.v.k {
		case kStr:
			return "string " + b.String()
		case kBool:
			return "boolean " + b.String()
		}
		return "number " + b.String()
	}
	switch n.typ() {
	case tyBool:
		return "a condition"
	case tyNum:
		return "a numeric expression"
	case tyStr:
		return "a string"
	}
	return "an identifier"
}
