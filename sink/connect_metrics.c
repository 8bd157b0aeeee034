/*-------------------------------------------------------------------------
 *
 * connect_metrics.c
 *	  /metrics of the worker mode: every connector's metrics in one
 *	  Prometheus text, each series labelled with its connector.
 *
 * Each connector's task renders its metrics exactly as the single sink's
 * /metrics does (sink_metrics_render(), the ClickHouse stage's included).
 * Prometheus wants each metric family once, its HELP and TYPE followed by
 * every one of its series, so the texts are not simply put one after the
 * other: their lines are regrouped by family (in the order the families
 * first appear), and each series gets connector="name" as its first
 * label.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_metrics.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "connect_metrics.h"

/* a growing text; oom once an allocation failed */
typedef struct Text
{
	char	   *data;
	size_t		len;
	size_t		cap;
	bool		oom;
} Text;

/* one metric family: its HELP and TYPE lines, then its series */
typedef struct Family
{
	char	   *name;
	int			owner;			/* the connector whose HELP and TYPE are kept */
	Text		header;
	Text		series;
} Family;

typedef struct Families
{
	Family	   *items;
	int			n;
	int			max;
	bool		oom;
} Families;

/* Append \p len bytes. */
static void
text_put(Text *t, const char *s, size_t len)
{
	if (t->oom)
		return;
	if (t->len + len + 1 > t->cap)
	{
		size_t		cap = t->cap ? t->cap * 2 : 1024;
		char	   *data;

		while (cap < t->len + len + 1)
			cap *= 2;
		data = realloc(t->data, cap);
		if (data == NULL)
		{
			t->oom = true;
			return;
		}
		t->data = data;
		t->cap = cap;
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

static void
text_puts(Text *t, const char *s)
{
	text_put(t, s, strlen(s));
}

/* A label value, escaped as the text format wants (\\, \", \n). */
static void
text_label(Text *t, const char *s)
{
	for (; *s; s++)
	{
		if (*s == '\\')
			text_puts(t, "\\\\");
		else if (*s == '"')
			text_puts(t, "\\\"");
		else if (*s == '\n')
			text_puts(t, "\\n");
		else
			text_put(t, s, 1);
	}
}

/* Find the family \p name, or add it owned by connector \p owner. */
static Family *
family_get(Families *fs, const char *name, size_t len, int owner)
{
	Family	   *f;
	int			i;

	for (i = 0; i < fs->n; i++)
		if (strlen(fs->items[i].name) == len &&
			memcmp(fs->items[i].name, name, len) == 0)
			return &fs->items[i];
	if (fs->n == fs->max)
	{
		int			max = fs->max ? fs->max * 2 : 64;
		Family	   *items = realloc(fs->items, max * sizeof(Family));

		if (items == NULL)
		{
			fs->oom = true;
			return NULL;
		}
		fs->items = items;
		fs->max = max;
	}
	f = &fs->items[fs->n];
	memset(f, 0, sizeof(*f));
	f->name = strndup(name, len);
	if (f->name == NULL)
	{
		fs->oom = true;
		return NULL;
	}
	f->owner = owner;
	fs->n++;
	return f;
}

/* The length of the metric name at \p p (up to '{', ' ' or the end). */
static size_t
name_len(const char *p, const char *eol)
{
	const char *q = p;

	while (q < eol && *q != '{' && *q != ' ')
		q++;
	return (size_t) (q - p);
}

/*
 * File the lines of connector \p idx's text under their families: HELP
 * and TYPE lines from the family's first connector only, every series
 * with connector="name" first among its labels.
 */
static void
add_text(Families *fs, int idx, const char *connector, const char *text,
		 size_t len)
{
	const char *p = text;
	const char *end = text + len;
	Family	   *cur = NULL;

	while (p < end && !fs->oom)
	{
		const char *nl = memchr(p, '\n', (size_t) (end - p));
		const char *eol = nl ? nl : end;
		size_t		linelen = (size_t) (eol - p);

		if (linelen > 7 && (strncmp(p, "# HELP ", 7) == 0 ||
							strncmp(p, "# TYPE ", 7) == 0))
		{
			cur = family_get(fs, p + 7, name_len(p + 7, eol), idx);
			if (cur && cur->owner == idx)
			{
				text_put(&cur->header, p, linelen);
				text_puts(&cur->header, "\n");
			}
		}
		else if (linelen > 0 && p[0] != '#')
		{
			size_t		n = name_len(p, eol);
			const char *rest = p + n;

			/* a series before any HELP is a family of its own */
			if (cur == NULL)
				cur = family_get(fs, p, n, idx);
			if (cur)
			{
				Text	   *t = &cur->series;

				text_put(t, p, n);
				text_puts(t, "{connector=\"");
				text_label(t, connector);
				text_puts(t, "\"");
				if (rest < eol && *rest == '{')
				{
					rest++;
					if (rest < eol && *rest != '}')
						text_puts(t, ",");
				}
				else
					text_puts(t, "}");
				text_put(t, rest, (size_t) (eol - rest));
				text_puts(t, "\n");
			}
		}
		p = nl ? nl + 1 : end;
	}
}

/* Render every connector's metrics; see connect_metrics.h. */
char *
sink_connect_metrics_render(const SinkConnectMetrics *connectors, int n,
							size_t *len)
{
	Families	fs;
	Text		out;
	int			i;

	memset(&fs, 0, sizeof(fs));
	memset(&out, 0, sizeof(out));

	text_puts(&out, "# HELP wal2dbz_connector_state 1 for the connector's state (RUNNING, PAUSED, FAILED, UNASSIGNED, STOPPED).\n"
			  "# TYPE wal2dbz_connector_state gauge\n");
	for (i = 0; i < n; i++)
	{
		text_puts(&out, "wal2dbz_connector_state{connector=\"");
		text_label(&out, connectors[i].name);
		text_puts(&out, "\",state=\"");
		text_label(&out, connectors[i].state);
		text_puts(&out, "\"} 1\n");
	}

	for (i = 0; i < n && !fs.oom; i++)
	{
		size_t		textlen = 0;
		char	   *text;

		if (connectors[i].metrics == NULL)
			continue;
		text = sink_metrics_render(connectors[i].metrics, &textlen);
		if (text == NULL)
		{
			fs.oom = true;
			break;
		}
		add_text(&fs, i, connectors[i].name, text, textlen);
		free(text);
	}

	for (i = 0; i < fs.n; i++)
	{
		Family	   *f = &fs.items[i];

		if (f->header.oom || f->series.oom)
			fs.oom = true;
		if (f->header.len)
			text_put(&out, f->header.data, f->header.len);
		if (f->series.len)
			text_put(&out, f->series.data, f->series.len);
		free(f->header.data);
		free(f->series.data);
		free(f->name);
	}
	free(fs.items);

	if (fs.oom || out.oom)
	{
		free(out.data);
		return NULL;
	}
	*len = out.len;
	return out.data;
}
