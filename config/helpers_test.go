package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miniauth/miniauth/config"
)

// loadDefaults loads the configuration of no file and no variable.
func loadDefaults(t *testing.T) config.Config {
	t.Helper()
	cfg, _, err := config.Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// loadTOML loads text as the configuration file, then env over it.
func loadTOML(t *testing.T, text string, env ...string) (config.Config, error) {
	t.Helper()
	cfg, _, err := loadTOMLWarnings(t, text, env...)
	return cfg, err
}

// loadClean loads text and env as loadTOML does, and fails the test on an
// error or a warning.
func loadClean(t *testing.T, text string, env ...string) config.Config {
	t.Helper()
	cfg, warnings, err := loadTOMLWarnings(t, text, env...)
	if err != nil || len(warnings) > 0 {
		t.Fatalf("err %v, warnings %v", err, warnings)
	}
	return cfg
}

func loadTOMLWarnings(t *testing.T, text string, env ...string) (config.Config, []string, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "miniauth.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return config.Load(path, env)
}

// edge is one variable at or past the edge of what a key accepts.
type edge struct {
	env     string
	problem string // a part of the error; "" when accepted
}

// checkEdges loads each edge's variable alone and checks it is accepted or
// refused with its problem named.
func checkEdges(t *testing.T, edges []edge) {
	t.Helper()
	for _, e := range edges {
		_, _, err := config.Load("", []string{e.env})
		switch {
		case e.problem == "" && err != nil:
			t.Errorf("%s refused: %v", e.env, err)
		case e.problem != "" && (err == nil || !strings.Contains(err.Error(), e.problem)):
			t.Errorf("%s: error %v, want %q", e.env, err, e.problem)
		}
	}
}
