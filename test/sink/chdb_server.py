#!/usr/bin/env python3
# -------------------------------------------------------------------------
#
# chdb_server.py
#	  A stand-in for a current ClickHouse server: ClickHouse's HTTP
#	  interface, as far as wal2dbz-sink's ClickHouse stage uses it, in front
#	  of chdb (the ClickHouse engine in-process, PyPI "chdb").
#
# The Debian server of the tests is 18.16; chdb is a 2026 engine, so the
# stage's DDL and rows for current servers (DateTime64, Date32, Bool,
# ReplacingMergeTree(_version, is_deleted), ...) really run.  Handled:
# POST with the statement as the body, or in ?query= with the data as the
# body (gzip Content-Encoding too); ClickHouse's "external data" (a
# multipart form, NAME_structure and NAME_format in the URL), as a Memory
# table for the time of the query; other URL parameters as settings;
# errors as HTTP 500 with "Code: N. ..." and X-ClickHouse-Exception-Code.
#
# Usage: chdb_server.py DATA_DIR PORT_FILE   (listens on 127.0.0.1, a free
# port, written to PORT_FILE; stops on SIGTERM)
#
# test/sink/chdb_server.py
#
# -------------------------------------------------------------------------
import email.parser
import email.policy
import gzip
import http.server
import os
import re
import sys
import tempfile
import threading
import urllib.parse

from chdb import session

# URL parameters that are not settings
NOT_SETTINGS = {"query", "database", "wait_end_of_query", "compress", "decompress"}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    sess = None
    lock = threading.Lock()     # one session: one query at a time

    def log_message(self, fmt, *args):     # quiet
        pass

    def reply(self, status, body, code=None):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        if code is not None:
            self.send_header("X-ClickHouse-Exception-Code", str(code))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/ping"):
            self.reply(200, b"Ok.\n")
        else:
            self.reply(400, b"use POST\n")

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding", "") == "gzip":
            body = gzip.decompress(body)
        externals = {}
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            for part in msg.iter_parts():
                externals[part.get_param("name", header="content-disposition")] = part.get_payload(decode=True)
            body = b""
        data_file = None
        if "query" in params:
            sql = params["query"]
            if body:
                # the data may hold any bytes (String columns): from a file
                sql, data_file = self.from_file(sql, body)
        else:
            sql = body.decode("utf-8", "surrogateescape")
        created = []
        with self.lock:
            self.run(params, sql, externals, created, data_file)

    def run(self, params, sql, externals, created, data_file):
        try:
            for name, value in params.items():
                if name in NOT_SETTINGS or name.endswith("_structure") or name.endswith("_format"):
                    continue
                if re.fullmatch(r"[a-z0-9_]+", name) and re.fullmatch(r"[A-Za-z0-9_.]+", value):
                    self.sess.query("SET %s = %s" % (name, value))
            for name, data in externals.items():
                structure = params[name + "_structure"]
                self.sess.query("DROP TABLE IF EXISTS default.%s" % name)
                self.sess.query("CREATE TABLE default.%s (%s) ENGINE = Memory" % (name, structure))
                created.append(name)
                if data.strip():
                    q, f = self.from_file("INSERT INTO default.%s FORMAT %s" % (
                        name, params.get(name + "_format", "TabSeparated")), data)
                    try:
                        self.sess.query(q)
                    finally:
                        os.unlink(f)
            # chdb's format argument wins over the statement's FORMAT clause
            m = re.search(r"(?i)\sFORMAT\s+(\w+)\s*$", sql)
            out = self.sess.query(sql, m.group(1) if m else "TabSeparated").bytes()
            self.reply(200, out)
        except Exception as e:      # noqa: BLE001 - every error goes back as ClickHouse would send it
            text = str(e)
            m = re.match(r"Code: (\d+)", text)
            self.reply(500, (text + "\n").encode("utf-8", "surrogateescape"),
                       int(m.group(1)) if m else 1000)
        finally:
            if data_file:
                os.unlink(data_file)
            for name in created:
                try:
                    self.sess.query("DROP TABLE IF EXISTS default.%s" % name)
                except Exception:     # noqa: BLE001
                    pass


    @staticmethod
    def from_file(sql, data):
        """INSERT ... FORMAT F with data: INSERT ... FROM INFILE 'tmp' FORMAT F."""
        m = re.match(r"(?is)^(\s*INSERT\s+INTO\s+.*?)\s+FORMAT\s+(\w+)\s*$", sql)
        if not m:
            raise ValueError("Code: 62. only INSERT ... FORMAT takes data here")
        fd, path = tempfile.mkstemp(dir=Handler.tmpdir, suffix=".data")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return "%s FROM INFILE '%s' FORMAT %s" % (m.group(1), path, m.group(2)), path


def main():
    Handler.sess = session.Session(sys.argv[1])
    Handler.tmpdir = os.path.abspath(sys.argv[1])
    # threads: the sink keeps its connection alive while the test queries
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[2], "w") as f:
        f.write("%d\n" % server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
