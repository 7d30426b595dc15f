-- pumphound's detectors as SQL over the canonical table that `pumphound export` writes, for
-- when one machine is outgrown: Trino and Amazon Athena (engine version 3). MADE from
-- sql/pumphound.spark.sql by sql/dialects.py: edit that file and run the script. CI runs both
-- files in DuckDB on the bundled fixtures and checks that they flag what `pumphound scan` flags
-- (tests/cli/sql.rs).
--
-- Input: a table `messages` over the exported Parquet (every column of `pumphound formats`;
-- ts is UTC milliseconds). Athena:
--   CREATE EXTERNAL TABLE messages (message_id string, ts bigint, provider string,
--     source_format string, source_file string, account string, sender string,
--     destination string, calling_code int, country string, number_type string, status string,
--     status_raw string, error_code string, segments int, cost double, currency string,
--     sms_type string, body_template string, mcc string, mnc string, carrier string,
--     converted boolean)
--   STORED AS PARQUET LOCATION 's3://bucket/pumphound/';
-- Trino (Hive connector): CREATE TABLE hive.sms.messages (...the same columns, varchar for
--   string...) WITH (external_location = 's3://bucket/pumphound/', format = 'PARQUET');
-- Then run this file (trino --file sql/pumphound.trino.sql, or each statement in the Athena
-- console) and read the result views: pumped_ranges, spend_anomalies.
--
-- Thresholds are the defaults of `pumphound detectors`, in the view `params` (the CI check fails
-- when they drift).

CREATE OR REPLACE VIEW params AS
SELECT 12 AS min_distinct, 25 AS min_score, 60 AS strong_score, 3 AS min_fold, 30 AS min_blocks,
       8 AS k_hour, 6 AS k_day, 5 AS floor_hour, 25 AS floor_day, 20 AS min_messages, 0.25 AS new_country_after;

-- The rows detectors read: a send time and, for number blocks, an E.164 destination whose
-- calling code is known. nlen: the national number's digits.
CREATE OR REPLACE VIEW numbers AS
SELECT DISTINCT calling_code AS cc,
       length(destination) - 1 - length(CAST(calling_code AS VARCHAR)) AS nlen,
       substr(destination, 2 + length(CAST(calling_code AS VARCHAR))) AS national
FROM messages
WHERE ts IS NOT NULL AND calling_code IS NOT NULL AND destination LIKE '+%'
  AND length(destination) - 1 > length(CAST(calling_code AS VARCHAR));

CREATE OR REPLACE VIEW levels AS
SELECT 1 AS l UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6;

-- 1. pumped-range. A block of level L is the national number without its last L digits (a
--    block keeps at least two digits). d: its distinct numbers; children: its occupied blocks
--    one level down. A numbering plan is (calling code, national length).
CREATE OR REPLACE VIEW blocks AS
SELECT n.cc, n.nlen, v.l, substr(n.national, 1, n.nlen - v.l) AS prefix,
       count(*) AS d, count(DISTINCT substr(n.national, 1, n.nlen - v.l + 1)) AS children
FROM numbers n CROSS JOIN levels v
WHERE n.nlen > v.l + 1
GROUP BY n.cc, n.nlen, v.l, substr(n.national, 1, n.nlen - v.l);

-- The plan's distinct numbers; whether it has a spread customer base (min_blocks occupied
-- 10^4 blocks); its typical block at each level: the occupancy at rank floor(9/10 · blocks)
-- of the sorted occupancies.
CREATE OR REPLACE VIEW plans AS
SELECT cc, nlen, count(*) AS n FROM numbers GROUP BY cc, nlen;

CREATE OR REPLACE VIEW spread AS
SELECT b.cc, b.nlen FROM blocks b CROSS JOIN params p WHERE b.l = 4
GROUP BY b.cc, b.nlen, p.min_blocks HAVING count(*) >= p.min_blocks;

