package gvariant

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// This file ports GLib 2.74's gvariant-parser.c: the same tokens, the
// same two passes (type patterns, then values) and the same error texts,
// so that ostree's --add-metadata and summary --add-metadata accept
// exactly what the C tools accept and fail with the same messages.

// maxParseDepth is G_VARIANT_MAX_RECURSION_DEPTH.
const maxParseDepth = 128

// ParseError is a syntax or type error in GVariant text. Error returns
// exactly the message g_variant_parse sets: byte offsets into the text,
// "start-end" for a range or "pos" for a point, optionally a second range
// that conflicts with the first, a colon, and the complaint, as in
// "1-2,4-7:unable to find a common type". ostree prints it verbatim.
type ParseError struct {
	Start, End           int // the offending text; equal for a point
	OtherStart, OtherEnd int // a conflicting range; equal when absent
	Msg                  string
}

// Error returns the message in GLib's format.
func (e *ParseError) Error() string {
	var b strings.Builder
	if e.Start == e.End {
		fmt.Fprintf(&b, "%d", e.Start)
	} else {
		fmt.Fprintf(&b, "%d-%d", e.Start, e.End)
	}
	if e.OtherStart != e.OtherEnd {
		fmt.Fprintf(&b, ",%d-%d", e.OtherStart, e.OtherEnd)
	}
	b.WriteByte(':')
	b.WriteString(e.Msg)
	return b.String()
}

// Parse parses text as a value of type t, as g_variant_parse(t, text)
// does. The type guides the parse: "[]" is an empty array of t, and a
// number becomes whichever integer or double type t says, range-checked.
// A nil t infers the type as ParseAny does.
func Parse(t *Type, text string) (any, error) {
	_, v, err := parseText(t, text)
	return v, err
}

// ParseAny parses text and infers its type as g_variant_parse(NULL, text)
// does: integers default to int32, strings to 's', "just" and "nothing"
// make maybes, and an array's element type is the common type of its
// elements. Empty containers and "nothing" need an @type annotation.
func ParseAny(text string) (*Type, any, error) {
	return parseText(nil, text)
}

func parseText(t *Type, text string) (*Type, any, error) {
	// GLib reads a C string: a NUL ends the text.
	if i := strings.IndexByte(text, 0); i >= 0 {
		text = text[:i]
	}
	p := &parser{ts: tokenStream{src: text, this: -1}}
	n, err := p.parse(maxParseDepth)
	if err != nil {
		return nil, nil, err
	}
	var v any
	if t == nil {
		t, v, err = resolve(n)
	} else {
		v, err = n.value(t)
	}
	if err != nil {
		return nil, nil, err
	}
	pos := p.ts.pos
	for pos < len(text) && isSpace(text[pos]) {
		pos++
	}
	if pos < len(text) {
		return nil, nil, &ParseError{Start: pos, End: pos, Msg: "expected end of input"}
	}
	return t, v, nil
}

// tokenStream splits the text into GLib's tokens. A token is prepared
// when this >= 0: it spans src[this:pos]. Otherwise pos is the end of the
// last token consumed.
type tokenStream struct {
	src  string
	pos  int
	this int
}

// isSpace is g_ascii_isspace, which unlike C's isspace leaves out '\v'.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c|0x20 && c|0x20 <= 'f' }

// prepare finds the next token; at the end of the text it is empty.
func (ts *tokenStream) prepare() {
	if ts.this >= 0 {
		return
	}
	s, p := ts.src, ts.pos
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	end := p
	if p < len(s) {
		c := s[p]
		end = p + 1
		switch {
		case c == '-' || c == '+' || c == '.' || isDigit(c):
			for end = p; end < len(s); end++ {
				if !isAlnum(s[end]) && s[end] != '-' && s[end] != '+' && s[end] != '.' {
					break
				}
			}
		case c == 'b' && p+1 < len(s) && (s[p+1] == '\'' || s[p+1] == '"'):
			end = scanQuoted(s, p+2, s[p+1])
		case 'a' <= c && c <= 'z':
			for end = p; end < len(s) && isAlnum(s[end]); end++ {
			}
		case c == '\'' || c == '"':
			end = scanQuoted(s, p+1, c)
		case c == '@' || c == '%':
			// Stop at a space, comma, colon or unmatched bracket, so that
			// "(@i 1, @s 'x')" and "{@s 'k': <1>}" split as expected.
			brackets := 0
		scan:
			for end = p + 1; end < len(s) && !isSpace(s[end]); end++ {
				switch s[end] {
				case ',', ':', '>', ']':
					break scan
				case '(', '{':
					brackets++
				case ')', '}':
					if brackets == 0 {
						break scan
					}
					brackets--
				}
			}
		}
	}
	ts.this, ts.pos = p, end
}

