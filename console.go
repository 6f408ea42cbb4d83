package miniauth

import (
	"context"
	"sync"
	"time"
)

// ConsoleOptions configures a Console. Zero fields take the defaults below,
// filled in by NewConsole.
type ConsoleOptions struct {
	Operators OperatorStore
	Hasher    PasswordHasher
	Directory UserDirectory
	Live      LiveSessionCounter // nil: live sessions not counted

	SessionTTL  time.Duration // how long a console sign-in lasts
	MaxFailures int           // failed sign-ins within Lockout that lock an operator
	Lockout     time.Duration // the failure window, and how long a lock lasts
	// Deadline bounds every store call of the console.
	Deadline Deadline
	Now      func() time.Time
}

// Defaults of the console.
const (
	DefaultConsoleSessionTTL  = 12 * time.Hour
	DefaultConsoleMaxFailures = 5
	DefaultConsoleLockout     = 15 * time.Minute
)

func (o ConsoleOptions) withDefaults() ConsoleOptions {
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultConsoleSessionTTL
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultConsoleMaxFailures
	}
	if o.Lockout <= 0 {
		o.Lockout = DefaultConsoleLockout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Console holds the operators' use cases: managing operators, signing in,
// the pages of the console and the audited actions on users. Actions on
// users go through the Service, so that they reach every node as the API's do.
type Console struct {
	svc   *Service // nil for the command line, which manages operators only
	opts  ConsoleOptions
	stats *totalsCache

	dummyOnce sync.Once
	dummyHash string // checked against for unknown names
}

// NewConsole returns the console's use cases; svc may be nil when only
// operators are managed (the command line).
func NewConsole(svc *Service, opts ConsoleOptions) *Console {
	opts = opts.withDefaults()
	return &Console{svc: svc, opts: opts, stats: &totalsCache{}}
}

// Origin is who acts and from where, for the audit log.
type Origin struct {
	Operator  string
	IP        string
	UserAgent string
}

// CLIOrigin is the origin of actions taken with the miniauth command.
var CLIOrigin = Origin{Operator: "cli"}

// AddOperator creates an operator with the password.
//
// Errors: EInvalidRequest (a bad name or password, a name taken).
func (c *Console) AddOperator(ctx context.Context, name, password string) error {
	if !ValidOperatorName(name) {
		return Errorf(EInvalidRequest, "an operator name is 1 to %d of a-z A-Z 0-9 . _ @ -", maxOperatorName)
	}
	hash, err := c.hash(password)
	if err != nil {
		return err
	}
	now := c.opts.Now()
	op := &Operator{ID: NewID(), Name: name, PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	if err := c.run(ctx, "create operator", func(ctx context.Context) error {
		return c.opts.Operators.CreateOperator(ctx, op)
	}); err != nil {
		return err
	}
	return c.audit(ctx, CLIOrigin, AuditOperatorAdd, name)
}

// SetOperatorPassword replaces an operator's password and unlocks it.
//
// Errors: EInvalidRequest, ENotFound.
func (c *Console) SetOperatorPassword(ctx context.Context, name, password string) error {
	hash, err := c.hash(password)
	if err != nil {
		return err
	}
	if err := c.run(ctx, "set operator password", func(ctx context.Context) error {
		return c.opts.Operators.SetOperatorPassword(ctx, name, hash, c.opts.Now())
	}); err != nil {
		return err
	}
	return c.audit(ctx, CLIOrigin, AuditOperatorPasswd, name)
}

// RemoveOperator deletes an operator; its console sessions end at once.
//
// Errors: ENotFound.
func (c *Console) RemoveOperator(ctx context.Context, name string) error {
	if err := c.run(ctx, "remove operator", func(ctx context.Context) error {
		return c.opts.Operators.RemoveOperator(ctx, name)
	}); err != nil {
		return err
	}
	return c.audit(ctx, CLIOrigin, AuditOperatorRemove, name)
}

// Operators lists the operators by name.
func (c *Console) Operators(ctx context.Context) ([]*Operator, error) {
	return call(ctx, c.opts.Deadline, "operators", c.opts.Operators.Operators)
}

// Enabled reports whether the console is served: once an operator exists.
func (c *Console) Enabled(ctx context.Context) (bool, error) {
	return call(ctx, c.opts.Deadline, "has operators", c.opts.Operators.HasOperators)
}

func (c *Console) hash(password string) (string, error) {
	if err := checkOperatorPassword(password); err != nil {
		return "", err
	}
	hash, err := c.opts.Hasher.Hash(password)
	if err != nil {
		return "", WrapError(EInternal, "hashing the password", err)
	}
	return hash, nil
}

// audit records an action. A failure to record it fails the action's
// answer: an operator action that cannot be audited must not look done.
func (c *Console) audit(ctx context.Context, from Origin, action, target string) error {
	e := &AuditEntry{
		ID:        NewID(),
		At:        c.opts.Now(),
		Operator:  cleanText(from.Operator, maxOperatorName),
		Action:    action,
		Target:    target,
		IP:        cleanText(from.IP, maxIPBytes),
		UserAgent: cleanText(from.UserAgent, maxUserAgentBytes),
	}
	return c.run(ctx, "append audit", func(ctx context.Context) error {
		return c.opts.Operators.AppendAudit(ctx, e)
	})
}

// AuditLog returns a page of the audit log, newest first.
func (c *Console) AuditLog(ctx context.Context, f AuditFilter) ([]*AuditEntry, error) {
	return call(ctx, c.opts.Deadline, "audit log", func(ctx context.Context) ([]*AuditEntry, error) {
		return c.opts.Operators.AuditLog(ctx, f)
	})
}

// run calls a store under the console's deadline.
func (c *Console) run(ctx context.Context, op string, fn func(context.Context) error) error {
	return c.opts.Deadline.run(ctx, c.opts.Deadline.timeout(), op, fn)
}

// consolePurgeInterval is how often expired console sessions are deleted.
const consolePurgeInterval = 10 * time.Minute

// Run counts the dashboard's totals once at start when the console is in
// use, so that its first page does not wait for them, then deletes expired
// console sessions every consolePurgeInterval until ctx ends.
func (c *Console) Run(ctx context.Context) {
	if on, _ := c.Enabled(ctx); on && c.opts.Directory != nil {
		if _, _, err := c.stats.totals(ctx, c); err != nil && c.svc != nil {
			c.svc.log.Warn("counting the console's dashboard", "err", err)
		}
	}
	t := time.NewTicker(consolePurgeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := c.opts.Deadline.run(ctx, purgeTimeout, "purge operator sessions", func(ctx context.Context) error {
				_, err := c.opts.Operators.DeleteExpiredOperatorSessions(ctx, c.opts.Now())
				return err
			})
			if err != nil && c.svc != nil {
				c.svc.log.Warn("deleting expired console sessions", "err", err)
			}
		}
	}
}
