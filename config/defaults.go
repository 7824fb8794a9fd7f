package config

import "time"

// Every default value of the configuration, in one place. config/example.yaml
// shows the same values in its comments, and TestExampleShowsDefaults keeps
// the two in step.

// Default returns the configuration of a file that sets nothing: no oms
// section (the built-in simulator), an embedded NATS server on loopback,
// events that no route takes printed by the log target.
func Default() Config {
	return Config{
		OMS: OMS{
			Credentials: CredentialsDefaultChain,
			Signature:   SignatureV3,
			Timeout:     Duration(10 * time.Second),
			QPS:         10,
			MaxInFlight: 4,
			// 16 MiB: twelve 5,000-table answers, and at about twelve times
			// its size in memory, still inside a 512 MiB container.
			MaxAnswerSize: 16 << 20,
			Retries: Retries{
				MaxAttempts:    3,
				InitialBackoff: Duration(500 * time.Millisecond),
				MaxBackoff:     Duration(10 * time.Second),
			},
		},
		Discovery: Discovery{
			List:            List{PageSize: 100, Refresh: "@every 5m"},
			Mode:            DiscoveryTwoTier,
			DescribeRefresh: Duration(time.Hour),
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
			Delivery:    Delivery{MaxAttempts: 10, InitialBackoff: Duration(time.Second), MaxBackoff: Duration(5 * time.Minute)},
			Replicas:    1,
		},
		HA: HA{
			Bucket:        "omswatch-leases",
			LeaseTTL:      Duration(30 * time.Second),
			RenewInterval: Duration(10 * time.Second),
		},
		NATS: NATS{
			Embedded: Embedded{Host: "127.0.0.1", Port: 4222, MaxPayload: 8 << 20},
		},
		Slack: Slack{RateLimit: Rate{Count: 1, Per: time.Second}, ThreadsBucket: "omswatch-slack-threads"},
		Rules: Rules{
			DefaultTo:      []string{LogTarget},
			GroupBy:        []string{"project"},
			GroupWait:      Duration(10 * time.Second),
			RepeatInterval: Duration(4 * time.Hour),
			StateBucket:    "omswatch-rules",
			SilenceBucket:  "omswatch-silences",
		},
		HTTP: HTTP{Listen: "127.0.0.1:9090"},
		Log:  Log{Level: "info", Format: "text"},
	}
}

// Defaults of the items of named maps and lists, which Default cannot hold
// because they exist only once the file names them.

func (t *NATSTarget) setDefaults() { t.Subject = Template{Text: DefaultSubject} }

func (t *WebhookTarget) setDefaults() { t.Timeout = Duration(10 * time.Second) }

func (c *Condition) setDefaults() { c.Severity = "warning" }

func (r *RateLimit) setDefaults() { r.Burst = 1 }
