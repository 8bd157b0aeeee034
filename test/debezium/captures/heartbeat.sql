-- Heartbeats (heartbeat.interval.ms, heartbeat.action.query), for the heartbeat* captures.
CREATE TABLE public.heartbeat (id int PRIMARY KEY, ts timestamptz);
INSERT INTO public.heartbeat VALUES (1, '2000-01-01');
CREATE TABLE public.t (id int PRIMARY KEY, v text);
-- @@STREAM@@
INSERT INTO public.t VALUES (1, 'one');