CREATE OR REPLACE VIEW typical AS
SELECT cc, nlen, l, max(d) AS q90 FROM (
  SELECT cc, nlen, l, d, row_number() OVER (PARTITION BY cc, nlen, l ORDER BY d) - 1 AS r,
         count(*) OVER (PARTITION BY cc, nlen, l) AS total
  FROM blocks
) ranked
WHERE r = least(floor(total * 9 / 10.0), total - 1)
GROUP BY cc, nlen, l;

-- Expected distinct numbers in a block: the numbering model (the plan's numbers spread evenly,
-- n · 10^L / 10^(nlen−1)) or, for a spread plan, its typical block, whichever is larger; the
-- coarse levels 5 and 6 only for spread plans (NULL: not judged).
CREATE OR REPLACE VIEW expected AS
SELECT p.cc, p.nlen, v.l,
       CASE WHEN s.cc IS NULL AND v.l >= 5 THEN NULL
            ELSE greatest(p.n * power(10, v.l) / power(10, p.nlen - 1),
                          CASE WHEN s.cc IS NULL THEN 0 ELSE coalesce(t.q90, 0) END, 0.01) END AS lambda
FROM plans p CROSS JOIN levels v
LEFT JOIN spread s ON s.cc = p.cc AND s.nlen = p.nlen
LEFT JOIN typical t ON t.cc = p.cc AND t.nlen = p.nlen AND t.l = v.l;

-- Candidates: min_distinct or more, min_fold times the expected count, a Chernoff score of the
-- Poisson tail (d·ln(d/λ) − d + λ) of min_score or more, and not explained by its occupied
-- sub-blocks each at the typical occupancy one level down (allocation structure).
CREATE OR REPLACE VIEW candidates AS
SELECT b.cc, b.nlen, b.l, b.prefix, b.d, e.lambda,
       b.d * ln(b.d / e.lambda) - b.d + e.lambda AS score
FROM blocks b
CROSS JOIN params p
JOIN expected e ON e.cc = b.cc AND e.nlen = b.nlen AND e.l = b.l
LEFT JOIN expected sub ON sub.cc = b.cc AND sub.nlen = b.nlen AND sub.l = b.l - 1
WHERE e.lambda IS NOT NULL AND b.d >= p.min_distinct AND b.d >= p.min_fold * e.lambda AND b.d > e.lambda
  AND (b.l = 1 OR b.d >= p.min_fold * b.children * coalesce(sub.lambda, 0))
  AND b.d * ln(b.d / e.lambda) - b.d + e.lambda >= p.min_score;

-- The tightest range that explains the traffic: a wider candidate whose numbers beyond the
-- inner one's are themselves improbable (score and fold of the difference) explains more, and
-- is taken instead, the nearest level first, as often as one is found (at most five steps).
CREATE OR REPLACE VIEW wider AS
SELECT c.cc, c.nlen, c.l, c.prefix, min(w.l) AS wl
FROM candidates c
CROSS JOIN params p
JOIN candidates w ON w.cc = c.cc AND w.nlen = c.nlen AND w.l > c.l AND w.prefix = substr(c.prefix, 1, c.nlen - w.l)
WHERE w.d - c.d >= p.min_fold * greatest(w.lambda - c.lambda, 0.01)
  AND w.d - c.d > 0
  AND (w.d - c.d) * ln((w.d - c.d) / greatest(w.lambda - c.lambda, 0.01)) - (w.d - c.d) + greatest(w.lambda - c.lambda, 0.01) >= p.min_score
GROUP BY c.cc, c.nlen, c.l, c.prefix;

CREATE OR REPLACE VIEW widened AS
SELECT c.cc, c.nlen, c.l AS l0, c.prefix AS p0, c.score AS s0,
       coalesce(w5.wl, l4) AS l, substr(c.prefix, 1, c.nlen - coalesce(w5.wl, l4)) AS prefix
