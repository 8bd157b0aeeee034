#!/bin/sh
# wal2dbz: the postgresql.conf settings logical decoding with wal2dbz needs.
#
# docker-entrypoint.sh runs this once, on an empty data directory, as the
# postgres user, after initdb and while its temporary socket-only server is
# up; the settings take effect when the entrypoint starts the real server
# right after.  The entrypoint runs executable *.sh files and sources the
# others, so this file works either way: no "set", no "exit", and only
# variables and a function of its own, removed at the end.
#
# Settings given on the command line (compose "command:", docker run ... -c)
# still win over these.

wal2dbz_settings() {
    wal2dbz_conf="$PGDATA/postgresql.conf"
    {
        printf '\n# added by wal2dbz (/docker-entrypoint-initdb.d/10-wal2dbz-settings.sh)\n'
        printf 'wal_level = logical\n'
        printf 'max_replication_slots = 20\n'
        printf 'max_wal_senders = 20\n'
    } >> "$wal2dbz_conf"

    # Some PostgreSQL 15 builds (Debian's 15.20) have output_plugin_libraries:
    # there a slot may only name a plugin it lists.  Keep the server's default
    # list (pgoutput, test_decoding) and add wal2dbz.  Builds without the
    # setting reject it, so it is only written where "postgres -C" knows it.
    if wal2dbz_plugins=$(postgres -C output_plugin_libraries -D "$PGDATA" 2>/dev/null); then
        case ",$(printf '%s' "$wal2dbz_plugins" | tr -d ' ')," in
            *,wal2dbz,*) ;;
            *) wal2dbz_plugins="${wal2dbz_plugins:+$wal2dbz_plugins, }wal2dbz" ;;
        esac
        printf "output_plugin_libraries = '%s'\n" "$wal2dbz_plugins" >> "$wal2dbz_conf"
        echo "wal2dbz: output_plugin_libraries = '$wal2dbz_plugins'"
    else
        echo "wal2dbz: this server build has no output_plugin_libraries setting; nothing to add"
    fi
    echo "wal2dbz: wal_level = logical, max_replication_slots = 20, max_wal_senders = 20 (from the next start)"
    unset wal2dbz_conf wal2dbz_plugins
}

wal2dbz_settings
unset -f wal2dbz_settings
