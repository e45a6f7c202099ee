package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/gitcanary/gitcanary/reconciler/api"
)

// KindAlertProvider is the kind of AlertProvider documents.
const KindAlertProvider = "AlertProvider"

// AlertProvider is Flagger's AlertProvider: where a Canary's alerts go.
// Documents of apiVersion flagger.app/v1beta1 and gitcanary.dev/v1beta1 are
// read from the repository, never applied.
type AlertProvider struct {
	APIVersion string            `json:"apiVersion"`
	Kind       string            `json:"kind"`
	Metadata   api.ObjectMeta    `json:"metadata"`
	Spec       AlertProviderSpec `json:"spec"`

	// Source says where the document was read from.
	Source api.Source `json:"-"`
}

// AlertProviderSpec is Flagger's AlertProvider spec.
type AlertProviderSpec struct {
	// Type is one of ProviderTypes.
	Type string `json:"type"`
	// Channel is the Slack, Discord or Rocket.Chat channel.
	Channel string `json:"channel,omitempty"`
	// Username is the bot name.
	Username string `json:"username,omitempty"`
	// Address is the webhook URL. Prefer SecretRef: a URL in Git is
	// readable by everyone who can read the repository.
	Address string `json:"address,omitempty"`
	// Proxy is an http or https proxy URL.
	Proxy string `json:"proxy,omitempty"`
	// SecretRef names a Secret whose "address" key (and optional "token"
	// key) override Address.
	SecretRef *SecretRef `json:"secretRef,omitempty"`
}

// SecretRef references a Secret in the provider's namespace.
type SecretRef struct {
	Name string `json:"name"`
}

// Key returns "namespace/name".
func (p *AlertProvider) Key() string { return p.Metadata.Namespace + "/" + p.Metadata.Name }

// Secret keys read through a SecretRef.
const (
	SecretKeyAddress = "address"
	SecretKeyToken   = "token"
)

// IsAlertProvider reports whether a document is an AlertProvider gitcanary
// reads.
func IsAlertProvider(d api.Document) bool {
	return d.Kind == KindAlertProvider && (d.APIVersion == api.FlaggerV1beta1 || d.APIVersion == api.GroupVersion)
}

// ParseAlertProviders returns the AlertProvider documents of a file,
// defaulted and validated. Like api.ParseCanaries it goes on past a bad
// document: the error joins one *api.FieldError per problem and the good
// documents are returned.
func ParseAlertProviders(path string, data []byte) ([]*AlertProvider, error) {
	docs, err := api.SplitDocuments(path, data)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	var out []*AlertProvider
	for _, d := range docs {
		if !IsAlertProvider(d) {
			continue
		}
		p, err := decodeProvider(path, d)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

func decodeProvider(path string, d api.Document) (*AlertProvider, error) {
	src := api.Source{Path: path, Index: d.Index}
	ns := d.Namespace
	if ns == "" {
		ns = "default"
	}
	obj := fmt.Sprintf("%s %s/%s", KindAlertProvider, ns, d.Name)
	fail := func(field, msg string) error {
		return &api.FieldError{Source: src, Object: obj, Field: field, Msg: msg}
	}
	doc, err := api.DecodeDocument(src, obj, d.Node)
	if err != nil {
		return nil, err
	}
	raw, _ := doc.(map[string]any)
	js, err := json.Marshal(raw)
	if err != nil {
		return nil, fail("", err.Error())
	}
	p := &AlertProvider{Source: src}
	if err := json.Unmarshal(js, p); err != nil {
		return nil, fail(jsonField(err, ""), jsonMsg(err))
	}
	// spec is decoded strictly: a misspelt "chanel" would otherwise post to
	// the default channel without a word.
	spec, _ := json.Marshal(raw["spec"])
	dec := json.NewDecoder(bytes.NewReader(spec))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&AlertProviderSpec{}); err != nil {
		return nil, fail(jsonField(err, "spec"), jsonMsg(err))
	}
	p.Metadata.Namespace = ns
	if err := p.validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// dnsName is a Kubernetes object name (RFC 1123 subdomain).
var dnsName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$`)

// validate returns one *api.FieldError per problem, joined.
func (p *AlertProvider) validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, &api.FieldError{
			Source: p.Source,
			Object: fmt.Sprintf("%s %s", KindAlertProvider, p.Key()),
			Field:  field,
			Msg:    fmt.Sprintf(format, args...),
		})
	}
	if p.Metadata.Name == "" {
		add("metadata.name", "is required")
	}
	if !dnsName.MatchString(p.Metadata.Namespace) || strings.Contains(p.Metadata.Namespace, ".") {
		add("metadata.namespace", "must be a DNS label, got %q", p.Metadata.Namespace)
	}
	s := p.Spec
	switch {
	case s.Type == "":
		add("spec.type", "is required (supported: %s)", strings.Join(ProviderTypes, ", "))
	case !slices.Contains(ProviderTypes, s.Type):
		add("spec.type", "unknown provider type %q (supported: %s)", s.Type, strings.Join(ProviderTypes, ", "))
	}
	if s.Address == "" && s.SecretRef == nil {
		add("spec.address", "spec.address or spec.secretRef is required")
	}
	if s.Address != "" {
		if err := checkAddress(s.Address); err != nil {
			add("spec.address", "%v", err)
		}
	}
	if s.Proxy != "" {
		if _, err := httpClient(Config{Proxy: s.Proxy}); err != nil {
			add("spec.proxy", "%v", err)
		}
	}
	if r := s.SecretRef; r != nil && !dnsName.MatchString(r.Name) {
		add("spec.secretRef.name", "must be a Secret name, got %q", r.Name)
	}
	return errors.Join(errs...)
}

// Config resolves the provider's secrets into the Config of its notifier.
// Errors name the provider and the Secret, never a secret value.
func (p *AlertProvider) Config(secrets SecretReader) (Config, error) {
	cfg := Config{
		Type:     p.Spec.Type,
		Address:  p.Spec.Address,
		Channel:  p.Spec.Channel,
		Username: p.Spec.Username,
		Proxy:    p.Spec.Proxy,
	}
	if r := p.Spec.SecretRef; r != nil {
		if secrets == nil {
			return Config{}, fmt.Errorf("alert provider %s: secretRef %s: no credentials directory configured", p.Key(), r.Name)
		}
		addr, err := secrets.Read(p.Metadata.Namespace, r.Name, SecretKeyAddress)
		if err != nil {
			return Config{}, fmt.Errorf("alert provider %s: %w", p.Key(), err)
		}
		cfg.Address = addr
		tok, err := secrets.Read(p.Metadata.Namespace, r.Name, SecretKeyToken)
		if err != nil && !errors.Is(err, ErrNoSecretKey) {
			return Config{}, fmt.Errorf("alert provider %s: %w", p.Key(), err)
		}
		cfg.Token = tok
	}
	return cfg, nil
}

// jsonField names the field a decoding error is about.
func jsonField(err error, prefix string) string {
	join := func(f string) string {
		if prefix == "" {
			return f
		}
		return prefix + "." + f
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return join(te.Field)
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return join(strings.Trim(f, `"`))
	}
	return prefix
}

func jsonMsg(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("want %s, got %s", te.Type, te.Value)
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		return "unknown field"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
