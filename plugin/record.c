/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Write a row or a key of a cached relation as Debezium payload JSON.
 *
 * A missing value (NULL, or a column absent from an old key tuple) is
 * written as Kafka Connect's JsonConverter would write it: the schema's
 * default if there is one, else null for an optional field, else the
 * fallback Debezium's converter substitutes for a required one.  An
 * unchanged TOASTed value takes the old tuple's value when the old tuple
 * has it (REPLICA IDENTITY FULL), else Debezium's placeholder.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  plugin/record.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "access/htup_details.h"

#include "wal2dbz.h"

/*
 * Append what a column with no value reads as.  Debezium's converter gives
 * a required field its default or a fallback; the JSON converter then
 * writes a null optional field as its default unless told not to.
 */
static void
write_missing(StringInfo out, const Wal2dbzColumn *col,
			  const Wal2dbzOptions *opt)
{
	if (col->default_json && (!col->optional || opt->replace_null_with_default))
		appendStringInfoString(out, col->default_json);
	else if (col->optional)
		appendStringInfoLiteral(out, "null");
	else
		appendStringInfoString(out, col->fallback_json);
}

/*
 * Append one column's value (value, isnull) from a tuple; "old_tuple", if
 * not NULL, supplies unchanged TOASTed values.
 */
static void
write_converted(StringInfo out, const Wal2dbzColumn *col, Datum value,
				bool isnull, TupleDesc desc, HeapTuple old_tuple,
				const Wal2dbzOptions *opt)
{
	if (isnull)
	{
		write_missing(out, col, opt);
		return;
	}
	if (col->varlena)
	{
		struct varlena *ptr = (struct varlena *) DatumGetPointer(value);

		if (VARATT_IS_EXTERNAL_ONDISK(ptr))
		{
			bool		old_isnull = true;
			Datum		old_value = (Datum) 0;

			if (old_tuple)
				old_value = heap_getattr(old_tuple, col->attnum, desc, &old_isnull);
			if (old_isnull ||
				VARATT_IS_EXTERNAL_ONDISK(DatumGetPointer(old_value)))
			{
				appendStringInfoString(out, col->placeholder_json ?
									   col->placeholder_json : "null");
				return;
			}
			ptr = (struct varlena *) DatumGetPointer(old_value);
		}
		value = PointerGetDatum(pg_detoast_datum_packed(ptr));
	}
	wal2dbz_write_value(out, &col->type, value, opt);
}

/*
 * Append one column's value as Debezium publishes it: converted, then
 * rewritten by the column's mapper (column.mask.*, column.truncate.*).
 */
static inline void
write_column(StringInfo out, const Wal2dbzColumn *col, Datum value,
			 bool isnull, TupleDesc desc, HeapTuple old_tuple,
			 const Wal2dbzOptions *opt)
{
	int			start = out->len;

	write_converted(out, col, value, isnull, desc, old_tuple, opt);
	if (unlikely(col->mapper != NULL))
		wal2dbz_column_map(out, start, col);
}

/*
 * Append the row struct of "tuple": {"col":value,...}.  The tuple is
 * deformed once (into the caller's memory context) rather than walked
 * column by column.
 */
void
wal2dbz_write_row(StringInfo out, Wal2dbzRelInfo *info, HeapTuple tuple,
				  TupleDesc desc, HeapTuple old_tuple,
				  const Wal2dbzOptions *opt)
{
	Datum	   *values = palloc(sizeof(Datum) * desc->natts);
	bool	   *nulls = palloc(sizeof(bool) * desc->natts);

	heap_deform_tuple(tuple, desc, values, nulls);
	appendStringInfoCharMacro(out, '{');
	for (int i = 0; i < info->ncolumns; i++)
	{
		const Wal2dbzColumn *col = &info->columns[i];
		int			att = col->attnum - 1;

		if (i > 0)
			appendStringInfoCharMacro(out, ',');
		wal2dbz_append(out, col->json_key, col->json_key_len);
		write_column(out, col, values[att], nulls[att], desc, old_tuple, opt);
	}
	appendStringInfoCharMacro(out, '}');
	pfree(values);
	pfree(nulls);
}

/* Append one column's value from "tuple", as in a row. */
void
wal2dbz_write_column(StringInfo out, Wal2dbzRelInfo *info,
					 const Wal2dbzColumn *col, HeapTuple tuple, TupleDesc desc,
					 const Wal2dbzOptions *opt)
{
	bool		isnull;
	Datum		value = heap_getattr(tuple, col->attnum, desc, &isnull);

	write_column(out, col, value, isnull, desc, NULL, opt);
}

/* Append the key struct payload of "tuple": {"id":value,...}. */
void
wal2dbz_write_key(StringInfo out, Wal2dbzRelInfo *info, HeapTuple tuple,
				  TupleDesc desc, const Wal2dbzOptions *opt)
{
	appendStringInfoCharMacro(out, '{');
	for (int k = 0; k < info->nkeys; k++)
	{
		const Wal2dbzColumn *col = &info->columns[info->key_columns[k]];

		bool		isnull;
		Datum		value = heap_getattr(tuple, col->attnum, desc, &isnull);

		if (k > 0)
			appendStringInfoCharMacro(out, ',');
		wal2dbz_append(out, col->json_key, col->json_key_len);
		/* Debezium's mappers change values, never keys */
		write_converted(out, col, value, isnull, desc, NULL, opt);
	}
	appendStringInfoCharMacro(out, '}');
}
