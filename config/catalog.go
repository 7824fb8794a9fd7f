package config

import (
	"github.com/omswatch/omswatch/event"
	"github.com/omswatch/omswatch/sinks"
)

// The OMS vocabularies the configuration is checked against, from the OMS
// API reference (DescribeProject and ListProjects enumerations). They are
// functions returning fresh slices so nobody can change them for everybody.

// projectStatuses are the ListProjects Status filter values.
func projectStatuses() []string {
	return []string{"INIT", "RUNNING", "SUSPEND", "FAILED", "FINISHED", "RELEASING", "RELEASED", "DELETED",
		"RUNNING_MODIFYING", "RUNNING_MERGING", "RUNNING_ALARMING", "UNCONFIGURED"}
}

// projectTypes are the ListProjects Type values; on-premise OMS also has
// VERIFY projects.
func projectTypes(onprem bool) []string {
	if onprem {
		return []string{"MIGRATION", "SYNC", "VERIFY"}
	}
	return []string{"MIGRATION", "SYNC"}
}

// endpointTypes are the SourceEndpointTypes/SinkEndpointTypes filter values.
func endpointTypes() []string {
	return []string{"MYSQL", "MARIADB", "OB_MYSQL", "OB_MYSQL_CE", "OB_ORACLE", "ORACLE", "DB2_LUW", "KAFKA",
		"ROCKETMQ", "DATAHUB", "ADB", "DBP_OP_ROUTE", "DMS", "IDB", "TIDB", "POSTGRESQL", "POLARDB_X_1",
		"POLARDB_X_2", "SYBASE", "LOGPROXY"}
}

// importances are the project Importance (alarm level) values.
func importances() []string { return []string{"HIGH", "MEDIUM", "LOW", "IGNORE"} }

// phases are the step phases events carry (EVENTS.md).
func phases() []string {
	return []string{"precheck", "prepare", "schema", "incr_log_pull", "full", "index", "incr", "full_verify",
		"incr_verify", "switchover", "reverse_incr", "other"}
}

// severities are the event severities, least urgent first.
func severities() []string {
	return []string{string(event.Info), string(event.Warning), string(event.Critical)}
}

// groupByKeys are the event attributes notifications can be grouped by.
func groupByKeys() []string { return sinks.GroupByKeys() }

// checkTypeGlob validates an event type matcher (event.CheckTypeGlob).
func (v *validator) checkTypeGlob(p, glob string) {
	if err := event.CheckTypeGlob(glob); err != nil {
		v.errorf(p, "%s", err)
	}
}
