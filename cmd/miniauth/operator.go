package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/config"
)

const operatorUsage = `Usage:
  miniauth operator add [--config FILE] NAME      add an operator; the password is read from standard input
  miniauth operator passwd [--config FILE] NAME   set a new password (from standard input); unlocks the operator
  miniauth operator remove [--config FILE] NAME   remove an operator; their console sessions end
  miniauth operator list [--config FILE]          list the operators

Operators sign in to the console at /admin/, served once one exists.
Passwords have at least 12 characters and are stored as argon2id hashes.
`

// maxPasswordInput bounds what is read from standard input.
const maxPasswordInput = 4096

// operatorCommand manages the console's operators in the configured
// database (the same configuration as serve: file and variables).
func operatorCommand(ctx context.Context, args, environ []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, operatorUsage)
		return errUsage
	}
	verb, args := args[0], args[1:]
	fs := flag.NewFlagSet("operator "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", "", "TOML configuration file (optional)")
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	names := fs.Args()
	wantNames := 1
	if verb == "list" {
		wantNames = 0
	}
	if len(names) != wantNames || !oneOfVerbs(verb) {
		fmt.Fprint(stderr, operatorUsage)
		return errUsage
	}
	cfg, _, err := config.Load(*configPath, environ)
	if err != nil {
		return fmt.Errorf("configuration:\n%w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	db, _, err := openDatabase(ctx, cfg, logger, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	c := newConsole(cfg, nil, consoleStoresOf(db, false))
	switch verb {
	case "list":
		return listOperators(ctx, c, stdout)
	case "remove":
		if err := c.RemoveOperator(ctx, names[0]); err != nil {
			return operatorError(err)
		}
		fmt.Fprintf(stdout, "operator %s removed\n", names[0])
		return nil
	}
	password, err := readPassword(stdin)
	if err != nil {
		return err
	}
	if verb == "add" {
		err = c.AddOperator(ctx, names[0], password)
	} else {
		err = c.SetOperatorPassword(ctx, names[0], password)
	}
	if err != nil {
		return operatorError(err)
	}
	fmt.Fprintf(stdout, "operator %s: password set; the console is at /admin/\n", names[0])
	return nil
}

func oneOfVerbs(v string) bool {
	return v == "add" || v == "passwd" || v == "remove" || v == "list"
}

// readPassword reads the first line of standard input, without its line end.
func readPassword(stdin io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(stdin, maxPasswordInput)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// operatorError shows a coded error's message, which says what to fix.
func operatorError(err error) error {
	switch miniauth.ErrorCode(err) {
	case miniauth.EInvalidRequest, miniauth.ENotFound:
		return errors.New(miniauth.ErrorMessage(err))
	}
	return err
}

func listOperators(ctx context.Context, c *miniauth.Console, stdout io.Writer) error {
	ops, err := c.Operators(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tCREATED\tLOCKED UNTIL")
	for _, op := range ops {
		locked := "-"
		if op.LockedUntil.After(time.Now()) {
			locked = op.LockedUntil.Local().Format(time.RFC3339)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\n", op.Name, op.CreatedAt.Local().Format(time.RFC3339), locked)
	}
	return w.Flush()
}