// scanQuoted returns the end of a quoted token whose body starts at i:
// past the closing quote, or the end of the text when there is none.
func scanQuoted(s string, i int, quote byte) int {
	for i < len(s) && s[i] != quote {
		if s[i] == '\\' {
			i++
			if i == len(s) {
				return i
			}
		}
		i++
	}
	if i < len(s) {
		i++
	}
	return i
}

func (ts *tokenStream) token() string { ts.prepare(); return ts.src[ts.this:ts.pos] }
func (ts *tokenStream) next()         { ts.this = -1 }

func (ts *tokenStream) peek(c byte) bool {
	tok := ts.token()
	return len(tok) >= 1 && tok[0] == c
}

func (ts *tokenStream) peek2(c, d byte) bool {
	tok := ts.token()
	return len(tok) >= 2 && tok[0] == c && tok[1] == d
}

func (ts *tokenStream) isKeyword() bool {
	tok := ts.token()
	return len(tok) >= 2 && isAlpha(tok[0]) && isAlpha(tok[1])
}

func (ts *tokenStream) isNumeric() bool {
	tok := ts.token()
	return len(tok) >= 1 && (isDigit(tok[0]) || tok[0] == '-' || tok[0] == '+' || tok[0] == '.')
}

func (ts *tokenStream) consume(tok string) bool {
	if ts.token() != tok {
		return false
	}
	ts.next()
	return true
}

func (ts *tokenStream) require(tok, purpose string) error {
	if !ts.consume(tok) {
		return ts.errorf(false, "expected '%s'%s", tok, purpose)
	}
	return nil
}

// errorf reports an error at the prepared token: the whole token when
// thisToken is set, else the point where it starts.
func (ts *tokenStream) errorf(thisToken bool, format string, args ...any) error {
	ts.prepare()
	e := &ParseError{Start: ts.this, End: ts.this, Msg: fmt.Sprintf(format, args...)}
	if thisToken {
		e.End = ts.pos
	}
	return e
}

// node is a parsed but not yet typed value. pattern describes the types
// it could have: a type string that may also hold '*' (any type), 'M'
// (an optional maybe), 'N' (any number type) and 'S' (s, o or g). value
// builds it as a given definite type.
type node interface {
	ref() *srcRef
	pattern() (string, error)
	value(t *Type) (any, error)
}

type srcRef struct{ start, end int }

func (r *srcRef) ref() *srcRef { return r }

func nodeErr(n node, other node, format string, args ...any) error {
	r := n.ref()
	e := &ParseError{Start: r.start, End: r.end, Msg: fmt.Sprintf(format, args...)}
	if other != nil {
		e.OtherStart, e.OtherEnd = other.ref().start, other.ref().end
	}
	return e
}

func typeMismatch(n node, t *Type) error {
	return nodeErr(n, nil, "can not parse as value of type '%s'", t)
}

// resolve picks the default type for a pattern (no maybes where
// optional, int32 numbers, 's' strings) and builds the value.
func resolve(n node) (*Type, any, error) {
	pat, err := n.pattern()
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 0, len(pat))
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; c {
		case '*':
			return nil, nil, nodeErr(n, nil, "unable to infer type")
		case 'M':
		case 'S':
			b = append(b, 's')
		case 'N':
			b = append(b, 'i')
		default:
			b = append(b, c)
		}
	}
	t, err := ParseType(string(b))
	if err != nil {
		// GLib allows types twice as deep as ParseType does.
		return nil, nil, nodeErr(n, nil, "variant nested too deeply")
	}
	v, err := n.value(t)
	if err != nil {
		return nil, nil, err
	}
	return t, v, nil
}

// withMaybes strips t's maybes, builds the base value and wraps it in as
// many Justs: "5" parses as mmi.
func withMaybes(t *Type, base func(*Type) (any, error)) (any, error) {
	depth := 0
	for t.Kind == 'm' {
		t = t.Elem
		depth++
	}
	v, err := base(t)
	if err != nil {
		return nil, err
	}
	for ; depth > 0; depth-- {
		v = Maybe{Valid: true, Value: v}
	}
	return v, nil
}

