package notify

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// Provider types.
const (
	TypeSlack   = "slack"
	TypeMSTeams = "msteams"
	TypeDiscord = "discord"
	TypeRocket  = "rocket"
	TypeGChat   = "gchat"
	TypeGeneric = "generic"
)

// ProviderTypes lists the provider types gitcanary posts to.
var ProviderTypes = []string{TypeSlack, TypeMSTeams, TypeDiscord, TypeRocket, TypeGChat, TypeGeneric}

// Defaults of a provider without channel or username: Flagger's channel,
// and gitcanary as the bot name.
const (
	DefaultChannel  = "general"
	DefaultUsername = "gitcanary"
)

// Config is what a provider needs to post. Address and Token are secrets:
// they are never logged nor put in errors.
type Config struct {
	// Type is one of ProviderTypes.
	Type string
	// Address is the webhook URL (for Slack with a Token, the
	// chat.postMessage API URL).
	Address string
	// Token is sent as "Authorization: Bearer" (a Slack bot token).
	Token string
	// Channel and Username are used by Slack, Discord and Rocket.Chat;
	// DefaultChannel and DefaultUsername when empty. Username is also the
	// Google Chat card title.
	Channel  string
	Username string
	// Proxy is an http or https proxy URL.
	Proxy string
	// Client sends the requests; nil uses a client with the default
	// transport, or one through Proxy.
	Client *http.Client
}

// NewNotifier returns the provider cfg describes.
func NewNotifier(cfg Config) (Notifier, error) {
	if !slices.Contains(ProviderTypes, cfg.Type) {
		return nil, fmt.Errorf("unknown provider type %q (supported: %v)", cfg.Type, ProviderTypes)
	}
	if cfg.Type == TypeDiscord {
		cfg.Address = discordAddress(cfg.Address)
	}
	if err := checkAddress(cfg.Address); err != nil {
		return nil, fmt.Errorf("%s provider: %w", cfg.Type, err)
	}
	client, err := httpClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s provider: %w", cfg.Type, err)
	}
	channel, username := cfg.Channel, cfg.Username
	if channel == "" {
		channel = DefaultChannel
	}
	if username == "" {
		username = DefaultUsername
	}
	p := poster{address: cfg.Address, token: cfg.Token, client: client}
	switch cfg.Type {
	case TypeSlack, TypeDiscord, TypeRocket:
		return &slack{poster: p, channel: channel, username: username}, nil
	case TypeMSTeams:
		return &teams{poster: p}, nil
	case TypeGChat:
		return &gchat{poster: p, title: username}, nil
	}
	return &generic{poster: p}, nil
}

func httpClient(cfg Config) (*http.Client, error) {
	if cfg.Client != nil {
		return cfg.Client, nil
	}
	if cfg.Proxy == "" {
		return &http.Client{}, nil
	}
	u, err := url.Parse(cfg.Proxy)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("proxy is not an absolute http or https URL")
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = http.ProxyURL(u)
	return &http.Client{Transport: t}, nil
}
