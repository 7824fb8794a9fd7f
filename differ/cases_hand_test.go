package differ

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// handCases are built from the seed's response shape: one case per event
// type and per situation that must give no event.
func handCases() []goldenCase {
	b := edited()
	failed := func(d doc) {
		s := step(d, "FULL_TRANSFER")
		s["Status"] = "FAILED"
		s["ExtraInfo"].(doc)["ErrorDetails"] = []any{errorDetail("CM-RESOAT1111", "ERROR",
			"A system error occurred.", "The writer lost its connection.", "Resume the project.")}
		s["ExtraInfo"].(doc)["ErrorCode"], s["ExtraInfo"].(doc)["ErrorMsg"] = "INNER_ERROR", "A system error occurred."
		s["ExtraInfo"].(doc)["FailedTime"] = "2023-07-13T06:31:00"
	}
	twoErrors := func(d doc) {
		stepExtra(d, "FULL_TRANSFER")["ErrorDetails"] = []any{
			errorDetail("CM-RESOAT1111", "ERROR", "A system error occurred.", "null", "null"),
			errorDetail("CONNECT_CHECK_ERROR", "CRITICAL", "Cannot connect to the sink.", "timeout", "Check the network."),
		}
	}
	return []goldenCase{
		{"discovered", nil, b},
		{"discovered_bare_onprem", nil, onPrem(bare(b))},
		{"discovered_failed_with_problems", nil, edited(failed, alarmOn(2), func(d doc) {
			d["Status"] = "FAILED"
			stepExtra(d, "INCR_TRANSFER")["ErrorCode"] = "STORE_NOT_PULL_LOG_ERROR"
			stepExtra(d, "INCR_TRANSFER")["ErrorMsg"] = "The Store has not pulled logs\nfor 300 seconds."
			d["WorkerGradeInfo"].(doc)["Expired"] = true
		})},
		{"discovered_suspend_warning", nil, edited(func(d doc) { d["Status"] = "SUSPEND" })},
		{"discovered_released_recorded", nil, edited(func(d doc) { d["Status"] = "RELEASED" })},
		{"identical", b, b},
		{"telemetry_only", b, changed(telemetry)},
		{"noise_whitespace_null", b, noisy},
		{"reordered_steps", b, edited(func(d doc) { slices.Reverse(d["Steps"].([]any)) })},
		{"reordered_error_details", edited(twoErrors), edited(twoErrors, func(d doc) {
			slices.Reverse(stepExtra(d, "FULL_TRANSFER")["ErrorDetails"].([]any))
		})},
		{"spelling_cloud_to_onprem", b, onPrem(b)},
		{"spelling_bare_vs_envelope_with_telemetry", onPrem(b), bare(changed(telemetry))},
		{"project_status_failed", b, changed(func(d doc) { d["Status"] = "FAILED" })},
		{"project_status_suspend", b, changed(func(d doc) { d["Status"] = "SUSPEND" })},
		{"project_status_finished", b, changed(func(d doc) { d["Status"] = "FINISHED" })},
		{"metadata_name", b, changed(func(d doc) { d["Name"] = "orders_mysql_to_ob" })},
		{"metadata_labels_importance_owner", b, changed(func(d doc) {
			d["Labels"] = []any{doc{"Id": "l_prod01", "Name": "production"}, doc{"Id": "l_pay02", "Name": "payments"}}
			d["Importance"], d["Owner"] = "LOW", "dba_wang"
		})},
		{"step_failed_with_error", b, changed(failed)},
		{"step_status_finished", b, changed(func(d doc) {
			s := step(d, "FULL_TRANSFER")
			s["Status"], s["Progress"], s["FinishTime"] = "FINISHED", json.Number("100"), "2023-07-13T06:31:00"
		})},
		{"step_status_and_progress_one_event", b, changed(func(d doc) {
			s := step(d, "INCR_TRANSFER")
			s["Status"], s["Progress"] = "RUNNING", json.Number("5")
		})},
		{"step_progress", b, changed(func(d doc) {
			step(d, "FULL_TRANSFER")["Progress"] = json.Number("65")
			step(d, "FULL_TRANSFER")["StepInfo"].(doc)["processedRecords"] = json.Number("1625")
		})},
		{"step_appeared", b, changed(func(d doc) {
			d["Steps"] = append(d["Steps"].([]any), newStep(5, "FULL_VERIFIER", "全量校验", "INIT", 0))
		})},
		{"step_vanished", b, changed(func(d doc) { d["Steps"] = d["Steps"].([]any)[:3] })},
		{"step_renamed_spelling", b, changed(func(d doc) { step(d, "PRE_CHECK")["Name"] = "PRE-CHECK" })},
		{"error_raised_detail", b, changed(func(d doc) {
			stepExtra(d, "FULL_TRANSFER")["ErrorDetails"] = []any{errorDetail("CONNECT_CHECK_ERROR", "CRITICAL",
				"Cannot connect to the sink.", "timeout after 30s", "Check the network <and> the whitelist.")}
		})},
		{"error_raised_old_style", b, changed(func(d doc) {
			stepExtra(d, "FULL_TRANSFER")["ErrorCode"] = "WRITER_UNKNOWN_STATUS"
			stepExtra(d, "FULL_TRANSFER")["ErrorMsg"] = "The writer status is unknown.\n"
			stepExtra(d, "FULL_TRANSFER")["ErrorParam"] = doc{"writer": "w-1"}
		})},
		{"error_second_raised", edited(func(d doc) {
			stepExtra(d, "FULL_TRANSFER")["ErrorDetails"] = twoErrorsFirst()
		}), changed(twoErrors)},
		{"error_cleared", edited(failed), changed(func(d doc) { step(d, "FULL_TRANSFER")["Status"] = "FAILED" })},
		{"error_changed_reason", edited(twoErrors), changed(twoErrors, func(d doc) {
			stepExtra(d, "FULL_TRANSFER")["ErrorDetails"].([]any)[1].(doc)["Reason"] = "connection refused"
		})},
		{"error_changed_proposal_failed_time", edited(twoErrors), changed(twoErrors, func(d doc) {
			e := stepExtra(d, "FULL_TRANSFER")
			e["ErrorDetails"].([]any)[1].(doc)["Proposal"] = "Check the VPC routes."
			e["FailedTime"] = "2023-07-13T06:31:00"
		})},
		{"error_changed_one_of_two_gone", edited(twoErrors), changed(func(d doc) {
			stepExtra(d, "FULL_TRANSFER")["ErrorDetails"] = twoErrorsFirst()
		})},
		{"alarm_triggered", b, changed(func(d doc) {
			a := d["AlarmStats"].(doc)
			a["Alarming"], a["RecentlyTriggerCount"], a["AlarmContent"] = true, json.Number("2"), "Sync delay 95s > 30s"
			a["RuleToRecentlyTriggerCount"] = doc{"oms_sync_delay": json.Number("2")}
		})},
		{"alarm_count_rose", edited(alarmOn(3)), changed(alarmOn(5))},
		{"alarm_count_fell_no_event", edited(alarmOn(5)), changed(alarmOn(3))},
		{"alarm_cleared", edited(alarmOn(3)), changed(func(d doc) {
			a := d["AlarmStats"].(doc)
			a["Alarming"], a["RecentlyTriggerCount"] = false, json.Number("1")
			a["RuleToRecentlyTriggerCount"] = doc{"oms_sync_delay": json.Number("1")}
		})},
		{"config_table_inserted", bigMapping(60, -1), bigMapping(60, 31)},
		{"config_connect_info_redacted", b, changed(func(d doc) {
			c := d["SinkConnectInfo"].(doc)
			c["Host"], c["Username"], c["Port"] = "10.0.3.7", "oms_writer", json.Number("3306")
			c["Password"] = "s3cr3t!"
			c["ConnExtraAttributes"] = doc{"logProxyIp": "10.0.3.9", "logProxyPort": json.Number("2983"), "enableSSL": true}
		})},
		{"config_flags_and_throttle", b, changed(func(d doc) {
			d["EnableReverseIncrTransfer"] = false
			d["FullTransferConfig"].(doc)["ThrottleRps"] = json.Number("5000")
			d["IsModifying"] = true
		})},
		{"worker_expired", b, changed(func(d doc) { d["WorkerGradeInfo"].(doc)["Expired"] = true })},
		{"project_changed_catch_all", b, changed(func(d doc) {
			d["AlarmStats"].(doc)["OpenMonitor"] = false
			d["SinkEndpointType"] = "OB_MYSQL"
			d["ExtraInfo"].(doc)["StoreIncr"] = false
		})},
		{"many_changes_ordered", b, changed(failed, func(d doc) {
			d["Status"], d["Name"] = "FAILED", "orders_v2"
			step(d, "INCR_TRANSFER")["Progress"] = json.Number("5")
			d["AlarmStats"] = doc{"Alarming": true, "RecentlyTriggerCount": json.Number("1"),
				"RuleToRecentlyTriggerCount": doc{"oms_migration_failed": json.Number("1")}, "OpenMonitor": true,
				"AlarmContent": "FULL_TRANSFER failed"}
			d["FullTransferConfig"].(doc)["WriteWorkerNum"] = json.Number("32")
			d["GmtFinish"] = "2023-07-13T06:31:00"
		})},
	}
}