// patternCoalesce returns the most general pattern that refines both
// left and right, or false when they have no common refinement.
func patternCoalesce(left, right string) (string, bool) {
	out := make([]byte, 0, len(left)+len(right))
	l, r := 0, 0
	for l < len(left) && r < len(right) {
		if left[l] == right[r] {
			out = append(out, left[l])
			l++
			r++
			continue
		}
		matched := false
		for pass := 0; pass < 2 && !matched; pass++ {
			one, oneS, other, otherS := &l, left, &r, right
			if pass == 1 {
				one, oneS, other, otherS = &r, right, &l, left
			}
			c, d := oneS[*one], otherS[*other]
			matched = true
			switch {
			case c == '*' && d != ')':
				out, *other = patternCopy(out, otherS, *other)
				*one++
			case c == 'M' && d == 'm':
				out = append(out, d)
				*other++
			case c == 'M' && d != 'm' && d != '*':
				*one++
			case c == 'N' && strings.IndexByte("ynqiuxthd", d) >= 0,
				c == 'S' && strings.IndexByte("sog", d) >= 0:
				out = append(out, d)
				*other++
				*one++
			default:
				matched = false
			}
		}
		if !matched {
			break
		}
	}
	if l < len(left) || r < len(right) {
		return "", false
	}
	return string(out), true
}

// patternCopy appends the single complete pattern at s[i:] to out.
func patternCopy(out []byte, s string, i int) ([]byte, int) {
	for i < len(s) && (s[i] == 'a' || s[i] == 'm' || s[i] == 'M') {
		out = append(out, s[i])
		i++
	}
	brackets := 0
	for i < len(s) {
		switch s[i] {
		case '(', '{':
			brackets++
		case ')', '}':
			brackets--
		}
		out = append(out, s[i])
		i++
		if brackets == 0 {
			break
		}
	}
	return out, i
}

// patternOf folds patternCoalesce over the elements; on failure it
// names the first element that conflicts with the failing one.
func patternOf(elems []node) (string, error) {
	pat, err := elems[0].pattern()
	if err != nil {
		return "", err
	}
	for i := 1; i < len(elems); i++ {
		tmp, err := elems[i].pattern()
		if err != nil {
			return "", err
		}
		merged, ok := patternCoalesce(pat, tmp)
		if !ok {
			for j := 0; j < i; j++ {
				other, err := elems[j].pattern()
				if err != nil {
					return "", err
				}
				if _, ok := patternCoalesce(tmp, other); !ok {
					return "", nodeErr(elems[j], elems[i], "unable to find a common type")
				}
			}
			return "", nodeErr(elems[i], nil, "unable to find a common type")
		}
		pat = merged
	}
	return pat, nil
}

type parser struct {
	ts tokenStream
}

func (p *parser) parse(maxDepth int) (node, error) {
	ts := &p.ts
	if maxDepth == 0 {
		// GLib may report a stale position here; we name the next token.
		return nil, ts.errorf(false, "variant nested too deeply")
	}
	ts.prepare()
	start := ts.this
	var n node
	var err error
	switch {
	case ts.peek('['):
		n, err = p.parseArray(maxDepth)
	case ts.peek('('):
		n, err = p.parseTuple(maxDepth)
	case ts.peek('<'):
		n, err = p.parseVariant(maxDepth)
	case ts.peek('{'):
		n, err = p.parseDict(maxDepth)
	case ts.consume("true"):
		n = &boolNode{v: true}
	case ts.consume("false"):
		n = &boolNode{v: false}
	case ts.isNumeric() || ts.token() == "inf" || ts.token() == "nan":
		n = &numberNode{tok: ts.token()}
		ts.next()
	case ts.peek('n') || ts.peek('j'):
		n, err = p.parseMaybe(maxDepth)
	case ts.peek('@') || ts.isKeyword():
		n, err = p.parseTypeDecl(maxDepth)
	case ts.peek('\'') || ts.peek('"'):
		n, err = p.parseString()
	case ts.peek2('b', '\'') || ts.peek2('b', '"'):
		n, err = p.parseByteString()
	default:
		return nil, ts.errorf(false, "expected value")
	}
	if err != nil {
		return nil, err
	}
	*n.ref() = srcRef{start: start, end: ts.pos}
	return n, nil
}

type maybeNode struct {
	srcRef
	child node // nil for nothing
}

func (p *parser) parseMaybe(maxDepth int) (node, error) {
	ts := &p.ts
	if ts.consume("just") {
		child, err := p.parse(maxDepth - 1)
		if err != nil {
			return nil, err
		}
		return &maybeNode{child: child}, nil
	}
	if ts.consume("nothing") {
		return &maybeNode{}, nil
	}
	return nil, ts.errorf(true, "unknown keyword")
}

func (n *maybeNode) pattern() (string, error) {
	if n.child == nil {
		return "m*", nil
	}
	p, err := n.child.pattern()
	if err != nil {
		return "", err
	}
	return "m" + p, nil
}

func (n *maybeNode) value(t *Type) (any, error) {
	if t.Kind != 'm' {
		return nil, typeMismatch(n, t)
	}
	if n.child == nil {
		return Maybe{}, nil
	}
	v, err := n.child.value(t.Elem)
	if err != nil {
		return nil, err
	}
	return Maybe{Valid: true, Value: v}, nil
}

