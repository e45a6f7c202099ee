package templates

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The A/B rule of a canary (spec.analysis.match) is a list of Istio
// HTTPMatchRequests; each router writes it its own way.

// mergeMatch is Flagger's mergeMatchConditions: each match of the A/B rule
// combined with each of the service's (spec.service.match): a copy of the
// service's match with the fields keys of the rule's replacing its own.
// Without service matches, the rule's as they are.
func mergeMatch(rule, service *yaml.Node, keys ...string) *yaml.Node {
	if service == nil || len(service.Content) == 0 {
		return rule
	}
	out := seq()
	for _, r := range rule.Content {
		for _, s := range service.Content {
			m := yaml.NewRNode(s).Copy().YNode()
			for _, k := range keys {
				if v := yaml.NewRNode(r).Field(k); v != nil {
					setField(m, k, yaml.NewRNode(v.Value.YNode()).Copy().YNode())
				}
			}
			out.Content = append(out.Content, m)
		}
	}
	return out
}

// setField sets key to v in a mapping node, in place of its value or last.
func setField(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, str(key), v)
}

// cookieMatch is the Istio match of the requests that carry cookie
// ("name=value"), as Flagger's session affinity writes it.
func cookieMatch(cookie string) []any {
	name, value, _ := strings.Cut(cookie, "=")
	return []any{map[string]any{"headers": map[string]any{cookieHeader: map[string]any{"regex": fmt.Sprintf(".*%s.*%s.*", name, value)}}}}
}

// Session affinity's headers.
const (
	cookieHeader    = "Cookie"
	setCookieHeader = "Set-Cookie"
)

// expired is the Set-Cookie value that expires a cookie ("name=value").
func expired(cookie string) string { return cookie + "; Max-Age=-1" }

// setCookieName returns the "name=value" of a Set-Cookie header value.
func setCookieName(v string) string {
	c, _, _ := strings.Cut(v, ";")
	return strings.TrimSpace(c)
}

// headerMatch is one header condition of an A/B rule: the header's name,
// the Istio StringMatch kind (exact, prefix, suffix, regex) and its value.
type headerMatch struct {
	name, kind, value string
}

// headerMatches reads the header conditions of an A/B rule, for the
// routers that match headers only (NGINX, Contour, Gloo, App Mesh): every
// match's headers, in order, names sorted within a match. A field other
// than headers (and, for Gloo, method) or a StringMatch kind the router
// cannot write is a problem naming the field.
func headerMatches(provider string, match []any, fields, kinds []string) ([]headerMatch, []problem) {
	var out []headerMatch
	var problems []problem
	for i, m := range match {
		mm, _ := m.(map[string]any)
		for _, k := range slices.Sorted(maps.Keys(mm)) {
			if k != "headers" && !slices.Contains(fields, k) {
				problems = append(problems, problem{fmt.Sprintf("spec.analysis.match[%d].%s", i, k), fmt.Sprintf("provider %s matches A/B tests by headers only", provider)})
			}
		}
		headers, _ := mm["headers"].(map[string]any)
		for _, name := range slices.Sorted(maps.Keys(headers)) {
			sm, _ := headers[name].(map[string]any)
			kind, value := "", ""
			for _, k := range []string{"exact", "prefix", "suffix", "regex"} {
				if v, ok := sm[k].(string); ok && v != "" {
					kind, value = k, v
					break
				}
			}
			if !slices.Contains(kinds, kind) {
				problems = append(problems, problem{fmt.Sprintf("spec.analysis.match[%d].headers.%s", i, name), fmt.Sprintf("provider %s matches a header by %s", provider, orList(kinds))})
				continue
			}
			out = append(out, headerMatch{name: name, kind: kind, value: value})
		}
	}
	return out, problems
}

// orList writes "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}
