// Package selector parses and evaluates JMS message selectors, the
// SQL-92 subset of JMS 1.1 (javax.jms.Message, "Message Selectors") that
// ActiveMQ applies to the headers of STOMP messages: a client passes one in
// the selector header of SUBSCRIBE and receives only the messages for
// which it evaluates to TRUE.
//
//	sel, err := selector.Parse("region = 'eu' AND priority > 4")
//	...
//	if sel.Match(func(name string) (string, bool) { v, ok := headers[name]; return v, ok }) { deliver }
//
// # Grammar
//
// As implemented, in EBNF. Keywords (AND OR NOT BETWEEN LIKE ESCAPE IN IS
// NULL TRUE FALSE) are case-insensitive and cannot be used as identifiers;
// identifiers are case-sensitive. Whitespace (space, tab, CR, LF, FF)
// separates tokens.
//
//	Selector   = [ OrExpr ] .                      (* empty: matches everything *)
//	OrExpr     = AndExpr { "OR" AndExpr } .
//	AndExpr    = NotExpr { "AND" NotExpr } .
//	NotExpr    = "NOT" NotExpr | Predicate .
//	Predicate  = Sum [ CompareOp Sum
//	                 | [ "NOT" ] "BETWEEN" Sum "AND" Sum
//	                 | [ "NOT" ] "IN" "(" String { "," String } ")"
//	                 | [ "NOT" ] "LIKE" String [ "ESCAPE" String ]
//	                 | "IS" [ "NOT" ] "NULL" ] .
//	CompareOp  = "=" | "<>" | "<" | "<=" | ">" | ">=" .
//	Sum        = Product { ( "+" | "-" ) Product } .
//	Product    = Unary { ( "*" | "/" ) Unary } .
//	Unary      = ( "+" | "-" ) Unary | Primary .
//	Primary    = Identifier | String | Integer | Float | "TRUE" | "FALSE"
//	           | "(" OrExpr ")" .
//
//	Identifier = IdStart { IdPart | ( "-" | "." ) IdPart } .  (* not a keyword *)
//	IdStart    = letter | "_" | "$" .
//	IdPart     = IdStart | digit .
//	String     = "'" { any character but "'" | "''" } "'" .
//	Integer    = ( "1"…"9" { digit } | "0" { "0"…"7" } | "0" ( "x" | "X" ) hex { hex } )
//	             [ "L" | "l" ] .
//	Float      = digits "." [ digits ] [ Exponent ] | "." digits [ Exponent ]
//	           | digits Exponent .
//	Exponent   = ( "e" | "E" ) [ "+" | "-" ] digits .
//
// Precedence, loosest first: OR; AND; NOT; comparisons and predicates
// (which do not chain: a = b = c is an error); binary + -; * /; unary
// + -. Binary operators associate to the left. A sign directly before a
// number is part of the literal. Integers are 64-bit (octal and hex as in
// Java, so 010 is 8); floats are 64-bit.
//
// Identifiers follow the JMS rules (Java identifier characters) and, as
// STOMP header names need them, may also contain '-' and '.' when an
// identifier character follows: x-region and order.total are header names.
// So a-b and x-1 are single identifiers; write a - b to subtract. Keywords cannot be
// header names, and names with other characters (such as ':') cannot be
// selected on.
//
// A selector is also statically type-checked, as JMS requires: the
// operands of AND, OR and NOT and the selector itself must be conditions
// (or identifiers); arithmetic, BETWEEN and < <= > >= take numbers; LIKE
// and IN take strings; IN lists hold string literals only; ESCAPE is one
// character; NULL appears only in IS [NOT] NULL. Identifiers pass every
// check.
//
// # Evaluation
//
// Conditions are three-valued, TRUE, FALSE or UNKNOWN, with the SQL truth
// tables for AND, OR and NOT; a message matches when the selector is TRUE.
//
// Identifiers name headers. A missing header is NULL: comparisons,
// arithmetic, BETWEEN, IN and LIKE on NULL give UNKNOWN (or NULL), and IS
// NULL tests for it. These JMS header names are aliases for the STOMP
// headers that carry them: JMSPriority (priority), JMSMessageID
// (message-id), JMSCorrelationID (correlation-id), JMSType (type),
// JMSTimestamp (timestamp); JMSDeliveryMode is 'PERSISTENT' when the
// persistent header is "true" (any case) and 'NON_PERSISTENT' otherwise,
// never NULL.
//
// STOMP header values are strings, so a header takes its type from the
// other operand of a comparison: compared with a number it is that number
// if it parses as one (decimal, as 42, -4, 1.5, 2e3), compared with TRUE or
// FALSE it is a boolean if it reads "true" or "false" (any case), and
// otherwise it is a string (two headers compare as strings). Used in
// arithmetic a header must parse as a number, else the result is NULL.
// Used as a condition on its own a header is TRUE for "true", FALSE for
// "false" and any other value, UNKNOWN when missing.
//
// Comparing values of unlike types (a string with a number, a header that
// is not a number with a number) gives FALSE, not UNKNOWN, as JMS 1.1 and
// ActiveMQ specify; so NOT (region = 5) is TRUE when region is 'eu'.
// Exact and approximate numbers compare after promotion to approximate.
// Strings and booleans compare only with = and <>, so < <= > >= with a
// string or boolean literal or a condition is a syntax error (as in JMS
// and ActiveMQ). But two headers that meet in < <= > >= (or in BETWEEN)
// compare as strings, byte-wise, as ActiveMQ compares string properties:
// '10' < '9'; write a + 0 > b to compare them as numbers. Integer
// arithmetic wraps on overflow and integer division truncates; integer
// division by zero is NULL.
//
// a BETWEEN b AND c is a >= b AND a <= c; a NOT BETWEEN b AND c is a < b OR
// a > c. In LIKE patterns % stands for any run of characters (empty too)
// and _ for exactly one; after ESCAPE 'c', c makes the next character
// literal. LIKE is case-sensitive.
//
// # Limits
//
// Parse rejects selectors longer than MaxLength bytes and nesting of
// parentheses, NOT and unary signs deeper than MaxDepth, so neither
// parsing nor matching can exhaust the stack.
package selector
