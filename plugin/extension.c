/*-------------------------------------------------------------------------
 *
 * extension.c
 *	  SQL-callable functions of the wal2dbz extension.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/extension.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "wal2dbz.h"

PG_FUNCTION_INFO_V1(wal2dbz_version);
PG_FUNCTION_INFO_V1(wal2dbz_check_options);

/* The version of the loaded library, to compare with the extension's. */
Datum
wal2dbz_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(WAL2DBZ_VERSION));
}

/*
 * Check plugin options ({name, value, ...}) exactly as a decoding session
 * would at its start: the first bad one raises the error it would raise
 * there.  For "wal2dbz-sink check", before anything is decoded.
 */
Datum
wal2dbz_check_options(PG_FUNCTION_ARGS)
{
	Wal2dbzOptions opt;

	wal2dbz_parse_options(wal2dbz_options_from_array(PG_GETARG_ARRAYTYPE_P(0)),
						  &opt, false);
	PG_RETURN_VOID();
}
