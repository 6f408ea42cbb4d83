package main

import (
	"testing"

	"github.com/miniauth/miniauth/internal/testserver"
)

// TestMain stops the throwaway database servers that the cluster tests start.
func TestMain(m *testing.M) { testserver.Main(m) }
