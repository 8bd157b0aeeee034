import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.ChangeEvent;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

import java.io.BufferedOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Test equipment for wal2dbz: runs the real Debezium PostgreSQL connector through DebeziumEngine
 * (no Kafka, no Connect worker) and writes every record it would publish to a JSON-lines file.
 *
 * Conversion is done here exactly as a Kafka Connect worker does it (WorkerSourceTask):
 *   key bytes   = keyConverter.fromConnectData(topic, headers, keySchema, key)      (JsonConverter)
 *   value bytes = valueConverter.fromConnectData(topic, headers, valueSchema, value) (JsonConverter)
 *   header      = headerConverter.fromConnectHeader(topic, name, schema, value)     (SimpleHeaderConverter)
 * after the engine has applied any configured SMTs (transforms.*).
 *
 * One output line per record:
 *   {"topic":"...","partition":null|int,"key":"<key bytes>"|null,"value":"<value bytes>"|null,
 *    "headers":[["name","value"|null],...]}
 * key/value hold the exact serialized bytes as a JSON string (they are UTF-8 JSON); if they were not
 * valid UTF-8, "key_base64"/"value_base64" is written instead.
 *
 * Usage: java -cp "lib/*" DbzRunner.java runner.properties
 *
 * Properties starting with "runner." are the runner's; "key.converter.*", "value.converter.*",
 * "converter.*" (both) and "header.converter.*" configure the converters; everything else goes
 * to DebeziumEngine/the connector unchanged.
 *   runner.output.file        output path (default: stdout)
 *   runner.idle.exit.ms       stop after this long without a record (default 0 = never);
 *                             counted from the last record, or from task start if none came yet
 *   runner.idle.initial.ms    idle limit before the first record (default max(idle.exit.ms, 60000))
 *   runner.max.runtime.ms     hard stop (default 0 = none)
 *   runner.stop.after.records stop after N records (default 0 = never)
 * Defaults supplied when absent: name, connector.class (PostgresConnector),
 * offset.storage (MemoryOffsetBackingStore), offset.flush.interval.ms=0.
 */
public final class DbzRunner {