type arrayNode struct {
	srcRef
	elems []node
}

func (p *parser) parseArray(maxDepth int) (node, error) {
	ts := &p.ts
	ts.consume("[")
	n := &arrayNode{}
	for !ts.consume("]") {
		if len(n.elems) > 0 {
			if err := ts.require(",", " or ']' to follow array element"); err != nil {
				return nil, err
			}
		}
		child, err := p.parse(maxDepth - 1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, child)
	}
	return n, nil
}

func (n *arrayNode) pattern() (string, error) {
	if len(n.elems) == 0 {
		return "Ma*", nil
	}
	p, err := patternOf(n.elems)
	if err != nil {
		return "", err
	}
	return "Ma" + p, nil
}

func (n *arrayNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		if t.Kind != 'a' {
			return nil, typeMismatch(n, t)
		}
		if t.Elem.Kind == 'y' {
			out := make([]byte, 0, len(n.elems))
			for _, e := range n.elems {
				v, err := e.value(t.Elem)
				if err != nil {
					return nil, err
				}
				c, ok := v.(byte)
				if !ok {
					return nil, typeMismatch(e, t.Elem)
				}
				out = append(out, c)
			}
			return out, nil
		}
		out := make([]any, 0, len(n.elems))
		for _, e := range n.elems {
			v, err := e.value(t.Elem)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	})
}

type tupleNode struct {
	srcRef
	elems []node
}

func (p *parser) parseTuple(maxDepth int) (node, error) {
	ts := &p.ts
	ts.consume("(")
	n := &tupleNode{}
	for !ts.consume(")") {
		if len(n.elems) > 1 {
			if err := ts.require(",", " or ')' to follow tuple element"); err != nil {
				return nil, err
			}
		}
		child, err := p.parse(maxDepth - 1)
		if err != nil {
			return nil, err
		}
		n.elems = append(n.elems, child)
		// The first element always needs a comma: (1,) but not (1).
		if len(n.elems) == 1 {
			if err := ts.require(",", " after first tuple element"); err != nil {
				return nil, err
			}
		}
	}
	return n, nil
}

func (n *tupleNode) pattern() (string, error) {
	var b strings.Builder
	b.WriteString("M(")
	for _, e := range n.elems {
		p, err := e.pattern()
		if err != nil {
			return "", err
		}
		b.WriteString(p)
	}
	b.WriteByte(')')
	return b.String(), nil
}

func (n *tupleNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		if t.Kind != '(' || len(t.Fields) != len(n.elems) {
			// GLib fails on a member of the wrong type before noticing
			// a count mismatch; match its order.
			if t.Kind == '(' {
				for i := 0; i < len(n.elems) && i < len(t.Fields); i++ {
					if _, err := n.elems[i].value(t.Fields[i]); err != nil {
						return nil, err
					}
				}
			}
			return nil, typeMismatch(n, t)
		}
		out := make([]any, len(n.elems))
		for i, e := range n.elems {
			v, err := e.value(t.Fields[i])
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	})
}

type variantNode struct {
	srcRef
	child node
}

func (p *parser) parseVariant(maxDepth int) (node, error) {
	ts := &p.ts
	ts.consume("<")
	child, err := p.parse(maxDepth - 1)
	if err != nil {
		return nil, err
	}
	if err := ts.require(">", " to follow variant value"); err != nil {
		return nil, err
	}
	return &variantNode{child: child}, nil
}

func (n *variantNode) pattern() (string, error) { return "Mv", nil }

func (n *variantNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		if t.Kind != 'v' {
			return nil, typeMismatch(n, t)
		}
		ct, v, err := resolve(n.child)
		if err != nil {
			return nil, err
		}
		return Variant{Type: ct, Value: v}, nil
	})
}

// dictNode is a dictionary {k: v, ...} or, when entry is set, a single
// free-standing dict entry {k, v}.
type dictNode struct {
	srcRef
	keys, values []node
	entry        bool
}

func (p *parser) parseDict(maxDepth int) (node, error) {
	ts := &p.ts
	ts.consume("{")
	n := &dictNode{}
	if ts.consume("}") {
		return n, nil
	}
	key, err := p.parse(maxDepth - 1)
	if err != nil {
		return nil, err
	}
	n.keys = append(n.keys, key)
	n.entry = ts.consume(",")
	if !n.entry {
		if err := ts.require(":", " or ',' to follow dictionary entry key"); err != nil {
			return nil, err
		}
	}
	val, err := p.parse(maxDepth - 1)
	if err != nil {
		return nil, err
	}
	n.values = append(n.values, val)
	if n.entry {
		if err := ts.require("}", " at end of dictionary entry"); err != nil {
			return nil, err
		}
		return n, nil
	}
	for !ts.consume("}") {
		if err := ts.require(",", " or '}' to follow dictionary entry"); err != nil {
			return nil, err
		}
		key, err := p.parse(maxDepth - 1)
		if err != nil {
			return nil, err
		}
		n.keys = append(n.keys, key)
		if err := ts.require(":", " to follow dictionary entry key"); err != nil {
			return nil, err
		}
		val, err := p.parse(maxDepth - 1)
		if err != nil {
			return nil, err
		}
		n.values = append(n.values, val)
	}
	return n, nil
}

