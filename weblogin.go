package miniauth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"time"
)

// Scan to log in on the web: a web page shows a mini-program code whose
// scene is a ticket; the user scans it, the mini program opens and, with
// its session, scans and confirms (or denies) the ticket; the page, polling
// the ticket, then receives tokens of a new session of that user, once.

// The states of a ticket. A ticket starts pending; a scan makes it scanned
// (and may come again); a confirm or a deny ends it. A ticket not ended by
// its expiry is expired, as is a confirmed one whose tokens nobody claimed
// by then: the stores keep the four others, expiry is read off ExpiresAt.
const (
	WebLoginPending   = "pending"
	WebLoginScanned   = "scanned"
	WebLoginConfirmed = "confirmed"
	WebLoginDenied    = "denied"
	WebLoginExpired   = "expired"
)

// Defaults of WebLoginOptions.
const (
	// DefaultWebLoginTTL is a ticket's life: the contract's expires_in.
	DefaultWebLoginTTL = 5 * time.Minute
	// DefaultWebLoginPollInterval is how often a waiting poll reads its
	// ticket again when no WebLoginEvents tell it of changes on other nodes.
	DefaultWebLoginPollInterval = 250 * time.Millisecond
	// DefaultWebLoginMaxWaiters bounds the polls waiting at once on a
	// node. A waiter costs a goroutine and a few hundred bytes; the bound
	// keeps a flood of long polls from exhausting memory.
	DefaultWebLoginMaxWaiters = 10_000
	// DefaultWebLoginMaxWait is the longest wait of one poll, below the
	// server's 30 s write timeout and the 60 s of a gateway's read timeout.
	DefaultWebLoginMaxWait = 25 * time.Second
	// DefaultWebLoginPage is the mini-program page the code opens.
	DefaultWebLoginPage = "pages/web-login/web-login"
)

// WebLoginRetention is how long a ticket is kept after its expiry, so that
// a late poll hears "expired" rather than "unknown". Stores may forget a
// ticket after ExpiresAt + WebLoginRetention.
const WebLoginRetention = 5 * time.Minute

// webLoginEventsSafetyPoll is how often a waiting poll reads its ticket
// even when events tell it of changes: a publication that failed is then
// late, not lost.
const webLoginEventsSafetyPoll = 5 * time.Second

// webLoginTicketBytes is the randomness of a ticket: 128 bits, 22 characters
// of base64url, well within the 32 characters of a code's scene.
const (
	webLoginTicketBytes  = 16
	webLoginTicketLength = 22
)

// WebLogin is a ticket as stored. The ticket itself is a secret (whoever
// holds it receives the tokens), so stores keep only its hash.
type WebLogin struct {
	Hash      string // HashToken of the ticket
	AppID     string // the mini program whose code carries the ticket
	Status    string // pending, scanned, confirmed or denied
	UserID    string // who scanned, confirmed or denied it last
	UserAppID string // the app of that user's session
	OpenID    string // that session's openid
	CreatedAt time.Time
	ExpiresAt time.Time
	// Delivered says that the tokens of a confirmed ticket were handed out.
	Delivered bool
}

// WebLoginChange is what a scan, confirm or deny writes into a ticket.
type WebLoginChange struct {
	Status    string
	UserID    string
	UserAppID string
	OpenID    string
	At        time.Time
}

// WebLoginStore keeps tickets where the sessions are, so that any node
// answers any step. Implementations: internal/sqlstore and redis.
type WebLoginStore interface {
	// CreateWebLogin stores a new ticket.
	CreateWebLogin(ctx context.Context, w *WebLogin) error

	// WebLogin returns the ticket with this hash, or ENotFound.
	WebLogin(ctx context.Context, hash string) (*WebLogin, error)

	// AdvanceWebLogin applies c to the ticket if its status is one of from
	// and it has not expired at c.At (compare and swap: of concurrent calls
	// from one status, one wins). It returns the ticket as it is after the
	// call and whether this call changed it; ENotFound for an unknown ticket.
	AdvanceWebLogin(ctx context.Context, hash string, from []string, c WebLoginChange) (*WebLogin, bool, error)

	// ClaimWebLogin marks the tokens of a confirmed ticket delivered, if
	// they were not and the ticket has not expired at at. Of any number of
	// concurrent calls, at most one ever reports true. It returns the ticket
	// after the call; ENotFound for an unknown ticket.
	ClaimWebLogin(ctx context.Context, hash string, at time.Time) (*WebLogin, bool, error)

	// UnclaimWebLogin undoes a claim whose tokens could not be made, so
	// that a later ClaimWebLogin can succeed. Unknown tickets are no error.
	UnclaimWebLogin(ctx context.Context, hash string) error

	// DeleteExpiredWebLogins deletes tickets that expired before t and
	// returns how many. Stores whose entries expire by themselves return 0.
	DeleteExpiredWebLogins(ctx context.Context, before time.Time) (int, error)
}

