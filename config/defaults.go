package config

import (
	"time"

	"github.com/omswatch/omswatch/natsembed"
	"github.com/omswatch/omswatch/omsapi"
	"github.com/omswatch/omswatch/sinks/slack"
)

// Every default value of the configuration, in one place. config/example.yaml
// shows the same values in its comments, and TestExampleShowsDefaults keeps
// the two in step.

// Default returns the configuration of a file that sets nothing: no oms
// section (the built-in simulator), an embedded NATS server on loopback,
// events that no route takes printed by the log target.
func Default() Config {
	return Config{
		OMS: omsapi.DefaultConfig(),
		Discovery: Discovery{
			List:            List{PageSize: 100, Refresh: "@every 5m"},
			Mode:            DiscoveryTwoTier,
			DescribeRefresh: Duration(90 * time.Minute), // poller.DefaultDescribeRefresh
			Announce:        AnnounceSummary,
		},
		Schedule: Schedule{
			Default:          "@every 30s",
			Timezone:         "UTC",
			Jitter:           Duration(5 * time.Second),
			FailureThreshold: 3,
		},
		Store: Store{
			Dir:         "./omswatch-data",
			Bucket:      "omswatch-snapshots",
			DedupWindow: Duration(10 * time.Minute),
			Retention:   Retention{MaxAge: Duration(90 * 24 * time.Hour)},
			Delivery: Delivery{MaxAttempts: 100, InitialBackoff: Duration(time.Second), MaxBackoff: Duration(5 * time.Second),
				FailingAfter: Duration(5 * time.Minute)},
			Replicas: 1,
		},
		HA: HA{
			Bucket:        "omswatch-leases",
			LeaseTTL:      Duration(30 * time.Second),
			RenewInterval: Duration(10 * time.Second),
		},
		NATS:  NATS{Config: natsembed.DefaultConfig()},
		Slack: slack.DefaultConfig(),
		Rules: Rules{
			DefaultTo:      []string{LogTarget},
			GroupBy:        []string{"project"},
			GroupWait:      Duration(10 * time.Second),
			RepeatInterval: Duration(4 * time.Hour),
			StateBucket:    "omswatch-rules",
			SilenceBucket:  "omswatch-silences",
		},
		Incidents: Incidents{ResolveHold: 2, ResolveAfter: Duration(5 * time.Minute), Bucket: "omswatch-incidents", ShippedRunbooks: true,
			Correlate: Correlate{Window: Duration(2 * time.Minute), By: []string{"error_code", "endpoint"}},
			Remind:    Remind{Critical: Duration(4 * time.Hour)}},
		HTTP:      HTTP{Listen: "127.0.0.1:9090", Console: Console{Enabled: true, BearerUser: "token"}},
		Heartbeat: Heartbeat{Every: Duration(5 * time.Minute)},
		Digest:    Digest{Cron: "0 9 * * *", Timezone: "UTC", QuietAfter: Duration(7 * 24 * time.Hour)},
		Log:       Log{Level: "info", Format: "text"},
	}
}

// Defaults of the items of named maps and lists, which Default cannot hold
// because they exist only once the file names them.

// SetDefaults gives a condition its default severity.
func (c *Condition) SetDefaults() { c.Severity = "warning" }

// SetDefaults gives a rate limit its default burst.
func (r *RateLimit) SetDefaults() { r.Burst = 1 }
