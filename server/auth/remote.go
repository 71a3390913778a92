package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// RemoteOptions configure a key set fetched over HTTP: a JWKS URL
// (jwt-jwks-url) or an OpenID Connect issuer (jwt-oidc-issuer) whose
// discovery document names the JWKS URL.
type RemoteOptions struct {
	// JWKSURL is fetched directly; Issuer is used when it is empty.
	JWKSURL string
	// Issuer's <Issuer>/.well-known/openid-configuration gives jwks_uri.
	// Tokens must then carry "iss": Issuer (OpenID Connect Core 3.1.3.7).
	Issuer string
	// Client does the requests (default: 10 s timeout).
	Client *http.Client
	// MinTTL and MaxTTL bound the time a fetched set is kept, as the
	// response's Cache-Control max-age says, or DefaultTTL without one.
	MinTTL, MaxTTL, DefaultTTL time.Duration
	// Cooldown is the least time between two fetches that a token with an
	// unknown kid starts. A failed fetch is tried again after the lesser of
	// Cooldown and MinTTL, doubling up to 5 minutes.
	Cooldown time.Duration
	// StartTimeout bounds the first fetch, which New waits for.
	StartTimeout time.Duration
	// OnFetch, when set, is told of every fetch (for the log). It never
	// sees key material.
	OnFetch func(FetchEvent)
}

// FetchEvent reports one fetch of a remote key set.
type FetchEvent struct {
	URL    string        // the JWKS URL, with any password redacted
	Reason string        // "start", "expiry", "retry" or "unknown kid"
	Keys   int           // the usable keys fetched (on success)
	TTL    time.Duration // until the next scheduled fetch
	Err    error         // nil on success; the previous keys stay in use
}

// Defaults of RemoteOptions.
const (
	defaultMinTTL       = time.Minute
	defaultMaxTTL       = 24 * time.Hour
	defaultDefaultTTL   = 15 * time.Minute
	defaultCooldown     = 10 * time.Second
	defaultStartTimeout = 10 * time.Second
	maxRetryDelay       = 5 * time.Minute
	maxDocumentSize     = 1 << 20
)

// keySet is one published generation of verification keys. A cached
// token remembers the set it verified with and is verified again when the
// set changed, so a key that left the set stops verifying at once.
type keySet struct {
	keys []verifyKey
}

// remote fetches a key set and publishes static keys plus the fetched
// ones into its Verifier. Only fetches take its lock; verification reads
// the published set with one atomic load.
type remote struct {
	o       RemoteOptions
	static  []verifyKey
	publish *atomic.Pointer[keySet]

	mu        sync.Mutex   // held by one fetch at a time
	jwksURL   string       // resolved from the discovery document when empty (under mu)
	lastFetch atomic.Int64 // start of the last fetch (Unix ns), successful or not

	ctx  context.Context
	stop context.CancelFunc
	done chan struct{}
}

func newRemote(o RemoteOptions, static []verifyKey, publish *atomic.Pointer[keySet]) (*remote, error) {
	for _, u := range []string{o.JWKSURL, o.Issuer} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return nil, fmt.Errorf("%q is not an http(s) URL", redact(u))
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&o.MinTTL, defaultMinTTL)
	def(&o.MaxTTL, defaultMaxTTL)
	def(&o.DefaultTTL, defaultDefaultTTL)
	def(&o.Cooldown, defaultCooldown)
	def(&o.StartTimeout, defaultStartTimeout)
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 10 * time.Second}
	}
	r := &remote{o: o, static: static, publish: publish, jwksURL: o.JWKSURL, done: make(chan struct{})}
	r.ctx, r.stop = context.WithCancel(context.Background())
	return r, nil
}

// start fetches the key set once, waiting at most StartTimeout, then keeps
// it fresh in the background. A failed first fetch does not stop the
// server: tokens fail with PGRST301 until a later fetch succeeds.
func (r *remote) start() {
	ctx, cancel := context.WithTimeout(r.ctx, r.o.StartTimeout)
	next, err := r.fetch(ctx, "start")
	cancel()
	go r.loop(next, err)
}

// loop refreshes the set when it expires, and retries a failed fetch with
// a delay doubling from the lesser of Cooldown and MinTTL up to
// maxRetryDelay.
func (r *remote) loop(next time.Duration, err error) {
	defer close(r.done)
	base := min(r.o.Cooldown, r.o.MinTTL)
	retry := base
	for {
		reason := "expiry"
		if err != nil {
			next, reason = retry, "retry"
			retry = min(2*retry, max(maxRetryDelay, base))
		} else {
			retry = base
		}
		t := time.NewTimer(next)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		next, err = r.fetch(r.ctx, reason)
	}
}

// close stops the background refresh; the published keys stay usable.
func (r *remote) close() {
	r.stop()
	<-r.done
}