// pattern takes the key type from all keys but, as GLib does, the value
// type from the first value only.
func (n *dictNode) pattern() (string, error) {
	if len(n.keys) == 0 {
		return "Ma{**}", nil
	}
	kp, err := patternOf(n.keys)
	if err != nil {
		return "", err
	}
	key := kp[0]
	if key == 'M' {
		key = kp[1]
	}
	if strings.IndexByte("bynqiuxthdsogNS", key) < 0 {
		return "", nodeErr(n, nil, "dictionary keys must have basic types")
	}
	vp, err := n.values[0].pattern()
	if err != nil {
		return "", err
	}
	if n.entry {
		return "M{" + string(key) + vp + "}", nil
	}
	return "Ma{" + string(key) + vp + "}", nil
}

func (n *dictNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		if n.entry {
			if t.Kind != '{' {
				return nil, typeMismatch(n, t)
			}
			k, err := n.keys[0].value(t.Fields[0])
			if err != nil {
				return nil, err
			}
			v, err := n.values[0].value(t.Fields[1])
			if err != nil {
				return nil, err
			}
			return DictEntry{Key: k, Value: v}, nil
		}
		if t.Kind != 'a' || t.Elem.Kind != '{' {
			return nil, typeMismatch(n, t)
		}
		out := make([]any, 0, len(n.keys))
		for i := range n.keys {
			k, err := n.keys[i].value(t.Elem.Fields[0])
			if err != nil {
				return nil, err
			}
			v, err := n.values[i].value(t.Elem.Fields[1])
			if err != nil {
				return nil, err
			}
			out = append(out, DictEntry{Key: k, Value: v})
		}
		return out, nil
	})
}

type stringNode struct {
	srcRef
	s string
}

func (p *parser) parseString() (node, error) {
	ts := &p.ts
	ts.prepare()
	start, tok := ts.this, ts.token()
	unterminated := &ParseError{Start: start, End: ts.pos, Msg: "unterminated string constant"}
	quote := tok[0]
	var b []byte
	i := 1
	for {
		if i >= len(tok) {
			return nil, unterminated
		}
		c := tok[i]
		if c == quote {
			break
		}
		if c == '\\' {
			i++
			if i >= len(tok) {
				return nil, unterminated
			}
			switch e := tok[i]; e {
			case 'u', 'U':
				length := 4
				if e == 'U' {
					length = 8
				}
				r, err := unicodeUnescape(tok, i+1, length, start)
				if err != nil {
					return nil, err
				}
				b = appendUnichar(b, r)
				i += 1 + length
				continue
			case '\n':
				i++
				continue
			default:
				if x, ok := cEscape(e); ok {
					b = append(b, x)
					i++
					continue
				}
			}
		}
		b = append(b, tok[i])
		i++
	}
	ts.next()
	return &stringNode{s: string(b)}, nil
}

// cEscape maps the letter of a C escape such as \n to its byte.
func cEscape(c byte) (byte, bool) {
	switch c {
	case 'a':
		return '\a', true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'v':
		return '\v', true
	}
	return 0, false
}

// unicodeUnescape reads exactly length hex digits at tok[i:]; zero is
// rejected, as GLib does.
func unicodeUnescape(tok string, i, length, tokStart int) (uint32, error) {
	valid := 0
	for valid < length && i+valid < len(tok) && isHex(tok[i+valid]) {
		valid++
	}
	var v uint64
	if valid == length {
		v, _ = strconv.ParseUint(tok[i:i+length], 16, 32)
	}
	if v == 0 {
		return 0, &ParseError{Start: tokStart + i, End: tokStart + i + valid,
			Msg: fmt.Sprintf("invalid %d-character unicode escape", length)}
	}
	return uint32(v), nil
}

// appendUnichar encodes r as g_unichar_to_utf8 does, which for
// surrogates and values past U+10FFFF yields invalid UTF-8 that the
// value pass then rejects.
func appendUnichar(b []byte, r uint32) []byte {
	if r <= utf8.MaxRune && !(0xd800 <= r && r < 0xe000) {
		return utf8.AppendRune(b, rune(r))
	}
	// Any invalid byte sequence will do: the string is rejected later.
	return append(b, 0xff)
}

func (n *stringNode) pattern() (string, error) { return "MS", nil }

