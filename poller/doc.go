// Package poller will own everything that talks to OMS on a schedule: the
// Alibaba Cloud (signed RPC) and on-premise (/api/v2) clients, project
// discovery through ListProjects, the cron schedule with per-project jitter,
// rate limits and retries, failure accounting (oms.poll.failing/recovered),
// and the durable snapshot Store (JetStream KV). It is filled by the poller
// issue; until then it holds no code.
package poller