// refreshUnknown fetches the set again for a token that no key of seen
// fits (an unknown kid), unless a fetch started less than Cooldown ago. It
// reports whether a set other than seen is now published, so the caller
// verifies again. Requests with unknown kids arriving together queue on
// the lock: the first fetches, the others then find its set or the
// cooldown.
func (r *remote) refreshUnknown(seen *keySet) bool {
	if r.publish.Load() != seen {
		return true
	}
	if r.ctx.Err() != nil || time.Since(time.Unix(0, r.lastFetch.Load())) < r.o.Cooldown {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.publish.Load() == seen && time.Since(time.Unix(0, r.lastFetch.Load())) >= r.o.Cooldown {
		ctx, cancel := context.WithTimeout(r.ctx, r.o.StartTimeout)
		r.fetchLocked(ctx, "unknown kid")
		cancel()
	}
	return r.publish.Load() != seen
}

// fetch gets the key set and publishes it; on failure the previous set
// stays. It returns how long the set may be kept.
func (r *remote) fetch(ctx context.Context, reason string) (time.Duration, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fetchLocked(ctx, reason)
}

func (r *remote) fetchLocked(ctx context.Context, reason string) (time.Duration, error) {
	r.lastFetch.Store(time.Now().UnixNano())
	n, ttl, err := r.download(ctx)
	if r.o.OnFetch != nil {
		r.o.OnFetch(FetchEvent{URL: redact(r.displayURL()), Reason: reason, Keys: n, TTL: ttl, Err: err})
	}
	return ttl, err
}

func (r *remote) displayURL() string {
	if r.jwksURL != "" {
		return r.jwksURL
	}
	return r.o.Issuer
}

// download fetches (after discovery, the first time) and publishes the
// set; it returns the number of keys fetched and how long they may be kept.
func (r *remote) download(ctx context.Context) (int, time.Duration, error) {
	if r.jwksURL == "" {
		doc, _, err := r.get(ctx, discoveryURL(r.o.Issuer))
		if err != nil {
			return 0, 0, fmt.Errorf("OpenID Connect discovery: %w", err)
		}
		var d struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			return 0, 0, fmt.Errorf("OpenID Connect discovery: not a JSON object: %v", err)
		}
		if d.Issuer != r.o.Issuer {
			return 0, 0, fmt.Errorf("OpenID Connect discovery: issuer %q is not the configured %q", d.Issuer, r.o.Issuer)
		}
		if p, err := url.Parse(d.JWKSURI); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return 0, 0, fmt.Errorf("OpenID Connect discovery: jwks_uri %q is not an http(s) URL", redact(d.JWKSURI))
		}
		r.jwksURL = d.JWKSURI
	}
	body, header, err := r.get(ctx, r.jwksURL)
	if err != nil {
		return 0, 0, err
	}
	if !isJWKS(body) {
		return 0, 0, errors.New(`JWKS: not a JSON object with "keys"`)
	}
	fetched, err := parseSecret(body)
	if err != nil {
		return 0, 0, fmt.Errorf("JWKS: %v", err)
	}
	if len(fetched) == 0 {
		return 0, 0, errors.New("JWKS: no usable signature verification key")
	}
	keys := make([]verifyKey, 0, len(r.static)+len(fetched))
	keys = append(append(keys, r.static...), fetched...)
	r.publish.Store(&keySet{keys: keys})
	return len(fetched), r.ttl(header.Get("Cache-Control")), nil
}

// get fetches u and returns its body (at most maxDocumentSize bytes).
func (r *remote) get(ctx context.Context, u string) ([]byte, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.o.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // its text repeats the URL, which may hold a password
		}
		return nil, nil, fmt.Errorf("GET %s: %v", redact(u), err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, nil, fmt.Errorf("GET %s: status %d", redact(u), res.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(res.Body, maxDocumentSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("GET %s: %v", redact(u), err)
	}
	if len(body) > maxDocumentSize {
		return nil, nil, fmt.Errorf("GET %s: larger than %d bytes", redact(u), maxDocumentSize)
	}
	return body, res.Header, nil
}

// ttl is how long a response may be kept: Cache-Control's max-age, else
// DefaultTTL, within MinTTL..MaxTTL; no-store and no-cache mean MinTTL.
func (r *remote) ttl(cacheControl string) time.Duration {
	d := r.o.DefaultTTL
	for _, part := range strings.Split(cacheControl, ",") {
		name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch strings.ToLower(name) {
		case "no-store", "no-cache":
			return r.o.MinTTL
		case "max-age":
			if n, err := strconv.ParseInt(strings.Trim(value, `"`), 10, 64); err == nil && n >= 0 {
				d = time.Duration(min(n, int64(r.o.MaxTTL/time.Second)+1)) * time.Second
			}
		}
	}
	return min(max(d, r.o.MinTTL), r.o.MaxTTL)
}

// discoveryURL is where an issuer publishes its OpenID Provider metadata.
func discoveryURL(issuer string) string {
	return strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
}

// isJWKS reports whether a fetched document is a key set, not one key: a
// URL names a set, and a lone key is most likely a misconfiguration.
func isJWKS(doc []byte) bool {
	var top struct {
		Keys json.RawMessage `json:"keys"`
	}
	return json.Unmarshal(doc, &top) == nil && len(top.Keys) > 0
}

// redact hides the password of a URL for logs and errors.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}
