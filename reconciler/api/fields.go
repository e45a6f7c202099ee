package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// The fields a document may set are the JSON names of the Go types it
// decodes into: a key that is none of them (a typo such as "stepWieght")
// is named in a warning and dropped, so that encoding/json, which matches
// names case-insensitively, cannot take "StepWeight" for "stepWeight"
// either. Values typed any, map[string]any or json.RawMessage are passed
// through as they are (Istio match rules, traffic policies).

// fieldProblem is a finding of fieldWalker at a field.
type fieldProblem struct {
	field string
	msg   string
}

// fieldWalker checks decoded values against the type they decode into.
type fieldWalker struct {
	// unknown are keys no field has; errs are values that cannot be what
	// their field wants (durations); unsupported are the fields of
	// unsupportedFields the document sets.
	unknown, errs []fieldProblem
	unsupported   []unsupportedHit
}

type unsupportedHit struct {
	field string
	entry *unsupportedField
}

var (
	durationType   = reflect.TypeFor[Duration]()
	timeType       = reflect.TypeFor[time.Time]()
	objectMetaType = reflect.TypeFor[ObjectMeta]()
	rawType        = reflect.TypeFor[json.RawMessage]()
)

// apiServerMetadata are the metadata fields the Kubernetes API sets: a
// Canary copied out of a cluster has them, and they mean nothing here.
var apiServerMetadata = map[string]bool{
	"uid": true, "resourceVersion": true, "generation": true, "creationTimestamp": true,
	"deletionTimestamp": true, "deletionGracePeriodSeconds": true, "ownerReferences": true,
	"finalizers": true, "managedFields": true, "selfLink": true, "generateName": true,
}

// walk checks v, decoded at path, against t. It reports whether v is a
// value its field cannot take (an invalid duration), which the caller
// drops so that decoding goes on and finds the document's other problems.
func (w *fieldWalker) walk(v any, t reflect.Type, path string) (drop bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t {
	case durationType:
		return w.duration(v, path)
	case timeType:
		return w.time(v, path)
	}
	switch t.Kind() {
	case reflect.Struct:
		if m, ok := v.(map[string]any); ok { // else encoding/json names the type mismatch
			w.object(m, t, path)
		}
	case reflect.Map:
		m, ok := v.(map[string]any)
		if !ok || t.Elem().Kind() == reflect.Interface {
			return false
		}
		for k, e := range m {
			if w.walk(e, t.Elem(), join(path, k)) {
				delete(m, k)
			}
		}
	case reflect.Slice:
		s, ok := v.([]any)
		if !ok || t == rawType || t.Elem().Kind() == reflect.Interface {
			return false
		}
		for i, e := range s {
			if w.walk(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)) {
				s[i] = nil
			}
		}
	}
	return false
}

func (w *fieldWalker) object(m map[string]any, t reflect.Type, path string) {
	fields := jsonFields(t)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := join(path, k)
		ft, known := fields[k]
		if e := unsupportedByField[listPattern(p)]; e != nil {
			if isSet(m[k]) {
				w.unsupported = append(w.unsupported, unsupportedHit{field: p, entry: e})
			}
			if !known {
				delete(m, k)
				continue
			}
		}
		switch {
		case known:
			if w.walk(m[k], ft, p) {
				delete(m, k)
			}
		case t == objectMetaType && apiServerMetadata[k]:
			delete(m, k)
		default:
			msg := "unknown field, ignored"
			if s := suggest(k, fields); s != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", s)
			}
			w.unknown = append(w.unknown, fieldProblem{field: p, msg: msg})
			delete(m, k)
		}
	}
}

func (w *fieldWalker) duration(v any, path string) (drop bool) {
	s, ok := v.(string)
	if !ok {
		if v != nil {
			w.errs = append(w.errs, fieldProblem{field: path, msg: fmt.Sprintf("want a duration such as \"30s\", got %v", v)})
		}
		return v != nil
	}
	if s == "" {
		return false
	}
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		w.errs = append(w.errs, fieldProblem{field: path, msg: fmt.Sprintf("invalid duration %q (want a number and a unit: \"90s\", \"1m30s\")", s)})
	case d < 0:
		w.errs = append(w.errs, fieldProblem{field: path, msg: fmt.Sprintf("must not be negative, got %s", s)})
	default:
		return false
	}
	return true
}

func (w *fieldWalker) time(v any, path string) (drop bool) {
	if v == nil {
		return false
	}
	s, ok := v.(string)
	if _, err := time.Parse(time.RFC3339, s); !ok || err != nil {
		w.errs = append(w.errs, fieldProblem{field: path, msg: fmt.Sprintf("want a time as \"2026-11-22T10:00:00Z\" (RFC 3339), got %v", v)})
		return true
	}
	return false
}

// isSet reports whether a decoded value is other than a zero value.
func isSet(v any) bool {
	switch t := v.(type) {
	case nil:
		return false
	case bool:
		return t
	case int64:
		return t != 0
	case float64:
		return t != 0
	case string:
		return t != ""
	case []any:
		return len(t) > 0
	case map[string]any:
		return len(t) > 0
	}
	return true
}

// indexRe matches the list indices of a field path.
var indexRe = regexp.MustCompile(`\[\d+\]`)

// listPattern writes a path's list indices as "[]".
func listPattern(path string) string {
	return indexRe.ReplaceAllString(path, "[]")
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// jsonFields returns the JSON field names of struct type t and their
// types, as encoding/json sees them (untagged embedded structs inlined).
func jsonFields(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range jsonFields(ft) {
				m[k] = v
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		m[name] = f.Type
	}
	fieldCache.Store(t, m)
	return m
}

// suggest returns the known field closest to an unknown key: the same but
// for case, or at most two edits away.
func suggest(key string, fields map[string]reflect.Type) string {
	if len(key) > 64 {
		return ""
	}
	best, bestD := "", 3
	for f := range fields {
		if strings.EqualFold(f, key) {
			return f
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(f)); d < bestD || (d == bestD && f < best) {
			best, bestD = f, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance of two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
