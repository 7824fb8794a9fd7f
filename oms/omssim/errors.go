package omssim

import "math/rand/v2"

// Step errors the generator shows. Old-style codes come from OMS's published
// vocabulary (§4.7 of the API notes); the new-style CM-... codes other than
// the API page's CM-RESOAT1111 are synthetic but shaped like it.

var fullErrors = []stepError{
	{
		code: "DEST_WRITER_START_FAILED", msg: "The full-import writer failed to start: the target table is not empty.",
		param: map[string]string{"table": "t_order_0001"},
		detail: ErrorDetail{Code: "CM-RESOFULL0102", Level: "ERROR", Message: "The full-import writer failed to start.",
			Reason:   "The target table t_order_0001 already holds rows and AllowDestTableNotEmpty is false.",
			Proposal: "Empty the target table or allow a non-empty target, then resume the project."},
	},
	{
		code: "INNER_ERROR", msg: "A system error occurred.",
		param: map[string]string{"component": "full-import"},
		detail: ErrorDetail{Code: DetailCodeInnerError, Level: "ERROR", Message: "A system error occurred.",
			Reason: "An internal OMS service was unavailable.", Proposal: "Contact the administrator."},
	},
}

var incrErrors = []stepError{
	{
		code: "STORE_NOT_PULL_LOG_ERROR", msg: "The Store component has not pulled logs for 300 seconds.",
		param: map[string]string{"store": "store_0"},
		detail: ErrorDetail{Code: "CM-RESOINCR0207", Level: "CRITICAL", Message: "The incremental Store stopped pulling logs.",
			Reason:   "The source log service did not answer within 300 seconds.",
			Proposal: "Check the source's binlog/clog service and the network, then resume the project."},
	},
	{
		code: "EXECUTE_DDL_FAILURE", msg: "Failed to execute DDL on the target: Unknown column 'discount' in 't_order_0002'.",
		param: map[string]string{"table": "t_order_0002"},
		detail: ErrorDetail{Code: "CM-RESOINCR0311", Level: "ERROR", Message: "A DDL statement could not be replayed on the target.",
			Reason: "The target schema differs from the source.", Proposal: "Align the target table's schema and resume the project."},
	},
	{
		code: "SOURCE_CRAWLER_START_FAILED_DATA_EXPIRED", msg: "The incremental log at the checkpoint has been purged from the source.",
		param: map[string]string{"checkpoint": "expired"},
		detail: ErrorDetail{Code: "CM-RESOINCR0119", Level: "FATAL", Message: "The log at the incremental checkpoint is no longer kept by the source.",
			Reason:   "The source's log retention is shorter than the incremental delay.",
			Proposal: "Raise the source's log retention; the project may need a new full migration."},
	},
}

func pickError(r *rand.Rand, from []stepError) stepError { return from[r.IntN(len(from))] }
