package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// installOptions are the choices of `gitcanary install --export`.
type installOptions struct {
	Export    bool
	Namespace string
	Image     string

	Repo       string
	Branch     string
	Path       string
	Prometheus string
	Provider   string
	Interval   time.Duration
	UIURL      string

	GitSecret     string
	WebhookSecret string
	GitHubSecret  string

	Shards         int
	ServiceMonitor bool
	Dashboard      bool
	Alerts         bool

	// FluxPath, when set, selects the Flux Kustomization that applies the
	// exported manifests from this path of the Flux source.
	FluxPath   string
	FluxSource string
}

// defaultImage is the image the manifests run without --image.
const defaultImage = "ghcr.io/gitcanary/gitcanary"

func defaultInstallOptions() installOptions {
	return installOptions{
		Namespace:     "gitcanary-system",
		Image:         defaultImage + ":" + imageTag(buildVersion()),
		Branch:        "main",
		Prometheus:    "http://prometheus.istio-system:9090",
		Interval:      10 * time.Second,
		GitSecret:     "gitcanary-git",
		WebhookSecret: "gitcanary-webhook",
		Shards:        1,
		FluxSource:    "GitRepository/flux-system",
	}
}

// BindFlags binds the options to flags.
func (o *installOptions) BindFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.Export, "export", o.Export, "print the manifests (the only mode: gitcanary never calls the Kubernetes API; apply them with Flux or kubectl)")
	fs.StringVarP(&o.Namespace, "namespace", "n", o.Namespace, "namespace to run gitcanary in")
	fs.StringVar(&o.Image, "image", o.Image, "container image, NAME:TAG or NAME@sha256:DIGEST")
	fs.StringVar(&o.Repo, "repo", o.Repo, "URL of the config repository (ssh:// or git@host:org/repo.git, or https://); credentials go in --git-secret, never in the URL")
	fs.StringVar(&o.Branch, "branch", o.Branch, "branch to reconcile")
	fs.StringVar(&o.Path, "path", o.Path, "only look for canaries under this directory of the repository")
	fs.StringVar(&o.Prometheus, "prometheus", o.Prometheus, "Prometheus address for the canary analysis")
	fs.StringVar(&o.Provider, "provider", o.Provider, "mesh provider of canaries that do not set spec.provider (default: run's, istio)")
	fs.DurationVar(&o.Interval, "interval", o.Interval, "how often to fetch the repository (push webhooks start a pass at once)")
	fs.StringVar(&o.UIURL, "ui-url", o.UIURL, "where users reach the web UI, linked from the commit statuses")
	fs.StringVar(&o.GitSecret, "git-secret", o.GitSecret, "Secret with the Git credentials, as `flux create secret git` makes it: identity and known_hosts for SSH, password (a token) for HTTPS")
	fs.StringVar(&o.WebhookSecret, "webhook-secret", o.WebhookSecret, "Secret whose key token verifies the push webhooks (empty: no webhooks)")
	fs.StringVar(&o.GitHubSecret, "github-token-secret", o.GitHubSecret, "Secret whose key token is a GitHub token, for commit statuses, sync gates and pull-request approvals (empty: none)")
	fs.IntVar(&o.Shards, "shards", o.Shards, "number of shards: more than 1 exports a StatefulSet whose pod gitcanary-<i> reconciles shard i")
	fs.BoolVar(&o.ServiceMonitor, "servicemonitor", o.ServiceMonitor, "add a Prometheus Operator ServiceMonitor")
	fs.BoolVar(&o.Dashboard, "dashboard", o.Dashboard, "add the Grafana dashboard as a ConfigMap labelled grafana_dashboard")
	fs.BoolVar(&o.Alerts, "alerts", o.Alerts, "add a Prometheus Operator PrometheusRule with gitcanary's alerts")
	fs.StringVar(&o.FluxPath, "flux-kustomization", o.FluxPath, "print instead the Flux Kustomization that applies the manifests committed at this path of the Flux source")
	fs.StringVar(&o.FluxSource, "flux-source", o.FluxSource, "KIND/NAME of the Flux source of --flux-kustomization, in flux-system")
}

// ErrExportOnly is returned when install is asked to do anything but print.
var ErrExportOnly = errors.New("gitcanary install only prints manifests: add --export, and apply them with Flux (commit them) or kubectl; gitcanary never calls the Kubernetes API")

func newInstallCommand() *cobra.Command {
	opts := defaultInstallOptions()
	cmd := &cobra.Command{
		Use:   "install --export --repo URL [--branch main] [--prometheus URL] [--shards N]",
		Short: "Print the manifests that run gitcanary in a cluster",
		Long: `install --export prints the manifests that run gitcanary next to Flux: a Namespace, a
ServiceAccount without API access, the Deployment of "gitcanary run" (a StatefulSet with
--shards), its Service for the push webhooks, /metrics and the web UI, and on request a
ServiceMonitor, the Grafana dashboard and alerts. Commit them where Flux applies them, or pipe
them to kubectl apply -f -. The Secrets they mount are yours to create: --git-secret as
"flux create secret git" makes it, --webhook-secret and --github-token-secret with a key token.`,
		Example: `  gitcanary install --export --repo ssh://git@github.com/acme/fleet.git > clusters/prod/gitcanary/gitcanary.yaml
  gitcanary install --export --flux-kustomization ./clusters/prod/gitcanary > clusters/prod/gitcanary.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !opts.Export {
				return ErrExportOnly
			}
			var out []byte
			var err error
			if opts.FluxPath != "" {
				out, err = exportFluxKustomization(opts)
			} else {
				out, err = exportInstall(opts)
			}
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	opts.BindFlags(cmd.Flags())
	return cmd
}
