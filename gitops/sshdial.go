package gitops

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing/transport"
	"golang.org/x/net/proxy"
)

// go-git dials SSH remotes and runs the SSH handshake without a context, so
// a server that accepts the connection and never speaks would hold a fetch
// or push forever, whatever the caller's context says. go-git does dial
// through the proxy named in the call's ProxyOptions, and x/net/proxy lets a
// package register its own proxy scheme: each SSH call of a Repo names
// sshCallScheme with an id under which its context is filed, and the dialer
// registered for the scheme dials directly (or through $ALL_PROXY, as go-git
// would) and expires the connection as soon as that context is done.
const sshCallScheme = "gitcanary-call"

var (
	sshCalls   sync.Map // call id -> context.Context
	sshCallSeq atomic.Uint64
)

func init() {
	proxy.RegisterDialerType(sshCallScheme, func(u *url.URL, _ proxy.Dialer) (proxy.Dialer, error) {
		ctx, ok := sshCalls.Load(u.Host)
		if !ok {
			return nil, fmt.Errorf("ssh dial: call %s is over", u.Host)
		}
		return ctxDialer{ctx.(context.Context)}, nil
	})
}

// sshCallProxy files ctx for the SSH dialer and returns the ProxyOptions
// that select it, and a func to call when the call is over.
func sshCallProxy(ctx context.Context) (transport.ProxyOptions, func()) {
	id := strconv.FormatUint(sshCallSeq.Add(1), 10)
	sshCalls.Store(id, ctx)
	return transport.ProxyOptions{URL: sshCallScheme + "://" + id}, func() { sshCalls.Delete(id) }
}

// ctxDialer dials with the call's context and ties the connection to it.
type ctxDialer struct{ ctx context.Context }

func (d ctxDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext dials addr; go-git's own ctx only carries its dial timeout, so
// the call's context bounds the dial too.
func (d ctxDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(d.ctx, cancel)
	defer stop()
	conn, err := proxy.Dial(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	expire := context.AfterFunc(d.ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return &callConn{Conn: conn, expire: expire}, nil
}

// callConn is a connection that expires when its call's context is done.
type callConn struct {
	net.Conn
	expire func() bool
}

func (c *callConn) Close() error {
	c.expire()
	return c.Conn.Close()
}
