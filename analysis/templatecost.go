package analysis

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/template"
	"text/template/parse"
)

// MaxQueryBytes bounds a rendered query: a template whose output grows past
// it (nested {{define}}/{{template}} calls multiply text) is an error, not
// gigabytes of memory.
const MaxQueryBytes = 64 << 10

// maxTemplateCost bounds the work a query template may do: the number of
// nodes its execution visits, counted before it runs. Nested template
// calls and ranges multiply it.
const maxTemplateCost = 100_000

// rangeGuess is the count assumed for a range over something other than
// an integer literal or the metric's variables.
const rangeGuess = 100

var errQueryTooLong = fmt.Errorf("the rendered query is longer than %d bytes", MaxQueryBytes)

// limitedBuilder is a strings.Builder that refuses to grow past max.
type limitedBuilder struct {
	strings.Builder
	max int
}

func (b *limitedBuilder) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, errQueryTooLong
	}
	return b.Builder.Write(p)
}

// checkCost rejects a template that calls itself or whose execution would
// visit more than maxTemplateCost nodes. vars is the number of the
// metric's templateVariables (what a range over variables visits).
func checkCost(t *template.Template, vars int) error {
	c := &coster{t: t, vars: max(vars, 1), memo: map[string]float64{}, active: map[string]bool{}}
	cost, err := c.template(t.Name())
	if err != nil {
		return err
	}
	if cost > maxTemplateCost {
		return fmt.Errorf("query template too expensive: executing it visits about %.3g nodes (limit %d); nested {{template}} calls or ranges multiply", cost, maxTemplateCost)
	}
	return nil
}

type coster struct {
	t      *template.Template
	vars   int
	memo   map[string]float64
	active map[string]bool
}

var errRecursive = errors.New("query template calls itself")

func (c *coster) template(name string) (float64, error) {
	if v, ok := c.memo[name]; ok {
		return v, nil
	}
	if c.active[name] {
		return 0, fmt.Errorf("%w: {{template %q}}", errRecursive, name)
	}
	tt := c.t.Lookup(name)
	if tt == nil || tt.Tree == nil {
		return 1, nil // execution reports the missing template
	}
	c.active[name] = true
	v, err := c.node(tt.Tree.Root)
	delete(c.active, name)
	if err != nil {
		return 0, err
	}
	c.memo[name] = v
	return v, nil
}

func (c *coster) node(n parse.Node) (float64, error) {
	switch n := n.(type) {
	case nil:
		return 0, nil
	case *parse.ListNode:
		if n == nil {
			return 0, nil
		}
		var sum float64
		for _, child := range n.Nodes {
			v, err := c.node(child)
			if err != nil {
				return 0, err
			}
			sum += v
			if sum > maxTemplateCost*10 {
				return sum, nil // already too much; stop counting
			}
		}
		return sum, nil
	case *parse.IfNode:
		return c.branch(n.List, n.ElseList, 1)
	case *parse.WithNode:
		return c.branch(n.List, n.ElseList, 1)
	case *parse.RangeNode:
		return c.branch(n.List, n.ElseList, c.rangeCount(n.Pipe))
	case *parse.TemplateNode:
		v, err := c.template(n.Name)
		return 1 + v, err
	}
	return 1, nil
}

// branch is the cost of a body run times times plus its else branch.
func (c *coster) branch(body, alt *parse.ListNode, times float64) (float64, error) {
	b, err := c.node(body)
	if err != nil {
		return 0, err
	}
	e, err := c.node(alt)
	if err != nil {
		return 0, err
	}
	return 1 + times*b + e, nil
}

// rangeCount is how often a range runs its body: an integer literal's
// value, the number of variables for a range over variables, else a guess.
func (c *coster) rangeCount(p *parse.PipeNode) float64 {
	if p != nil && len(p.Cmds) == 1 && len(p.Cmds[0].Args) == 1 {
		switch a := p.Cmds[0].Args[0].(type) {
		case *parse.NumberNode:
			if n, err := strconv.ParseFloat(a.Text, 64); err == nil && n >= 0 {
				return n
			}
		case *parse.IdentifierNode:
			if a.Ident == "variables" {
				return float64(c.vars)
			}
		}
	}
	return rangeGuess
}
