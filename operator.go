package miniauth

import (
	"context"
	"time"
	"unicode/utf8"
)

// Operator is a person who runs the deployment and signs in to the console.
// Operators are kept in the SQL database; the admin token of the API is
// separate and keeps working.
type Operator struct {
	ID           string
	Name         string
	PasswordHash string // a PasswordHasher's encoded string (argon2id, PHC form)
	CreatedAt    time.Time
	UpdatedAt    time.Time
	// LockedUntil is set by too many failed sign-ins; zero when not locked.
	LockedUntil time.Time
}

// OperatorSession is one signed-in browser of an operator. Its token is
// kept only as a hash, as users' tokens are.
type OperatorSession struct {
	ID           string
	TokenHash    string
	OperatorID   string
	OperatorName string // filled in by OperatorSessionByHash
	IP           string
	UserAgent    string
	CreatedAt    time.Time
	ExpiresAt    time.Time
}

// AuditEntry is one operator action: who, what, on what, when and from where.
type AuditEntry struct {
	ID        string
	At        time.Time
	Operator  string // the operator's name as given (also for failed sign-ins); "cli" for the command line
	Action    string // one of the Audit* constants
	Target    string // a user or session id, an operator name; may be empty
	IP        string
	UserAgent string
}

// What the audit log records.
const (
	AuditSignIn         = "sign_in"
	AuditSignInFailed   = "sign_in_failed"
	AuditSignInLocked   = "sign_in_locked"
	AuditSignOut        = "sign_out"
	AuditRevokeSession  = "revoke_session"
	AuditDisableUser    = "disable_user"
	AuditEnableUser     = "enable_user"
	AuditOperatorAdd    = "operator_add"
	AuditOperatorPasswd = "operator_passwd"
	AuditOperatorRemove = "operator_remove"
)

// AuditFilter pages the audit log, newest first: entries strictly older
// than (Before, BeforeID) when Before is set.
type AuditFilter struct {
	Before   time.Time
	BeforeID string
	Limit    int // 0: a default chosen by the store (at most 100)
}

// OperatorStore keeps operators, their console sessions, their failed
// sign-ins and the audit log. Implementations: sqlite, postgres, mysql.
type OperatorStore interface {
	// CreateOperator stores a new operator; EInvalidRequest when the name
	// is taken.
	CreateOperator(ctx context.Context, op *Operator) error
	// OperatorByName returns the operator or ENotFound.
	OperatorByName(ctx context.Context, name string) (*Operator, error)
	// Operators lists every operator by name.
	Operators(ctx context.Context) ([]*Operator, error)
	// HasOperators reports whether at least one operator exists.
	HasOperators(ctx context.Context) (bool, error)
	// SetOperatorPassword replaces the hash and unlocks the operator; ENotFound.
	SetOperatorPassword(ctx context.Context, name, hash string, at time.Time) error
	// RemoveOperator deletes the operator and its sessions; ENotFound.
	RemoveOperator(ctx context.Context, name string) error

	// AddSignInFailure counts a failed sign-in at time at. Failures older
	// than window are forgotten; the max-th within window locks the
	// operator until at+window and starts the count again. It returns when
	// the operator is locked until (zero: not locked). Concurrent calls on
	// any node count every failure.
	AddSignInFailure(ctx context.Context, operatorID string, at time.Time, window time.Duration, max int) (time.Time, error)
	// ClearSignInFailures forgets the failures of a successful sign-in.
	ClearSignInFailures(ctx context.Context, operatorID string) error

	// CreateOperatorSession stores a new console session.
	CreateOperatorSession(ctx context.Context, s *OperatorSession) error
	// OperatorSessionByHash returns the session with its operator's name,
	// or ENotFound. It does not check expiry: the caller does.
	OperatorSessionByHash(ctx context.Context, tokenHash string) (*OperatorSession, error)
	// DeleteOperatorSession ends a console session; unknown ids are no error.
	DeleteOperatorSession(ctx context.Context, id string) error
	// DeleteExpiredOperatorSessions deletes sessions expired before t.
	DeleteExpiredOperatorSessions(ctx context.Context, before time.Time) (int, error)

	// AppendAudit records an operator action.
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// AuditLog returns entries matching f, newest first.
	AuditLog(ctx context.Context, f AuditFilter) ([]*AuditEntry, error)
}

// PasswordHasher turns operator passwords into self-describing encoded
// strings (algorithm, parameters, salt, hash) and checks them. The argon2id
// package implements it.
type PasswordHasher interface {
	Hash(password string) (string, error)
	// Verify reports whether password matches encoded; an encoded string
	// it cannot read is an error.
	Verify(password, encoded string) (bool, error)
}

// Limits of operator names and passwords.
const (
	MinOperatorPassword = 12   // characters
	maxOperatorPassword = 1024 // bytes: argon2 takes any length, a request body should not
	maxOperatorName     = 64
)

// ValidOperatorName reports whether name is 1 to 64 of a-z, A-Z, 0-9 and
// ". _ @ -": names appear in the audit log and on the command line.
func ValidOperatorName(name string) bool {
	if name == "" || len(name) > maxOperatorName {
		return false
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == '.' || r == '_' || r == '@' || r == '-'
		if !ok {
			return false
		}
	}
	return true
}

// checkOperatorPassword refuses passwords too short to resist guessing.
func checkOperatorPassword(pw string) error {
	if !utf8.ValidString(pw) {
		return Errorf(EInvalidRequest, "the password is not valid UTF-8")
	}
	if utf8.RuneCountInString(pw) < MinOperatorPassword {
		return Errorf(EInvalidRequest, "the password needs at least %d characters", MinOperatorPassword)
	}
	if len(pw) > maxOperatorPassword {
		return Errorf(EInvalidRequest, "the password is longer than %d bytes", maxOperatorPassword)
	}
	return nil
}