func (n *stringNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		switch t.Kind {
		case 's':
			if !utf8.ValidString(n.s) {
				return nil, nodeErr(n, nil, "string is not valid UTF-8")
			}
		case 'o':
			if !isObjectPath(n.s) {
				return nil, nodeErr(n, nil, "not a valid object path")
			}
		case 'g':
			if !isSignature(n.s) {
				return nil, nodeErr(n, nil, "not a valid signature")
			}
		default:
			return nil, typeMismatch(n, t)
		}
		return n.s, nil
	})
}

type byteStringNode struct {
	srcRef
	b []byte // including the terminating NUL
}

func (p *parser) parseByteString() (node, error) {
	ts := &p.ts
	ts.prepare()
	tok := ts.token()
	unterminated := &ParseError{Start: ts.this, End: ts.pos, Msg: "unterminated string constant"}
	quote := tok[1]
	var b []byte
	i := 2
	for {
		if i >= len(tok) {
			return nil, unterminated
		}
		c := tok[i]
		if c == quote {
			break
		}
		if c == '\\' {
			i++
			if i >= len(tok) {
				return nil, unterminated
			}
			e := tok[i]
			switch {
			case '0' <= e && e <= '7':
				// Up to three octal digits; \777 wraps to a byte.
				v := e - '0'
				i++
				for k := 0; k < 2 && i < len(tok) && '0' <= tok[i] && tok[i] <= '7'; k++ {
					v = v<<3 | (tok[i] - '0')
					i++
				}
				b = append(b, v)
				continue
			case e == '\n':
				i++
				continue
			default:
				if x, ok := cEscape(e); ok {
					b = append(b, x)
					i++
					continue
				}
			}
		}
		b = append(b, tok[i])
		i++
	}
	ts.next()
	// g_variant_new_bytestring stops at the first NUL and keeps one.
	for j, c := range b {
		if c == 0 {
			b = b[:j]
			break
		}
	}
	return &byteStringNode{b: append(b, 0)}, nil
}

func (n *byteStringNode) pattern() (string, error) { return "May", nil }

func (n *byteStringNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		if t.str != "ay" {
			return nil, typeMismatch(n, t)
		}
		return append([]byte(nil), n.b...), nil
	})
}

type boolNode struct {
	srcRef
	v bool
}

func (n *boolNode) pattern() (string, error) { return "Mb", nil }

func (n *boolNode) value(t *Type) (any, error) {
	return withMaybes(t, func(t *Type) (any, error) {
		if t.Kind != 'b' {
			return nil, typeMismatch(n, t)
		}
		return n.v, nil
	})
}

type typeDeclNode struct {
	srcRef
	typ   *Type
	child node
}

var keywordTypes = map[string]string{
	"boolean": "b", "byte": "y", "int16": "n", "uint16": "q", "int32": "i",
	"handle": "h", "uint32": "u", "int64": "x", "uint64": "t", "double": "d",
	"string": "s", "objectpath": "o", "signature": "g",
}

func (p *parser) parseTypeDecl(maxDepth int) (node, error) {
	ts := &p.ts
	var t *Type
	if ts.peek('@') {
		s := ts.token()[1:]
		end, depth, ok := scanType(s, 0, maxParseDepth)
		if !ok || end != len(s) {
			return nil, ts.errorf(true, "invalid type declaration")
		}
		if depth > maxDepth {
			return nil, ts.errorf(true, "type declaration recurses too deeply")
		}
		if strings.ContainsAny(s, "*?r") {
			return nil, ts.errorf(true, "type declarations must be definite")
		}
		var err error
		if t, err = ParseType(s); err != nil {
			// Valid for GLib, but deeper than ParseType allows.
			return nil, ts.errorf(true, "type declaration recurses too deeply")
		}
		ts.next()
	} else {
		s, ok := keywordTypes[ts.token()]
		if !ok {
			return nil, ts.errorf(true, "unknown keyword")
		}
		ts.next()
		t = MustType(s)
	}
	child, err := p.parse(maxDepth - 1)
	if err != nil {
		return nil, err
	}
	return &typeDeclNode{typ: t, child: child}, nil
}

func (n *typeDeclNode) pattern() (string, error) { return n.typ.str, nil }

// value ignores the declared type when the caller gives one, as GLib
// does: Parse(s, "@i 'x'") is 'x'.
func (n *typeDeclNode) value(t *Type) (any, error) { return n.child.value(t) }

