package gitops

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/pflag"
)

// Defaults of [RenderOptions]: far above what a config repository needs
// (the largest CRD bundles are a few MiB), far below what would take a
// process down.
const (
	DefaultRenderTimeout     = time.Minute
	DefaultMaxFileBytes      = 8 << 20
	DefaultMaxReadBytes      = 64 << 20
	DefaultMaxAliasExpansion = 1 << 20
	DefaultMaxMappingKeys    = 10000
	DefaultMaxOutputBytes    = 64 << 20
)

// RenderOptions restrict and bound renders ([RenderWith]). The zero value
// means the defaults.
type RenderOptions struct {
	// NoRemoteBases refuses remote resources (git repositories and http(s)
	// files named in a kustomization) before anything is fetched, as
	// kustomize-controller's --no-remote-bases does. Meant for validating
	// untrusted pull requests, and for teams that vendor their bases.
	NoRemoteBases bool
	// Timeout bounds one render (default [DefaultRenderTimeout]).
	Timeout time.Duration
	// Limits bound what one render may read and produce.
	Limits RenderLimits
}

// RenderLimits bound the cost of one render. Input beyond them is refused,
// naming the file, before kustomize sees it. Zero means the default.
type RenderLimits struct {
	// FileBytes bounds each file the render reads.
	FileBytes int64
	// ReadBytes bounds all the files one render reads together.
	ReadBytes int64
	// AliasExpansion bounds what YAML aliases may add to one file once
	// expanded, in bytes of nodes and scalars (an alias bomb of a few lines
	// expands to gigabytes).
	AliasExpansion int64
	// MappingKeys bounds the keys of one YAML mapping: kustomize takes
	// about a second for 10,000 keys, and four times as long for twice as
	// many.
	MappingKeys int
	// OutputBytes bounds the rendered objects: about their size as YAML
	// (their scalars, and 16 bytes a node).
	OutputBytes int64
}

// BindFlags registers the render flags on fs.
func (o *RenderOptions) BindFlags(fs *pflag.FlagSet) {
	if o.Timeout == 0 {
		o.Timeout = DefaultRenderTimeout
	}
	fs.BoolVar(&o.NoRemoteBases, "no-remote-bases", o.NoRemoteBases, "refuse remote resources (git or http URLs) in kustomizations, as kustomize-controller's --no-remote-bases")
	fs.DurationVar(&o.Timeout, "render-timeout", o.Timeout, "bound on each kustomize render")
}

// Validate checks the options and fills in defaults.
func (o *RenderOptions) Validate() error {
	var errs []error
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("--render-timeout must be positive, got %s", o.Timeout))
	}
	l := &o.Limits
	if l.FileBytes < 0 || l.ReadBytes < 0 || l.AliasExpansion < 0 || l.MappingKeys < 0 || l.OutputBytes < 0 {
		errs = append(errs, errors.New("render limits must not be negative"))
	}
	*o = o.withDefaults()
	return errors.Join(errs...)
}

// withDefaults returns o with zero fields set to their defaults.
func (o RenderOptions) withDefaults() RenderOptions {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultRenderTimeout
	}
	def(&o.Limits.FileBytes, DefaultMaxFileBytes)
	def(&o.Limits.ReadBytes, DefaultMaxReadBytes)
	def(&o.Limits.AliasExpansion, DefaultMaxAliasExpansion)
	def(&o.Limits.OutputBytes, DefaultMaxOutputBytes)
	if o.Limits.MappingKeys <= 0 {
		o.Limits.MappingKeys = DefaultMaxMappingKeys
	}
	return o
}
