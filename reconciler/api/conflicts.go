package api

import (
	"fmt"
	"sort"
	"strings"
)

// Conflicts splits canaries into those that collide with no other canary
// and one *FieldError per canary that does. Two canaries collide when they
// have the same namespace and name (both would be initialized, two
// podinfo-primary for one cluster, and the CLI could address neither), the
// same name in the same app directory (they would share one generated
// folder), or the same target in the same namespace (both would generate
// its -primary). Every canary of a
// collision is refused, not the second one found: which one is "second"
// depends on file names, not on intent.
func Conflicts(cs []*Canary) (unique []*Canary, errs []error) {
	byID := map[string][]*Canary{}
	byDir := map[string][]*Canary{}
	byTarget := map[string][]*Canary{}
	for _, c := range cs {
		byID[c.ID()] = append(byID[c.ID()], c)
		k := c.Source.AppDir + "\x00" + c.Metadata.Name
		byDir[k] = append(byDir[k], c)
		if t := targetKey(c); t != "" {
			byTarget[t] = append(byTarget[t], c)
		}
	}
	for _, c := range cs {
		var msgs []string
		if others := except(byID[c.ID()], c); len(others) > 0 {
			msgs = append(msgs, fmt.Sprintf("Canary %s is also defined in %s: namespace and name must be unique in the repository", c.ID(), sources(others)))
		}
		var sameDir []*Canary
		for _, o := range except(byDir[c.Source.AppDir+"\x00"+c.Metadata.Name], c) {
			if o.ID() != c.ID() {
				sameDir = append(sameDir, o)
			}
		}
		if len(sameDir) > 0 {
			msgs = append(msgs, fmt.Sprintf("Canary %s in %s has the same name in the same app directory %s: they would share one generated folder", sameDir[0].ID(), sources(sameDir), c.Source.AppDir))
		}
		field := "metadata.name"
		var sameTarget []*Canary
		for _, o := range except(byTarget[targetKey(c)], c) {
			if o.ID() != c.ID() {
				sameTarget = append(sameTarget, o)
			}
		}
		if len(sameTarget) > 0 {
			if len(msgs) == 0 {
				field = "spec.targetRef"
			}
			t := c.Spec.TargetRef
			msgs = append(msgs, fmt.Sprintf("Canary %s in %s also targets %s %s/%s: both would generate %s-primary", sameTarget[0].ID(), sources(sameTarget), t.Kind, c.Metadata.Namespace, t.Name, t.Name))
		}
		if len(msgs) == 0 {
			unique = append(unique, c)
			continue
		}
		errs = append(errs, &FieldError{
			Source: c.Source,
			Object: ObjectName(KindCanary, c.Metadata.Namespace, c.Metadata.Name),
			Field:  field,
			Msg:    "conflict, canary refused: " + strings.Join(msgs, "; "),
		})
	}
	return unique, errs
}

// targetKey identifies a canary's target in its cluster, or is "" when the
// canary names none.
func targetKey(c *Canary) string {
	t := c.Spec.TargetRef
	if t.Name == "" {
		return ""
	}
	return c.Metadata.Namespace + "\x00" + t.Kind + "\x00" + t.Name
}

func except(cs []*Canary, c *Canary) []*Canary {
	var out []*Canary
	for _, o := range cs {
		if o != c {
			out = append(out, o)
		}
	}
	return out
}

func sources(cs []*Canary) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.Source.String()
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}