// scanType checks the type string at s[i:] as GLib's
// variant_type_string_scan_internal does, indefinite types included, and
// returns its end and nesting depth.
func scanType(s string, i, limit int) (end, depth int, ok bool) {
	if i >= len(s) {
		return 0, 0, false
	}
	c := s[i]
	i++
	switch c {
	case '(':
		for i >= len(s) || s[i] != ')' {
			if limit == 0 {
				return 0, 0, false
			}
			e, d, ok := scanType(s, i, limit-1)
			if !ok {
				return 0, 0, false
			}
			i, depth = e, max(depth, d+1)
		}
		return i + 1, depth, true
	case '{':
		if limit == 0 || i >= len(s) || strings.IndexByte("bynqihuxtdsog?", s[i]) < 0 {
			return 0, 0, false
		}
		e, d, ok := scanType(s, i+1, limit-1)
		if !ok || e >= len(s) || s[e] != '}' {
			return 0, 0, false
		}
		return e + 1, d + 1, true
	case 'm', 'a':
		if limit == 0 {
			return 0, 0, false
		}
		e, d, ok := scanType(s, i, limit-1)
		if !ok {
			return 0, 0, false
		}
		return e, d + 1, true
	case 'b', 'y', 'n', 'q', 'i', 'u', 'x', 't', 'd', 's', 'o', 'g', 'v', 'r', '*', '?', 'h':
		return i, 1, true
	}
	return 0, 0, false
}

// isObjectPath is g_variant_is_object_path: "/" or slash-separated
// non-empty elements of [A-Za-z0-9_].
func isObjectPath(s string) bool {
	if !validString(s) || s == "" || s[0] != '/' {
		return false
	}
	for i := 1; i < len(s); i++ {
		switch c := s[i]; {
		case isAlnum(c) || c == '_':
		case c == '/':
			if s[i-1] == '/' {
				return false
			}
		default:
			return false
		}
	}
	return len(s) == 1 || s[len(s)-1] != '/'
}

// isSignature is g_variant_is_signature: zero or more complete definite
// types, without maybes.
func isSignature(s string) bool {
	if !validString(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("ybnqiuxthdvasog(){}", s[i]) < 0 {
			return false
		}
	}
	for i := 0; i < len(s); {
		e, _, ok := scanType(s, i, maxParseDepth)
		if !ok {
			return false
		}
		i = e
	}
	return true
}

type numberNode struct {
	srcRef
	tok string
}

func (n *numberNode) pattern() (string, error) {
	t := n.tok
	if strings.Contains(t, ".") || (!strings.HasPrefix(t, "0x") && strings.Contains(t, "e")) ||
		strings.Contains(t, "inf") || strings.Contains(t, "nan") {
		return "Md", nil
	}
	return "MN", nil
}

func (n *numberNode) value(t *Type) (any, error) {
	return withMaybes(t, n.baseValue)
}

func (n *numberNode) baseValue(t *Type) (any, error) {
	tok := n.tok
	badChar := func(end int) error {
		s := n.start + end
		return &ParseError{Start: s, End: s + 1, Msg: "invalid character in number"}
	}
	if t.Kind == 'd' {
		f, end, erange := cStrtod(tok)
		if f != 0 && erange {
			return nil, nodeErr(n, nil, "number too big for any type")
		}
		if end != len(tok) {
			return nil, badChar(end)
		}
		return f, nil
	}
	neg := tok[0] == '-'
	off := 0
	if neg {
		off = 1
	}
	abs, end, overflow := cStrtoull(tok[off:])
	if overflow {
		return nil, nodeErr(n, nil, "integer too big for any type")
	}
	end += off
	if abs == 0 {
		neg = false
	}
	if end != len(tok) {
		return nil, badChar(end)
	}
	// With neg set, abs >= 1 and the limit on the negative side is one
	// larger: abs-1 must fit.
	var n1 uint64
	if neg {
		n1 = 1
	}
	outOfRange := func() (any, error) {
		return nil, nodeErr(n, nil, "number out of range for type '%c'", t.Kind)
	}
	switch t.Kind {
	case 'y':
		if neg || abs > math.MaxUint8 {
			return outOfRange()
		}
		return byte(abs), nil
	case 'n':
		if abs-n1 > math.MaxInt16 {
			return outOfRange()
		}
		return int16(signed(abs, neg)), nil
	case 'q':
		if neg || abs > math.MaxUint16 {
			return outOfRange()
		}
		return uint16(abs), nil
	case 'i':
		if abs-n1 > math.MaxInt32 {
			return outOfRange()
		}
		return int32(signed(abs, neg)), nil
	case 'h':
		if abs-n1 > math.MaxInt32 {
			return outOfRange()
		}
		return uint32(int32(signed(abs, neg))), nil
	case 'u':
		if neg || abs > math.MaxUint32 {
			return outOfRange()
		}
		return uint32(abs), nil
	case 'x':
		if abs-n1 > math.MaxInt64 {
			return outOfRange()
		}
		return signed(abs, neg), nil
	case 't':
		if neg {
			return outOfRange()
		}
		return abs, nil
	}
	return nil, typeMismatch(n, t)
}