FROM (
  SELECT c.*, coalesce(w4.wl, l3) AS l4 FROM (
    SELECT c.*, coalesce(w3.wl, l2) AS l3 FROM (
      SELECT c.*, coalesce(w2.wl, l1) AS l2 FROM (
        SELECT c.*, coalesce(w1.wl, c.l) AS l1 FROM candidates c
        LEFT JOIN wider w1 ON w1.cc = c.cc AND w1.nlen = c.nlen AND w1.l = c.l AND w1.prefix = c.prefix
      ) c LEFT JOIN wider w2 ON w2.cc = c.cc AND w2.nlen = c.nlen AND w2.l = c.l1 AND w2.prefix = substr(c.prefix, 1, c.nlen - c.l1)
    ) c LEFT JOIN wider w3 ON w3.cc = c.cc AND w3.nlen = c.nlen AND w3.l = c.l2 AND w3.prefix = substr(c.prefix, 1, c.nlen - c.l2)
  ) c LEFT JOIN wider w4 ON w4.cc = c.cc AND w4.nlen = c.nlen AND w4.l = c.l3 AND w4.prefix = substr(c.prefix, 1, c.nlen - c.l3)
) c LEFT JOIN wider w5 ON w5.cc = c.cc AND w5.nlen = c.nlen AND w5.l = c.l4 AND w5.prefix = substr(c.prefix, 1, c.nlen - c.l4);

-- In order of score (highest first), a range is kept unless it nests with (holds, or lies in)
-- the range of a candidate before it. pumphound keeps one unless it nests with a range already
-- kept; the two differ only when three candidates nest in a chain, which the check has not met.
CREATE OR REPLACE VIEW pumped_ranges AS
SELECT concat('+', CAST(k.cc AS VARCHAR), k.prefix, rpad('', k.l, 'x')) AS range,
       k.l AS level, c.d AS destinations, c.lambda AS expected, c.score,
       CASE WHEN c.score >= p.strong_score THEN 'medium' ELSE 'low' END AS severity_from_density
FROM (
  SELECT DISTINCT a.cc, a.nlen, a.l, a.prefix FROM widened a
  WHERE NOT EXISTS (
    SELECT 1 FROM widened b
    WHERE b.cc = a.cc AND b.nlen = a.nlen
      AND (b.s0 > a.s0 OR (b.s0 = a.s0 AND (b.l0 < a.l0 OR (b.l0 = a.l0 AND b.p0 < a.p0))))
      AND ((b.l >= a.l AND substr(a.prefix, 1, a.nlen - b.l) = b.prefix)
        OR (a.l >= b.l AND substr(b.prefix, 1, b.nlen - a.l) = a.prefix))
  )
) k
JOIN candidates c ON c.cc = k.cc AND c.nlen = k.nlen AND c.l = k.l AND c.prefix = k.prefix
CROSS JOIN params p;

-- 2. spend-anomaly. A country's spend per hour and per day over the whole period (windows
--    without a send count as zero) against its own median and MAD (scaled by 1.4826 to a
--    standard deviation; both the upper median, the value at rank floor(n/2) of the sorted
--    windows): flagged when the spend is over median + k·σ, the excess at least the floor, and
--    the window has min_messages or more (hours: k 8, floor 5; days: k 6, floor 25; a day is
--    not flagged again where an hour in it is). A country first seen after a quarter of the
--    period and after its first day, with floor_day or more spent, is new. Costs in one
--    currency (scan reports the others apart).
CREATE OR REPLACE VIEW spend_params AS
SELECT 'hour' AS width, 3600000 AS ms, k_hour AS k, floor_hour AS floor_cost, min_messages FROM params
UNION ALL SELECT 'day', 86400000, k_day, floor_day, min_messages FROM params;

CREATE OR REPLACE VIEW period AS
SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM messages WHERE ts IS NOT NULL;

CREATE OR REPLACE VIEW spend_windows AS
SELECT coalesce(m.country, '??') AS country, w.width, floor(m.ts / w.ms) AS idx,
       sum(coalesce(m.cost, 0)) AS cost, count(*) AS messages
