package selector

import (
	"strconv"
	"strings"
)

// node is one node of a parsed selector.
type node interface {
	eval(get getter) value
	// typ is the static type: what the node yields whatever the headers.
	typ() ty
	// prec is the binding strength of the node's outermost operator.
	prec() int
	// format writes the node in canonical selector syntax.
	format(b *strings.Builder)
}

// ty is a static type. Identifiers are tyAny: a header is a string that
// can also act as a number or a boolean, depending on where it is used.
type ty uint8

const (
	tyAny ty = iota
	tyBool
	tyNum
	tyStr
)

// Precedence levels, loosest first.
const (
	precOr = iota + 1
	precAnd
	precNot
	precCmp // comparisons and the BETWEEN, IN, LIKE, IS NULL predicates
	precSum
	precProduct
	precUnary
	precPrimary
)

type (
	litNode struct{ v value }

	identNode struct {
		name         string // as written
		header       string // STOMP header to look up
		deliveryMode bool   // JMSDeliveryMode, derived from "persistent"
	}

	unaryNode struct {
		neg bool // '-', else '+'
		x   node
	}

	arithNode struct {
		op   byte // + - * /
		l, r node
	}

	cmpNode struct {
		op   cmpOp
		l, r node

		// The common header-versus-literal case, evaluated without
		// dynamic calls: if hdr != "", then compare(op', hdr, lit) where
		// op' is op, mirrored when the literal is on the left.
		hdr  string
		fop  cmpOp
		flit value
	}

	betweenNode struct {
		not       bool
		x, lo, hi node
	}

	inNode struct {
		not  bool
		x    node
		list []string
		set  map[string]struct{} // for long lists
	}

	likeNode struct {
		not     bool
		x       node
		pattern string
		escape  string // "" for none
		m       likeMatcher
	}

	isNullNode struct {
		not bool
		x   node
	}

	notNode struct{ x node }

	// logicNode is a chain of ANDs or of ORs: a AND b AND c.
	logicNode struct {
		or bool
		xs []node
	}
)

func (n *litNode) typ() ty {
	switch n.v.k {
	case kBool:
		return tyBool
	case kStr:
		return tyStr
	}
	return tyNum
}

func (n *identNode) typ() ty {
	if n.deliveryMode {
		return tyStr
	}
	return tyAny
}

func (*unaryNode) typ() ty   { return tyNum }
func (*arithNode) typ() ty   { return tyNum }
func (*cmpNode) typ() ty     { return tyBool }
func (*betweenNode) typ() ty { return tyBool }
func (*inNode) typ() ty      { return tyBool }
func (*likeNode) typ() ty    { return tyBool }
func (*isNullNode) typ() ty  { return tyBool }
func (*notNode) typ() ty     { return tyBool }
func (*logicNode) typ() ty   { return tyBool }

func (*litNode) prec() int     { return precPrimary }
func (*identNode) prec() int   { return precPrimary }
func (*unaryNode) prec() int   { return precUnary }
func (*cmpNode) prec() int     { return precCmp }
func (*betweenNode) prec() int { return precCmp }
func (*inNode) prec() int      { return precCmp }
func (*likeNode) prec() int    { return precCmp }
func (*isNullNode) prec() int  { return precCmp }
func (*notNode) prec() int     { return precNot }

func (n *arithNode) prec() int {
	if n.op == '+' || n.op == '-' {
		return precSum
	}
	return precProduct
}

func (n *logicNode) prec() int {
	if n.or {
		return precOr
	}
	return precAnd
}

// sub writes n, in parentheses if it binds looser than min.
func sub(b *strings.Builder, n node, min int) {
	if n.prec() < min {
		b.WriteByte('(')
		n.format(b)
		b.WriteByte(')')
		return
	}
	n.format(b)
}

func (n *litNode) format(b *strings.Builder) {
	switch n.v.k {
	case kStr:
		b.WriteString(quote(n.v.s))
	case kBool:
		if n.v.b {
			b.WriteString("TRUE")
		} else {
			b.WriteString("FALSE")
		}
	case kInt:
		b.WriteString(strconv.FormatInt(n.v.i, 10))
	case kFloat:
		s := strconv.FormatFloat(n.v.f, 'g', -1, 64)
		b.WriteString(s)
		if !strings.ContainsAny(s, ".e") {
			b.WriteString(".0") // keep it approximate
		}
	}
}

func (n *identNode) format(b *strings.Builder) { b.WriteString(n.name) }

func (n *unaryNode) format(b *strings.Builder) {
	if n.neg {
		b.WriteByte('-')
	} else {
		b.WriteByte('+')
	}
	sub(b, n.x, precUnary)
}

func (n *arithNode) format(b *strings.Builder) {
	p := n.prec()
	sub(b, n.l, p)
	b.WriteByte(' ')
	b.WriteByte(n.op)
	b.WriteByte(' ')
	sub(b, n.r, p+1)
}

func (n *cmpNode) format(b *strings.Builder) {
	sub(b, n.l, precSum)
	b.WriteString(" " + cmpNames[n.op] + " ")
	sub(b, n.r, precSum)
}

func writeNot(b *strings.Builder, not bool) {
	if not {
		b.WriteString(" NOT")
	}
}

func (n *betweenNode) format(b *strings.Builder) {
	sub(b, n.x, precSum)
	writeNot(b, n.not)
	b.WriteString(" BETWEEN ")
	sub(b, n.lo, precSum)
	b.WriteString(" AND ")
	sub(b, n.hi, precSum)
}

func (n *inNode) format(b *strings.Builder) {
	sub(b, n.x, precSum)
	writeNot(b, n.not)
	b.WriteString(" IN (")
	for i, s := range n.list {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quote(s))
	}
	b.WriteByte(')')
}

func (n *likeNode) format(b *strings.Builder) {
	sub(b, n.x, precSum)
	writeNot(b, n.not)
	b.WriteString(" LIKE ")
	b.WriteString(quote(n.pattern))
	if n.escape != "" {
		b.WriteString(" ESCAPE ")
		b.WriteString(quote(n.escape))
	}
}

func (n *isNullNode) format(b *strings.Builder) {
	sub(b, n.x, precSum)
	b.WriteString(" IS")
	writeNot(b, n.not)
	b.WriteString(" NULL")
}

func (n *notNode) format(b *strings.Builder) {
	b.WriteString("NOT ")
	sub(b, n.x, precNot)
}

func (n *logicNode) format(b *strings.Builder) {
	op := " AND "
	if n.or {
		op = " OR "
	}
	p := n.prec()
	for i, x := range n.xs {
		if i > 0 {
			b.WriteString(op)
		}
		sub(b, x, p+1)
	}
}
