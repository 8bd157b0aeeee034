# shellcheck shell=bash
#-------------------------------------------------------------------------
#
# lib_worker.sh
#	  Helpers of the worker-mode tests (e2e_worker.sh,
#	  e2e_worker_clickhouse.sh): REST calls with curl, and the worker
#	  started in the background.  Sourced after lib_e2e.sh, never run.
#
# Needs: API (http://127.0.0.1:<rest.port>), WORK, SINK, SINK_PIDS.
#
# test/sink/lib_worker.sh
#
#-------------------------------------------------------------------------

# api METHOD PATH [JSON]: the response body in $WORK/resp.json, the
# status in CODE
api() {
	local -a data=()
	[[ $# -ge 3 ]] && data=(-H 'Content-Type: application/json' --data-binary "$3")
	CODE=$(curl -s -o "$WORK/resp.json" -w '%{http_code}' -X "$1" "${data[@]}" "$API$2")
}

# worker_start: run the worker of $WORK/worker.properties until its REST
# API answers (up to 60 s: a sanitizer build starts slowly)
worker_start() {
	"$SINK" worker --config "$WORK/worker.properties" >>"$WORK/worker.out" 2>>"$WORK/worker.err" &
	SINK_PIDS["worker"]=$!
	local i
	for ((i = 0; i < 600; i++)); do
		curl -sf "$API/" >/dev/null && return 0
		sleep 0.1
	done
	return 1
}
