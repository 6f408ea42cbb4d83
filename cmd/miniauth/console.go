package main

import (
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/miniauth/miniauth"
	"github.com/miniauth/miniauth/argon2id"
	"github.com/miniauth/miniauth/config"
	"github.com/miniauth/miniauth/console"
	"github.com/miniauth/miniauth/httpapi"
)

// newConsole wires the operators' console: its use cases over the SQL
// database and the service, and its pages. svc is nil for the operator
// command, which needs the use cases only.
func newConsole(cfg config.Config, svc *miniauth.Service, cs consoleStores) *miniauth.Console {
	return miniauth.NewConsole(svc, miniauth.ConsoleOptions{
		Operators:   cs.operators,
		Hasher:      argon2id.New(cfg.Console.PasswordParams()),
		Directory:   cs.directory,
		Live:        cs.live,
		SessionTTL:  cfg.Console.SessionTTL.Duration,
		MaxFailures: cfg.Console.MaxFailures,
		Lockout:     cfg.Console.Lockout.Duration,
		Deadline:    miniauth.Deadline{Store: "database", Timeout: cfg.DB.Timeout.Duration},
	})
}

// consoleHandler returns the console's pages and the calls it reports.
func consoleHandler(cfg config.Config, c *miniauth.Console, plan *appPlan, registry *prometheus.Registry, logger *slog.Logger) (*console.Handler, *console.Calls, error) {
	calls := console.NewCalls(registry, nil)
	h, err := console.New(console.Options{
		Console:  c,
		Apps:     consoleApps(cfg, plan),
		Calls:    calls,
		Secure:   cfg.SecureCookies(),
		StatusOf: httpapi.StatusOf,
		Logger:   logger.With("component", "console"),
	})
	return h, calls, err
}

// consoleApps lists the configured apps with their platforms, for the
// console's filters.
func consoleApps(cfg config.Config, plan *appPlan) []console.App {
	var apps []console.App
	if cfg.DevMode() {
		for _, a := range plan.simApps {
			apps = append(apps, console.App{AppID: a.AppID, Platform: a.Platform})
		}
		return apps
	}
	for _, a := range cfg.Apps() {
		apps = append(apps, console.App{AppID: a.AppID, Platform: a.Platform})
	}
	return apps
}