FROM messages m CROSS JOIN spend_params w
WHERE m.ts IS NOT NULL
GROUP BY coalesce(m.country, '??'), w.width, floor(m.ts / w.ms);

-- Every country's windows, those without a send as one row of cost 0 weighing their number.
CREATE OR REPLACE VIEW spend_series AS
SELECT country, width, cost, 1 AS weight FROM spend_windows
UNION ALL
SELECT s.country, s.width, 0.0 AS cost,
       max(floor(p.last_ts / w.ms) - floor(p.first_ts / w.ms) + 1) - count(*) AS weight
FROM spend_windows s JOIN spend_params w ON w.width = s.width CROSS JOIN period p
GROUP BY s.country, s.width;

CREATE OR REPLACE VIEW spend_median AS
SELECT country, width, min(cost) AS med FROM (
  SELECT country, width, cost,
         sum(weight) OVER (PARTITION BY country, width ORDER BY cost ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(weight) OVER (PARTITION BY country, width) AS total
  FROM spend_series
) x
WHERE upto > floor(total / 2.0)
GROUP BY country, width;

CREATE OR REPLACE VIEW spend_sigma AS
SELECT country, width, 1.4826 * min(dev) AS sigma FROM (
  SELECT s.country, s.width, abs(s.cost - m.med) AS dev,
         sum(s.weight) OVER (PARTITION BY s.country, s.width ORDER BY abs(s.cost - m.med) ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(s.weight) OVER (PARTITION BY s.country, s.width) AS total
  FROM spend_series s JOIN spend_median m ON m.country = s.country AND m.width = s.width
) x
WHERE upto > floor(total / 2.0)
GROUP BY country, width;

CREATE OR REPLACE VIEW spend_flagged AS
SELECT s.country, s.width, s.idx, s.idx * w.ms AS start_ms, s.cost, s.messages, m.med AS expected,
       m.med + w.k * g.sigma AS threshold
FROM spend_windows s
JOIN spend_params w ON w.width = s.width
JOIN spend_median m ON m.country = s.country AND m.width = s.width
JOIN spend_sigma g ON g.country = s.country AND g.width = s.width
WHERE s.cost > m.med + w.k * g.sigma AND s.cost - m.med >= w.floor_cost AND s.messages >= w.min_messages;

-- Consecutive flagged windows are one finding (gaps and islands); a run of flagged days is
-- left out when an hourly finding of the country overlaps it.
CREATE OR REPLACE VIEW spend_runs AS
SELECT country, width, min(start_ms) AS start_ms, max(start_ms) + max(ms) AS end_ms, sum(cost) AS cost,
       sum(expected) AS expected
FROM (
  SELECT f.*, w.ms, f.idx - row_number() OVER (PARTITION BY f.country, f.width ORDER BY f.idx) AS run
  FROM spend_flagged f JOIN spend_params w ON w.width = f.width
) x
GROUP BY country, width, run;

CREATE OR REPLACE VIEW spend_anomalies AS
SELECT country, width AS kind, start_ms, end_ms, cost, expected FROM spend_runs r
WHERE r.width = 'hour'
   OR NOT EXISTS (SELECT 1 FROM spend_runs h
                  WHERE h.country = r.country AND h.width = 'hour' AND h.start_ms < r.end_ms AND h.end_ms > r.start_ms)
UNION ALL
SELECT c.country, 'new country' AS kind, c.seen AS start_ms, p.last_ts AS end_ms, c.cost, 0.0 AS expected FROM (
  SELECT coalesce(country, '??') AS country, min(ts) AS seen, sum(coalesce(cost, 0)) AS cost
  FROM messages WHERE ts IS NOT NULL GROUP BY coalesce(country, '??')
) c CROSS JOIN period p
CROSS JOIN params q
WHERE p.last_ts > p.first_ts AND c.cost >= q.floor_day
  AND c.seen > greatest(p.first_ts + floor((p.last_ts - p.first_ts) * q.new_country_after), p.first_ts + 86400000);
