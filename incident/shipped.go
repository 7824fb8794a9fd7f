package incident

// Shipped returns the runbooks omswatch ships (incidents.shipped_runbooks),
// drawn from what OMS documents and its users report: the Alibaba Cloud
// gateway's error codes, OMS's business and ErrorDetail codes, OMS's own
// alert kinds, the conditions of the example rules, and step failures. The
// first entry that matches wins, so the specific come before the general.
// The table is built on each call (no package state, nothing at init).
func Shipped() []Runbook {
	const (
		delay = "Incremental sync is behind. In the OMS console open View Component Monitoring and compare the Store " +
			"checkpoint with the Connector/JDBCWriter (Incr-Sync) checkpoint: if the Store lags, read the Store logs " +
			"(log pull from the source); else the writer's. Usual causes: batch operations or hot spots on the source " +
			"(source.splitThreshold), full GC in the connector JVM, slow partition computation (metrics.log: sink_delay, rps, tps)."
		failed = "Find the FAILED step in the OMS console and read its error: OMS's Reason and Proposal say what to fix. " +
			"Fix the cause, then resume the step. A step can fail while an inner OMS service is down and run again " +
			"minutes later: if it recovers by itself, check OMS's own health."
		full = "Full migration failed. It can be transient (an inner OMS service down) and run again within minutes; if " +
			"it stays FAILED, read the step's error and the connector's logs (View Component Monitoring), fix the cause " +
			"(target space, privileges, a table without a primary key) and resume the step."
		incr = "Incremental sync failed. Read the step's error, then the Store (log pull) and Incr-Sync component logs " +
			"in View Component Monitoring; resume the step once fixed. While it is stopped the source's logs must be " +
			"kept (binlog/archive retention) or the sync cannot resume."
		verify = "Verification failed or found inconsistencies. OMS writes a diff and correction SQL per table: review " +
			"them before applying, look for writes to the target outside the migration, then verify again."
		gateway = "Alibaba Cloud's OMS API failed on its side. omswatch retries by itself; if it lasts, check the " +
			"Alibaba Cloud status page or open a ticket with the RequestId from omswatch's log."
	)
	return []Runbook{
		// The Alibaba Cloud gateway's errors (failing polls).
		{"Throttling*", "OMS throttles this account's API calls. omswatch backs off by itself (oms.qps is halved); if it " +
			"lasts, lower oms.qps, poll less often (schedule) or stop other tools calling the API with the same account."},
		{"InvalidAccessKeyId*", "Alibaba Cloud does not know the AccessKey: check oms.access_key_id and that the key is " +
			"neither deleted nor disabled in RAM. Polls fail until it is fixed."},
		{"SignatureDoesNotMatch", "The request signature does not match: the AccessKey secret omswatch reads " +
			"(oms.access_key_secret) is wrong or was rotated. Polls fail until it is fixed."},
		{"IncompleteSignature", "The request signature is incomplete: check oms.access_key_secret and oms.signature (v3 or v1)."},
		{"IllegalTimestamp", "The request time is off: the clock of the host omswatch runs on is skewed. Sync it " +
			"(NTP, chrony); polls recover by themselves."},
		{"Forbidden*", "The account may not call the OMS API (RAM policy or risk control): allow the RAM user " +
			"oceanbase:DescribeProject and oceanbase:ListProjects."},
		{"ActionUnauthorized", "The account may not call the OMS API: allow the RAM user oceanbase:DescribeProject and " +
			"oceanbase:ListProjects."},
		{"InternalError", gateway},
		{"ServiceUnavailable", gateway},
		{"InvalidParameter", "OMS refused omswatch's request: an OMS API change or a bug. Report it with the log line (RequestId)."},
		{"MissingParameter", "OMS refused omswatch's request: an OMS API change or a bug. Report it with the log line (RequestId)."},
		// OMS's business codes: old style, then ErrorDetail's CM-*.
		{"INNER_ERROR", "OMS failed internally. Read the step's error detail and the component logs in the console; a " +
			"step FAILED while an inner service was down often runs again when it is back: resume it if not."},
		{"PARAM_ERROR", "OMS refused a parameter: the project's configuration (endpoints, objects, options) is invalid " +
			"for this step. Check it in the console, fix it and resume."},
		{"SEND_MARKDOWN_TEXT_TO_WEBHOOK_FAILED*", "OMS could not send its own alarm to a webhook channel: check the " +
			"alarm channel's webhook URL in OMS."},
		{"CM-*", "An OMS error: follow the Proposal OMS gives with it first (shown with the error). Then read the " +
			"failing component's logs in View Component Monitoring and resume the step once the cause is fixed."},
		// OMS's own alert kinds (AlarmStats rules).
		{"oms_migration_delay", delay},
		{"oms_sync_delay", delay},
		{"oms_migration_failed", failed},
		{"oms_sync_failed", failed},
		{"oms_sync_status_inconsistent", "OMS reports the sync task's status differs from its components': compare " +
			"them in View Component Monitoring; a component stuck or gone is the one to restart (suspend and resume the task)."},
		// The conditions of the example rules.
		{"condition:incr_delay_*", delay},
		{"condition:*checkpoint_stalled", "The incremental checkpoint does not move. On a source with no writes this " +
			"can be normal (nothing to replicate): compare the checkpoint's sample time with the delay's. Else the Store " +
			"or the writer is stuck: View Component Monitoring, then that component's logs."},
		{"condition:failed_for_*", failed},
		{"condition:worker_expiring", "The project's transfer instance expires soon: renew it in the console before " +
			"its end time, or the project stops."},
		// Step failures.
		{"step:FULL_TRANSFER", full},
		{"step:FULL_MIGRATION", full},
		{"step:CONNECTOR_FULL_SYNC", full},
		{"step:FULL_VERIFIER", verify},
		{"step:FULL_VALIDATION", verify},
		{"step:INCR_VERIFIER", verify},
		{"step:*INCR_LOG_PULL", "The Store (incremental log pull) failed: read the Store component's logs in View " +
			"Component Monitoring; check that the source's logs (binlog, archive logs) are still there and readable by " +
			"the migration user."},
		{"step:*INCR_*", incr},
		{"step:CONNECTOR_INCR_SYNC", incr},
		{"step:*PRE*CHECK", "The precheck failed: its error names the check (privileges, log settings, character " +
			"sets, space). Fix it on the endpoint and run the precheck again."},
		{"step:STRUCT_*", "Schema migration failed: the error names the object. Fix it or leave it out of the project, " +
			"then resume the step."},
		{"step:INDEX_*", "Index migration failed: the error names the index. Check the target's space and the index " +
			"definition, then resume the step."},
		{"step:*APP_SWITCH", "The switchover step failed or waits for you: read its error in the console; it may need " +
			"a confirmation there."},
		{"project:FAILED", failed},
		{"poll", "omswatch cannot read the project from OMS: the error code says why (network, credentials, " +
			"throttling, OMS down). Polls recover by themselves once it is fixed."},
	}
}