    static final byte[] NULL = "null".getBytes(StandardCharsets.US_ASCII);

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: java -cp 'lib/*' DbzRunner.java runner.properties");
            System.exit(2);
        }
        Properties all = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of(args[0]), StandardCharsets.UTF_8)) {
            all.load(r);
        }
        Properties runner = new Properties();
        Properties engineProps = new Properties();
        Map<String, Object> keyConv = new HashMap<>();
        Map<String, Object> valueConv = new HashMap<>();
        Map<String, Object> headerConv = new HashMap<>();
        for (String k : all.stringPropertyNames()) {
            String v = all.getProperty(k);
            if (k.startsWith("runner.")) {
                runner.setProperty(k.substring(7), v);
            }
            else if (k.startsWith("converter.")) {
                keyConv.putIfAbsent(k.substring(10), v);
                valueConv.putIfAbsent(k.substring(10), v);
            }
            else if (k.startsWith("header.converter.")) {
                headerConv.put(k.substring(17), v);
            }
            else {
                engineProps.setProperty(k, v);
            }
        }
        // key./value.converter.* override converter.*
        for (String k : all.stringPropertyNames()) {
            if (k.startsWith("key.converter.")) {
                keyConv.put(k.substring(14), all.getProperty(k));
            }
            else if (k.startsWith("value.converter.")) {
                valueConv.put(k.substring(16), all.getProperty(k));
            }
        }
        engineProps.putIfAbsent("name", "wal2dbz-debezium-reference");
        engineProps.putIfAbsent("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        engineProps.putIfAbsent("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        engineProps.putIfAbsent("offset.flush.interval.ms", "0");

        // Converters configured the way a Connect worker does (WorkerConfig: key.converter.* / value.converter.*).
        Converter keyConverter = new JsonConverter();
        keyConverter.configure(keyConv, true);
        Converter valueConverter = new JsonConverter();
        valueConverter.configure(valueConv, false);
        HeaderConverter headerConverter = new SimpleHeaderConverter();
        headerConverter.configure(headerConv);

        long idleExit = Long.parseLong(runner.getProperty("idle.exit.ms", "0"));
        long idleInitial = Long.parseLong(runner.getProperty("idle.initial.ms", String.valueOf(Math.max(idleExit, 60000))));
        long maxRuntime = Long.parseLong(runner.getProperty("max.runtime.ms", "0"));
        long stopAfter = Long.parseLong(runner.getProperty("stop.after.records", "0"));
        String outPath = runner.getProperty("output.file");
        OutputStream out = outPath == null
                ? new BufferedOutputStream(System.out, 1 << 16)
                : new BufferedOutputStream(new FileOutputStream(outPath), 1 << 16);

        AtomicLong count = new AtomicLong();
        AtomicLong lastActivity = new AtomicLong(System.nanoTime());
        AtomicBoolean gotRecord = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Object outLock = new Object();

        DebeziumEngine.ChangeConsumer<ChangeEvent<SourceRecord, SourceRecord>> consumer = (records, committer) -> {
            synchronized (outLock) {
                for (ChangeEvent<SourceRecord, SourceRecord> ev : records) {
                    writeRecord(out, ev.value(), keyConverter, valueConverter, headerConverter);
                }
                try {
                    out.flush();
                }
                catch (IOException e) {
                    throw new RuntimeException("output write failed", e);
                }
            }
            for (ChangeEvent<SourceRecord, SourceRecord> ev : records) {
                committer.markProcessed(ev);
            }
            committer.markBatchFinished();
            count.addAndGet(records.size());
            gotRecord.set(true);
            lastActivity.set(System.nanoTime());
        };

        DebeziumEngine<ChangeEvent<SourceRecord, SourceRecord>> engine = DebeziumEngine.create(Connect.class)
                .using(engineProps)
                .using((DebeziumEngine.CompletionCallback) (success, message, error) -> {
                    if (!success) {
                        failure.set(error != null ? error : new RuntimeException(message));
                    }
                    System.err.println("[dbz-runner] engine stopped: success=" + success + " message=" + message);
                    if (error != null) {
                        error.printStackTrace();
                    }
                    finished.countDown();
                })
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        lastActivity.set(System.nanoTime());
                        System.err.println("[dbz-runner] task started");
                    }
                })
                .notifying(consumer)
                .build();

        long start = System.nanoTime();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        executor.execute(engine);
        AtomicBoolean stopRequested = new AtomicBoolean();
        Runnable stop = () -> {
            if (!stopRequested.compareAndSet(false, true)) {
                return;
            }
            // close() refuses (IllegalStateException) while tasks are still starting and once stopping/stopped
            for (int i = 0; i < 1200 && finished.getCount() > 0; i++) {
                try {
                    engine.close();
                    return;
                }
                catch (IllegalStateException e) {
                    if (String.valueOf(e.getMessage()).contains("already")) {
                        return;
                    }
                    sleepQuietly(100);
                }
                catch (Exception e) {
                    e.printStackTrace();
                    return;
                }
            }
        };
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.run();
            awaitQuietly(finished, 60);
            synchronized (outLock) {
                try {
                    out.flush();
                }
                catch (IOException ignored) {
                    // nothing to do at exit
                }
            }
        }));

        String reason = "engine finished";
        while (!finished.await(200, TimeUnit.MILLISECONDS)) {
            long now = System.nanoTime();
            long idleMs = (now - lastActivity.get()) / 1_000_000;
            if (idleExit > 0 && idleMs >= (gotRecord.get() ? idleExit : idleInitial)) {
                reason = "idle for " + idleMs + " ms";
                break;
            }
            if (maxRuntime > 0 && (now - start) / 1_000_000 >= maxRuntime) {
                reason = "max runtime reached";
                break;
            }
            if (stopAfter > 0 && count.get() >= stopAfter) {
                reason = "record limit reached";
                break;
            }
        }
        System.err.println("[dbz-runner] stopping: " + reason + "; records=" + count.get());
        stop.run();
        awaitQuietly(finished, 120);
        executor.shutdown();
        synchronized (outLock) {
            out.flush();
            if (outPath != null) {
                out.close();
            }
        }
        System.err.println("[dbz-runner] done: records=" + count.get());
        System.exit(failure.get() == null ? 0 : 1);
    }

    static void writeRecord(OutputStream out, SourceRecord r, Converter keyConverter, Converter valueConverter,
                            HeaderConverter headerConverter) {
        String topic = r.topic();
        // as WorkerSourceTask: headers first (header converter), then key and value
        RecordHeaders kafkaHeaders = new RecordHeaders();
        List<String[]> hdrs = new ArrayList<>();
        for (Header h : r.headers()) {
            byte[] hv = headerConverter.fromConnectHeader(topic, h.key(), h.schema(), h.value());
            kafkaHeaders.add(h.key(), hv);
            hdrs.add(new String[]{ h.key(), hv == null ? null : new String(hv, StandardCharsets.UTF_8) });
        }
        byte[] key = keyConverter.fromConnectData(topic, kafkaHeaders, r.keySchema(), r.key());
        byte[] value = valueConverter.fromConnectData(topic, kafkaHeaders, r.valueSchema(), r.value());
        StringBuilder sb = new StringBuilder(256 + (key == null ? 0 : key.length) + (value == null ? 0 : value.length));
        sb.append("{\"topic\":");
        appendJsonString(sb, topic);
        sb.append(",\"partition\":").append(r.kafkaPartition() == null ? "null" : r.kafkaPartition().toString());
        appendBytes(sb, "key", key);
        appendBytes(sb, "value", value);
        sb.append(",\"headers\":[");
        boolean first = true;
        for (String[] h : hdrs) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            sb.append('[');
            appendJsonString(sb, h[0]);
            sb.append(',');
            if (h[1] == null) {
                sb.append("null");
            }
            else {
                appendJsonString(sb, h[1]);
            }
            sb.append(']');
        }
        sb.append("]}\n");
        try {
            out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
        }
        catch (IOException e) {
            throw new RuntimeException("output write failed", e);
        }
    }

    static void appendBytes(StringBuilder sb, String field, byte[] b) {
        if (b == null) {
            sb.append(",\"").append(field).append("\":null");
            return;
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(b)).toString();
            sb.append(",\"").append(field).append("\":");
            appendJsonString(sb, s);
        }
        catch (CharacterCodingException e) {
            sb.append(",\"").append(field).append("\":null,\"").append(field).append("_base64\":\"")
                    .append(Base64.getEncoder().encodeToString(b)).append('"');
        }
    }

    static void appendJsonString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04X", (int) c));
                    }
                    else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    static void awaitQuietly(CountDownLatch latch, long seconds) {
        try {
            latch.await(seconds, TimeUnit.SECONDS);
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