func twoErrorsFirst() []any {
	return []any{errorDetail("CM-RESOAT1111", "ERROR", "A system error occurred.", "null", "null")}
}

func alarmOn(count int) func(doc) {
	return func(d doc) {
		a := d["AlarmStats"].(doc)
		a["Alarming"], a["RecentlyTriggerCount"] = true, json.Number(fmt.Sprint(count))
		a["RuleToRecentlyTriggerCount"] = doc{"oms_sync_delay": json.Number(fmt.Sprint(count))}
		a["AlarmContent"] = fmt.Sprintf("Sync delay alarm #%d", count)
	}
}

// telemetry changes every telemetry field EVENTS.md lists, and nothing else.
func telemetry(d doc) {
	e := d["ExtraInfo"].(doc)
	e["SyncDelay"], e["SyncDelaySampleTimestamp"] = json.Number("42"), json.Number("1689230000")
	e["IncrSyncTimestamp"], e["RunningStep"], e["RunningProgress"] = json.Number("1689229958"), "FULL_TRANSFER", json.Number("41")
	e["MonitoringIncr"] = false
	s := step(d, "FULL_TRANSFER")
	s["StepInfo"].(doc)["processedRecords"] = json.Number("1025")
	s["StepInfo"].(doc)["srcRps"] = json.Number("310")
	s["StartTime"], s["Description"] = "2023-07-13T06:30:01", "Full migration"
	d["AlarmStats"].(doc)["AlarmContent"], d["AlarmStats"].(doc)["Target"] = "delay 3s", "np_fe****"
}

// noisy is base in a different dress: members shuffled by a different
// encoder, strings padded with white space, missing values as explicit
// null or the string "null", and empty strings for absent error fields
// turned into null.
func noisy(t *testing.T) []byte {
	d := base(t)
	d["Status"], d["Name"], d["Owner"] = " RUNNING\n", "\ttest ", d["Owner"].(string)+"\n"
	d["RunningHint"], d["OcpName"], d["DestConnId"] = nil, "null", "  "+d["DestConnId"].(string)
	step(d, "PRE_CHECK")["Status"] = "FINISHED\t"
	step(d, "PRE_CHECK")["FinishTime"] = nil
	d["Labels"].([]any)[0].(doc)["Name"] = " prod "
	var sb strings.Builder
	sb.WriteString("{\n\t\"Data\":\n")
	sb.Write(indented(t, d))
	sb.WriteString(",\"Success\" :   true , \"RequestId\": \"X-1\"}\n")
	return []byte(sb.String())
}
