//go:build nodemo

package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// errNoDemo is what `gitcanary demo` says in a binary built without it.
var errNoDemo = errors.New("this gitcanary was built without the demo (-tags nodemo, as in the container image): build it with `make build` or run `make demo`")

// newDemoCommand stands in for the demo in binaries built with -tags
// nodemo: the image leaves out the demo's simulated cluster and embedded
// PromQL engine, which `run` never uses.
func newDemoCommand() *cobra.Command {
	return &cobra.Command{
		Use:    "demo",
		Short:  "Not in this build (-tags nodemo)",
		Hidden: true,
		// Any flag of the real demo gets this answer, not "unknown flag".
		DisableFlagParsing: true,
		RunE: func(*cobra.Command, []string) error {
			return errNoDemo
		},
	}
}
