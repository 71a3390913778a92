package planner

import "encoding/binary"

// ShapeKey appends a canonical encoding of q's structure to dst: everything
// that decides the SQL text, and none of the values that become bind
// parameters (filter operands, in lists, fts languages' text, JSON path keys
// of filters and orders, limit and offset numbers). Two queries with equal
// keys yield the same SQL text for the same target and options.
//
// Select JSON keys are part of the shape: the last key names the output
// column. Every string is length-prefixed and every list counted, so the
// encoding is unambiguous.
func (q *Query) ShapeKey(dst []byte) []byte {
	dst = append(dst, 'v', '1')
	dst = appendKeyCount(dst, len(q.Select))
	for i := range q.Select {
		dst = appendSelectKey(dst, &q.Select[i])
	}
	dst = appendKeyCount(dst, len(q.Filters))
	for i := range q.Filters {
		dst = appendKeyPath(dst, q.Filters[i].Path)
		dst = appendFilterKey(dst, &q.Filters[i])
	}
	dst = appendKeyCount(dst, len(q.Logic))
	for i := range q.Logic {
		dst = appendKeyPath(dst, q.Logic[i].Path)
		dst = appendLogicKey(dst, &q.Logic[i].Tree)
	}
	dst = appendKeyCount(dst, len(q.Order))
	for i := range q.Order {
		o := &q.Order[i]
		dst = appendKeyPath(dst, o.Path)
		dst = appendKeyCount(dst, len(o.Terms))
		for j := range o.Terms {
			t := &o.Terms[j]
			dst = appendKeyStr(dst, t.Relation)
			dst = appendFieldShape(dst, t.Field)
			dst = append(dst, byte(t.Dir), byte(t.Nulls))
		}
	}
	dst = appendKeyCount(dst, len(q.Ranges))
	for i := range q.Ranges {
		r := &q.Ranges[i]
		dst = appendKeyPath(dst, r.Path)
		dst = append(dst, keyBool(r.HasLimit), keyBool(r.HasOffset))
	}
	dst = append(dst, keyBool(q.HasRange), keyBool(q.HasColumns))
	dst = appendKeyPath(dst, q.Columns)
	dst = appendColumnEmbedsKey(dst, q.ColumnEmbeds)
	dst = append(dst, keyBool(q.HasOnConflict))
	dst = appendKeyPath(dst, q.OnConflict)
	dst = append(dst, byte(q.Distinct), keyBool(q.HasAfter))
	dst = appendKeyPath(dst, q.DistinctOn)
	dst = appendKeyCount(dst, len(q.EmbedDistinct))
	for i := range q.EmbedDistinct {
		d := &q.EmbedDistinct[i]
		dst = appendKeyPath(dst, d.Path)
		dst = append(dst, byte(d.Kind))
		dst = appendKeyPath(dst, d.On)
	}
	// A call's argument names (their values are bound), in URL order: the
	// plan binds each by its position.
	dst = appendKeyCount(dst, len(q.CallArgs))
	for i := range q.CallArgs {
		dst = appendKeyStr(dst, q.CallArgs[i].Key)
	}
	return dst
}

func keyBool(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func appendKeyCount(dst []byte, n int) []byte { return binary.AppendUvarint(dst, uint64(n)) }

func appendKeyStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendKeyPath(dst []byte, path []string) []byte {
	dst = appendKeyCount(dst, len(path))
	for _, p := range path {
		dst = appendKeyStr(dst, p)
	}
	return dst
}

// appendFieldShape encodes a field without its JSON keys (they are bound).
func appendFieldShape(dst []byte, f Field) []byte {
	dst = appendKeyStr(dst, f.Name)
	dst = appendKeyCount(dst, len(f.JSON))
	for _, st := range f.JSON {
		dst = append(dst, keyBool(st.Text)<<1|keyBool(st.Index))
	}
	return dst
}

func appendSelectKey(dst []byte, it *SelectItem) []byte {
	dst = append(dst, byte(it.Kind), byte(it.Agg), byte(it.Join))
	dst = appendKeyStr(dst, it.Alias)
	dst = appendKeyStr(dst, it.Field.Name)
	dst = appendKeyCount(dst, len(it.Field.JSON))
	for _, st := range it.Field.JSON {
		dst = append(dst, keyBool(st.Text)<<1|keyBool(st.Index))
		dst = appendKeyStr(dst, st.Key)
	}
	dst = appendKeyStr(dst, it.Cast)
	dst = appendKeyStr(dst, it.AggCast)
	dst = appendKeyStr(dst, it.Relation)
	dst = appendKeyStr(dst, it.Hint)
	dst = appendKeyCount(dst, len(it.Children))
	for i := range it.Children {
		dst = appendSelectKey(dst, &it.Children[i])
	}
	return dst
}

func appendFilterKey(dst []byte, f *Filter) []byte {
	dst = appendFieldShape(dst, f.Field)
	e := &f.Expr
	dst = append(dst, byte(e.Op), keyBool(e.Not), byte(e.Quant), byte(e.Is), keyBool(e.HasLang))
	return dst
}

func appendLogicKey(dst []byte, l *Logic) []byte {
	if l.Leaf != nil {
		dst = append(dst, 'f')
		return appendFilterKey(dst, l.Leaf)
	}
	dst = append(dst, 't', keyBool(l.Not), keyBool(l.Or))
	dst = appendKeyCount(dst, len(l.Children))
	for i := range l.Children {
		dst = appendLogicKey(dst, &l.Children[i])
	}
	return dst
}

func appendKeyInt(dst []byte, n int64) []byte { return binary.AppendVarint(dst, n) }

func appendColumnEmbedsKey(dst []byte, es []ColumnEmbed) []byte {
	dst = appendKeyCount(dst, len(es))
	for i := range es {
		e := &es[i]
		dst = appendKeyStr(dst, e.Relation)
		dst = appendKeyStr(dst, e.Hint)
		dst = appendKeyPath(dst, e.Columns)
		dst = appendColumnEmbedsKey(dst, e.Embeds)
	}
	return dst
}