// WebLoginEvents carries "this ticket changed" between the nodes, so that a
// poll waiting on one node wakes at once when another node changes its
// ticket. The redis package implements it with pub/sub. Without it, waiting
// polls read their ticket every WebLoginOptions.PollInterval.
type WebLoginEvents interface {
	// PublishWebLoginChanged tells every node (this one too) that the
	// ticket with this hash changed.
	PublishWebLoginChanged(ctx context.Context, hash string) error

	// SubscribeWebLoginChanged calls changed for every published hash until
	// ctx ends, and reset whenever events may have been missed.
	SubscribeWebLoginChanged(ctx context.Context, changed func(hash string), reset func())
}

// CodeImage is a mini-program code as an image.
type CodeImage struct {
	ContentType string // image/png or image/jpeg
	Data        []byte
}

// CodeImages makes mini-program codes: the wechat package, with WeChat's
// wxa/getwxacodeunlimit.
//
// Errors: EInvalidRequest (an app it does not serve), EUpstreamUnavailable.
type CodeImages interface {
	// UnlimitedCode returns the code that opens page of the app with scene.
	UnlimitedCode(ctx context.Context, appID, scene, page string) (*CodeImage, error)
}

// WebLoginOptions configure scan to log in. With no Store it is off: every
// call answers ENotFound.
type WebLoginOptions struct {
	Store  WebLoginStore
	Events WebLoginEvents // nil: waiting polls read the store
	// Apps are the apps whose codes can be shown (WeChat's); a ticket for
	// another is refused.
	Apps  []string
	Codes CodeImages
	Page  string // the page the code opens, default DefaultWebLoginPage

	TTL          time.Duration // a ticket's life, default DefaultWebLoginTTL
	MaxWait      time.Duration // longest wait of a poll, default DefaultWebLoginMaxWait
	PollInterval time.Duration // default DefaultWebLoginPollInterval
	MaxWaiters   int           // default DefaultWebLoginMaxWaiters
}

func (o WebLoginOptions) withDefaults() WebLoginOptions {
	if o.Page == "" {
		o.Page = DefaultWebLoginPage
	}
	if o.TTL <= 0 {
		o.TTL = DefaultWebLoginTTL
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultWebLoginMaxWait
	}
	if o.PollInterval <= 0 {
		o.PollInterval = DefaultWebLoginPollInterval
	}
	if o.MaxWaiters <= 0 {
		o.MaxWaiters = DefaultWebLoginMaxWaiters
	}
	return o
}

// newWebLoginTicket returns a fresh ticket: 128 random bits in base64url.
func newWebLoginTicket() string {
	var b [webLoginTicketBytes]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// webLoginHash returns the stored hash of a ticket, or ENotFound for a
// string that cannot be one of ours (no store lookup for garbage).
func webLoginHash(ticket string) (string, error) {
	if len(ticket) != webLoginTicketLength {
		return "", errUnknownTicket
	}
	if _, err := base64.RawURLEncoding.DecodeString(ticket); err != nil {
		return "", errUnknownTicket
	}
	return HashToken(ticket), nil
}

// statusAt is the status of w at now: its stored status, or expired.
func (w *WebLogin) statusAt(now time.Time) string {
	switch {
	case w.Status == WebLoginDenied, w.Status == WebLoginConfirmed && w.Delivered:
		return w.Status
	case !now.Before(w.ExpiresAt):
		return WebLoginExpired
	}
	return w.Status
}

// waiting reports whether a poll with wait may wait on status.
func waiting(status string) bool { return status == WebLoginPending || status == WebLoginScanned }

var (
	errUnknownTicket = Errorf(ENotFound, "unknown or expired ticket")
	errTicketDone    = Errorf(EConflict, "the ticket was already confirmed or denied")
	errWebLoginOff   = Errorf(ENotFound, "scan to log in is not enabled")
	errTooManyWaits  = &Error{Code: ERateLimited, Message: "too many polls waiting; try again", RetryAfter: time.Second}
)
