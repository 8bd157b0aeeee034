/*-------------------------------------------------------------------------
 *
 * connect_store.c
 *	  Durable storage of the worker's connectors: one local JSON file.
 *
 * Kafka Connect keeps connector configurations in a compacted topic
 * because several workers share them.  A wal2dbz-sink worker runs alone,
 * so a local file is enough, needs no topic to exist before the first
 * connector, and can be read and backed up with ordinary tools.  It is
 * replaced as a whole on every change, with the usual write-fsync-rename
 * sequence, so that a crash leaves either the old or the new file, never
 * a torn one.
 *
 * Portions Copyright (c) 2026, the wal2dbz authors
 *
 * IDENTIFICATION
 *	  sink/connect_store.c
 *
 *-------------------------------------------------------------------------
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "connect_store.h"
#include "log.h"

/* Read the store; see connect_store.h. */
json_t *
sink_store_load(const char *path)
{
	json_error_t jerr;
	json_t	   *root;
	json_t	   *connectors;
	const char *name;
	json_t	   *entry;

	if (access(path, F_OK) != 0 && errno == ENOENT)
		return json_object();

	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL)
	{
		sink_log_error("could not read connector store \"%s\": line %d: %s",
					   path, jerr.line, jerr.text);
		return NULL;
	}
	connectors = json_object_get(root, "connectors");
	if (!json_is_object(root) || !json_is_object(connectors))
	{
		sink_log_error("connector store \"%s\" has no \"connectors\" object",
					   path);
		json_decref(root);
		return NULL;
	}
	json_object_foreach(connectors, name, entry)
	{
		if (!json_is_object(json_object_get(entry, "config")) ||
			!json_is_string(json_object_get(entry, "target_state")))
		{
			sink_log_error("connector store \"%s\": connector \"%s\" has no \"config\" object or no \"target_state\"",
						   path, name);
			json_decref(root);
			return NULL;
		}
	}
	json_incref(connectors);
	json_decref(root);
	return connectors;
}

/* fsync the directory holding path, so that the rename is durable. */
static bool
fsync_parent(const char *path)
{
	char	   *copy = strdup(path);
	int			fd;
	bool		ok = false;

	if (copy == NULL)
		return false;
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
	if (fd >= 0)
	{
		ok = fsync(fd) == 0;
		close(fd);
	}
	free(copy);
	return ok;
}

/* Replace the store atomically; see connect_store.h. */
bool
sink_store_save(const char *path, json_t *connectors)
{
	json_t	   *root;
	char	   *text;
	char		tmp[4096];
	size_t		len;
	int			fd;
	bool		ok;

	root = json_pack("{s:i,s:O}", "version", 1, "connectors", connectors);
	text = root ? json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
	json_decref(root);
	if (text == NULL)
	{
		sink_log_error("out of memory");
		return false;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
	{
		sink_log_error("could not create file \"%s\": %m", tmp);
		free(text);
		return false;
	}
	len = strlen(text);
	ok = write(fd, text, len) == (ssize_t) len && write(fd, "\n", 1) == 1;
	if (!ok)
		sink_log_error("could not write file \"%s\": %m", tmp);
	else if (fsync(fd) != 0)
	{
		sink_log_error("could not fsync file \"%s\": %m", tmp);
		ok = false;
	}
	if (close(fd) != 0 && ok)
	{
		sink_log_error("could not close file \"%s\": %m", tmp);
		ok = false;
	}
	free(text);
	if (ok && rename(tmp, path) != 0)
	{
		sink_log_error("could not rename file \"%s\" to \"%s\": %m", tmp, path);
		ok = false;
	}
	if (!ok)
	{
		unlink(tmp);
		return false;
	}
	if (!fsync_parent(path))
		sink_log_warning("could not fsync the directory of \"%s\": %m", path);
	return true;
}
