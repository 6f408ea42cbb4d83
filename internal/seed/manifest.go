package seed

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Files of a seeded data directory.
const (
	ManifestFile = "seed.json"
	TokensFile   = "tokens.txt"
)

// Manifest records what a data directory holds, so that later runs of the
// bench find the database and the tokens again.
type Manifest struct {
	DB        string    `json:"db"`              // database URL
	Redis     string    `json:"redis,omitempty"` // Redis URL when sessions are there
	AppID     string    `json:"appid"`
	Users     int       `json:"users"`
	Sessions  int       `json:"sessions"`
	Events    int       `json:"events,omitempty"` // login events
	ExpiresAt time.Time `json:"expires_at"`       // when the seeded tokens stop working
	Seconds   float64   `json:"seconds"`          // how long the seed took
}

// WriteManifest writes dir/seed.json.
func WriteManifest(dir string, m Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, ManifestFile), append(b, '\n'), 0o600)
}

// ReadManifest reads dir/seed.json.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return m, fmt.Errorf("no seeded data in %s (run miniauth seed --data %s first): %w", dir, dir, err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	return m, nil
}

// ReadTokens reads the access tokens of dir/tokens.txt.
func ReadTokens(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, TokensFile))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tokens []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := sc.Text(); t != "" {
			tokens = append(tokens, t)
		}
	}
	return tokens, sc.Err()
}
