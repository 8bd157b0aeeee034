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
#include "utils/builtins.h"

#include "wal2dbz.h"

PG_FUNCTION_INFO_V1(wal2dbz_version);

/* The version of the loaded library, to compare with the extension's. */
Datum
wal2dbz_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(WAL2DBZ_VERSION));
}