// signed negates abs when neg is set; the caller has range-checked it.
func signed(abs uint64, neg bool) int64 {
	if neg {
		return int64(-abs) // two's complement; -(1<<63) stays exact
	}
	return int64(abs)
}

// cStrtoull mimics glibc's strtoull(s, &end, 0), which GLib calls:
// an optional sign (a minus negates modulo 2^64), then 0x hex, 0 octal or
// decimal digits. end is 0 when no digits were read, and overflow
// reports ERANGE.
func cStrtoull(s string) (v uint64, end int, overflow bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+2 < len(s) && s[i] == '0' && s[i+1]|0x20 == 'x' && isHex(s[i+2]):
		base = 16
		i += 2
	case i < len(s) && s[i] == '0':
		// Also "0x" without hex digits: the 0 is read and end is the x.
		base = 8
	}
	start := i
	for ; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case isAlpha(c):
			d = uint64(c|0x20-'a') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if v > (math.MaxUint64-d)/base {
			overflow = true
		}
		v = v*base + d
	}
	if i == start {
		return 0, 0, false
	}
	if overflow {
		return math.MaxUint64, i, true
	}
	if neg {
		v = -v
	}
	return v, i, false
}

// cStrtod mimics glibc's strtod(s, &end) in the C locale, which
// g_ascii_strtod calls: decimal and hex floats, inf, infinity and nan in
// any case. erange is set on overflow, and on underflow when the result
// is inexact and tiny after rounding (x86's rule), which makes GLib
// reject most subnormals. end is 0 when nothing was read.
func cStrtod(s string) (f float64, end int, erange bool) {
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"), strings.HasPrefix(rest, "inf"):
		n := 3
		if strings.HasPrefix(rest, "infinity") {
			n = 8
		}
		if neg {
			return math.Inf(-1), i + n, false
		}
		return math.Inf(1), i + n, false
	case strings.HasPrefix(rest, "nan"):
		bits := uint64(0x7ff8000000000000)
		if neg {
			bits |= 1 << 63
		}
		return math.Float64frombits(bits), i + 3, false
	}
	var goSyntax string
	if i+1 < len(s) && s[i] == '0' && s[i+1]|0x20 == 'x' {
		if e, ok := scanFloat(s, i+2, isHex, 'p'); ok {
			end = e
			goSyntax = s[:end]
			if !strings.ContainsAny(goSyntax, "pP") {
				goSyntax += "p0"
			}
		}
	}
	if goSyntax == "" {
		e, ok := scanFloat(s, i, isDigit, 'e')
		if !ok {
			return 0, 0, false
		}
		end = e
		goSyntax = s[:end]
	}
	f, err := strconv.ParseFloat(goSyntax, 64)
	if errors.Is(err, strconv.ErrRange) {
		if math.IsInf(f, 0) {
			return f, end, true
		}
		err = nil // an underflow to zero, which GLib accepts
	}
	if err != nil {
		// Unreachable: scanFloat only passes syntax ParseFloat accepts.
		return 0, 0, false
	}
	if a := math.Abs(f); a != 0 && a <= 0x1p-1022 {
		erange = tinyInexact(goSyntax, a)
	}
	return f, end, erange
}

// scanFloat returns the end of digits [. digits] [exp [sign] digits] at
// s[i:], where at least one mantissa digit is needed and an exponent
// without digits is not part of the number.
func scanFloat(s string, i int, digit func(byte) bool, exp byte) (int, bool) {
	n := 0
	for ; i < len(s) && digit(s[i]); i++ {
		n++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && digit(s[i]); i++ {
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	if i < len(s) && s[i]|0x20 == exp {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	return i, true
}

// tinyThreshold is the midpoint between 2^-1022 and the next smaller
// 53-bit value: below it a value rounds to less than 2^-1022 even with an
// unbounded exponent, so glibc reports underflow. It is computed on first
// use, not at init: binaries that never parse text (gostree-prepare-root)
// should not pay for the big-number arithmetic at start-up.
var tinyThreshold = sync.OnceValue(func() *big.Rat {
	return new(big.Rat).Sub(
		new(big.Rat).SetFloat64(0x1p-1022),
		new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), 1076)))
})

// tinyInexact reports whether the exact value of the number text differs
// from its rounded magnitude a and lies below tinyThreshold. The text's
// exponent is bounded by its length here, since a is subnormal.
func tinyInexact(text string, a float64) bool {
	r, ok := new(big.Rat).SetString(text)
	if !ok {
		return false
	}
	r.Abs(r)
	return r.Cmp(new(big.Rat).SetFloat64(a)) != 0 && r.Cmp(tinyThreshold()) < 0
}
