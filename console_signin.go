package miniauth

import (
	"context"
	"time"
)

// operatorTokenPrefix marks console session tokens (cookies), as mat_ and
// mrt_ mark users' tokens.
const operatorTokenPrefix = "mop_"

var errBadSignIn = Errorf(EUnauthorized, "wrong operator name or password")

// SignIn checks an operator's name and password and starts a console
// session, whose token it returns. Every attempt is audited. MaxFailures
// failed attempts within Lockout lock the operator for Lockout, on every
// node (the count is in the database).
//
// Errors: EUnauthorized (unknown name or wrong password, told apart
// nowhere), ERateLimited (locked; RetryAfter set), EUpstreamUnavailable.
func (c *Console) SignIn(ctx context.Context, name, password string, from Origin) (string, *OperatorSession, error) {
	from.Operator = name
	op, err := call(ctx, c.opts.Deadline, "operator by name", func(ctx context.Context) (*Operator, error) {
		return c.opts.Operators.OperatorByName(ctx, name)
	})
	if ErrorCode(err) == ENotFound || !ValidOperatorName(name) || len(password) > maxOperatorPassword {
		c.verify(password, "") // the same work as for a wrong password
		return "", nil, c.refuse(ctx, from, AuditSignInFailed, errBadSignIn)
	}
	if err != nil {
		return "", nil, err
	}
	now := c.opts.Now()
	if locked := op.LockedUntil; locked.After(now) {
		return "", nil, c.refuse(ctx, from, AuditSignInLocked, lockedError(locked.Sub(now)))
	}
	if !c.verify(password, op.PasswordHash) {
		return "", nil, c.failSignIn(ctx, op, from)
	}
	if err := c.run(ctx, "clear sign-in failures", func(ctx context.Context) error {
		return c.opts.Operators.ClearSignInFailures(ctx, op.ID)
	}); err != nil {
		return "", nil, err
	}
	return c.startSession(ctx, op, from)
}

// verify checks password against encoded (the dummy hash when empty).
// An unreadable hash counts as a wrong password.
func (c *Console) verify(password, encoded string) bool {
	if encoded == "" {
		// An unknown name takes as long to refuse as a wrong password.
		c.dummyOnce.Do(func() { c.dummyHash, _ = c.opts.Hasher.Hash("not the password of anyone") })
		encoded = c.dummyHash
	}
	ok, err := c.opts.Hasher.Verify(password, encoded)
	return ok && err == nil
}

func (c *Console) failSignIn(ctx context.Context, op *Operator, from Origin) error {
	now := c.opts.Now()
	locked, err := call(ctx, c.opts.Deadline, "add sign-in failure", func(ctx context.Context) (time.Time, error) {
		return c.opts.Operators.AddSignInFailure(ctx, op.ID, now, c.opts.Lockout, c.opts.MaxFailures)
	})
	if err != nil {
		return err
	}
	if locked.After(now) {
		return c.refuse(ctx, from, AuditSignInFailed, lockedError(locked.Sub(now)))
	}
	return c.refuse(ctx, from, AuditSignInFailed, errBadSignIn)
}

func lockedError(left time.Duration) error {
	return &Error{Code: ERateLimited, Message: "too many failed sign-ins: this operator is locked for a while",
		RetryAfter: left}
}

// refuse audits a refused sign-in and returns why it was refused.
func (c *Console) refuse(ctx context.Context, from Origin, action string, why error) error {
	if err := c.audit(ctx, from, action, ""); err != nil {
		return err
	}
	return why
}

func (c *Console) startSession(ctx context.Context, op *Operator, from Origin) (string, *OperatorSession, error) {
	token := newToken(operatorTokenPrefix)
	now := c.opts.Now()
	sess := &OperatorSession{
		ID:           NewID(),
		TokenHash:    HashToken(token),
		OperatorID:   op.ID,
		OperatorName: op.Name,
		IP:           cleanText(from.IP, maxIPBytes),
		UserAgent:    cleanText(from.UserAgent, maxUserAgentBytes),
		CreatedAt:    now,
		ExpiresAt:    now.Add(c.opts.SessionTTL),
	}
	if err := c.run(ctx, "create operator session", func(ctx context.Context) error {
		return c.opts.Operators.CreateOperatorSession(ctx, sess)
	}); err != nil {
		return "", nil, err
	}
	if err := c.audit(ctx, from, AuditSignIn, ""); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Authenticate returns the live console session of a token.
//
// Errors: EUnauthorized, EUpstreamUnavailable.
func (c *Console) Authenticate(ctx context.Context, token string) (*OperatorSession, error) {
	if !wellFormed(token, operatorTokenPrefix) {
		return nil, errUnauthorized
	}
	sess, err := call(ctx, c.opts.Deadline, "operator session", func(ctx context.Context) (*OperatorSession, error) {
		return c.opts.Operators.OperatorSessionByHash(ctx, HashToken(token))
	})
	if ErrorCode(err) == ENotFound {
		return nil, errUnauthorized
	}
	if err != nil {
		return nil, err
	}
	if !c.opts.Now().Before(sess.ExpiresAt) {
		return nil, errUnauthorized
	}
	return sess, nil
}

// SignOut ends a console session.
func (c *Console) SignOut(ctx context.Context, sess *OperatorSession, from Origin) error {
	if err := c.run(ctx, "delete operator session", func(ctx context.Context) error {
		return c.opts.Operators.DeleteOperatorSession(ctx, sess.ID)
	}); err != nil {
		return err
	}
	return c.audit(ctx, from, AuditSignOut, "")
}
