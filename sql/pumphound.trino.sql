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
-- console) and read the result views: pumped_ranges, spend_anomalies, new_number_spikes,
-- excess_unverified, low_conversion.
--
-- Thresholds are the defaults of `pumphound detectors`, in the view `params` (excess-unverified's
-- prefixed `unverified_`; the CI check fails when they drift).

CREATE OR REPLACE VIEW params AS
SELECT 12 AS min_distinct, 25 AS min_score, 60 AS strong_score, 3 AS min_fold, 30 AS min_blocks,
       8 AS k_hour, 6 AS k_day, 5 AS floor_hour, 25 AS floor_day, 20 AS min_messages, 0.25 AS new_country_after,
       8 AS k, 150 AS min_new_day, 60 AS min_new_hour, 3 AS concentration, 20 AS clock_score,
       25 AS unverified_min_score, 20 AS unverified_min_excess, 15 AS unverified_min_excess_hour,
       60 AS unverified_strong_score, 30 AS unverified_min_strong_excess,
       30 AS min_sends, 0.5 AS ratio, 1.96 AS z, 0 AS authgear,
       5 AS class_min_messages, 20 AS class_min_invalid, 0.02 AS class_invalid_share,
       5 AS provider_min_blocks, 100 AS provider_medium_blocks;

-- The rows detectors read: those with a send time. nlen and national: the national number's
-- digits and the number itself, for an E.164 destination whose calling code is known (else
-- NULL: such a send counts for its country, never for a number).
CREATE OR REPLACE VIEW sends AS
SELECT m.*,
       CASE WHEN e164 THEN length(destination) - 1 - length(CAST(calling_code AS VARCHAR)) END AS nlen,
       CASE WHEN e164 THEN substr(destination, 2 + length(CAST(calling_code AS VARCHAR))) END AS national
FROM (
  SELECT *, coalesce(calling_code IS NOT NULL AND destination LIKE '+%'
                     AND length(destination) - 1 > length(CAST(calling_code AS VARCHAR)), false) AS e164
  FROM messages WHERE ts IS NOT NULL
) m;

CREATE OR REPLACE VIEW numbers AS
SELECT DISTINCT calling_code AS cc, nlen, national FROM sends WHERE nlen IS NOT NULL;

-- The windows of the detectors that count per hour and per day.
CREATE OR REPLACE VIEW widths AS
SELECT 'hour' AS width, 3600000 AS ms UNION ALL SELECT 'day', 86400000;

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
SELECT w.width, w.ms, CASE WHEN w.width = 'hour' THEN p.k_hour ELSE p.k_day END AS k,
       CASE WHEN w.width = 'hour' THEN p.floor_hour ELSE p.floor_day END AS floor_cost, p.min_messages
FROM widths w CROSS JOIN params p;

CREATE OR REPLACE VIEW period AS
SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM sends;

CREATE OR REPLACE VIEW spend_windows AS
SELECT coalesce(m.country, '??') AS country, w.width, floor(m.ts / w.ms) AS idx,
       sum(coalesce(m.cost, 0)) AS cost, count(*) AS messages
FROM sends m CROSS JOIN spend_params w
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
  FROM sends GROUP BY coalesce(country, '??')
) c CROSS JOIN period p
CROSS JOIN params q
WHERE p.last_ts > p.first_ts AND c.cost >= q.floor_day
  AND c.seen > greatest(p.first_ts + floor((p.last_ts - p.first_ts) * q.new_country_after), p.first_ts + 86400000);

-- 3. new-numbers. Sends to numbers never seen before, per country (by hour and by day) and per
--    operator prefix (the national number's first three digits, and its first two as the
--    operator 1000 + those two, by day), against the slice's
--    median + k·MAD over every window of the period (none as zero; the median of an even count
--    is the mean of the middle two): a spike has k (8) MADs (at least 1) over the median and
--    min_new_day (150) / min_new_hour (60) more than it, and starts 23 hours or more after the
--    data's first send (on its first day every number is new; an hour's slack for exports whose
--    first send is minutes after midnight). A country first seen after the first day is one window from
--    its first to its last day of new numbers when its busiest day has min_new_day and half the
--    account's median day, or its new numbers (60 or more) fall 90 % under one three-digit
--    operator prefix (not in +1, whose first digits are area codes). Days before hours, operators before their
--    country: a window already covered by a flagged one is not flagged again.
CREATE OR REPLACE VIEW new_params AS
SELECT w.width, w.ms, p.k, CASE WHEN w.width = 'hour' THEN p.min_new_hour ELSE p.min_new_day END AS min_new
FROM widths w CROSS JOIN params p;

-- Each number's first send: when, to which country (the first send's), under which operator.
CREATE OR REPLACE VIEW first_sends AS
SELECT calling_code AS cc, national, min(ts) AS first_ts,
       min_by(coalesce(country, '??'), ts) AS country,
       CASE WHEN nlen >= 6 THEN CAST(substr(national, 1, 3) AS INT) END AS operator,
       CASE WHEN nlen >= 6 THEN 1000 + CAST(substr(national, 1, 2) AS INT) END AS operator2
FROM sends
WHERE nlen IS NOT NULL
GROUP BY calling_code, nlen, national;

-- New numbers per slice (country, and country and operator; operator -1 is the whole country)
-- and window; operators by day only.
CREATE OR REPLACE VIEW new_cells AS
SELECT f.country, max(f.cc) AS cc, -1 AS operator, w.width, floor(f.first_ts / w.ms) AS idx, count(*) AS n
FROM first_sends f CROSS JOIN new_params w
GROUP BY f.country, w.width, floor(f.first_ts / w.ms)
UNION ALL
SELECT f.country, max(f.cc), f.operator, 'day', floor(f.first_ts / 86400000), count(*)
FROM first_sends f WHERE f.operator IS NOT NULL
GROUP BY f.country, f.operator, floor(f.first_ts / 86400000)
UNION ALL
SELECT f.country, max(f.cc), f.operator2, 'day', floor(f.first_ts / 86400000), count(*)
FROM first_sends f WHERE f.operator2 IS NOT NULL
GROUP BY f.country, f.operator2, floor(f.first_ts / 86400000);

-- Median and MAD of each slice's windows, those without a new number as one row of weight.
CREATE OR REPLACE VIEW new_series AS
SELECT country, operator, width, n, 1 AS weight FROM new_cells
UNION ALL
SELECT c.country, c.operator, c.width, 0 AS n,
       max(floor(p.last_ts / w.ms) - floor(p.first_ts / w.ms) + 1) - count(*) AS weight
FROM new_cells c JOIN new_params w ON w.width = c.width CROSS JOIN period p
GROUP BY c.country, c.operator, c.width;

CREATE OR REPLACE VIEW new_median AS
SELECT country, operator, width,
       (min(CASE WHEN upto > floor((total - 1) / 2.0) THEN n END) + min(CASE WHEN upto > floor(total / 2.0) THEN n END)) / 2.0 AS med
FROM (
  SELECT country, operator, width, n,
         sum(weight) OVER (PARTITION BY country, operator, width ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(weight) OVER (PARTITION BY country, operator, width) AS total
  FROM new_series WHERE weight > 0
) x
GROUP BY country, operator, width;

CREATE OR REPLACE VIEW new_mad AS
SELECT country, operator, width,
       (min(CASE WHEN upto > floor((total - 1) / 2.0) THEN dev END) + min(CASE WHEN upto > floor(total / 2.0) THEN dev END)) / 2.0 AS mad
FROM (
  SELECT s.country, s.operator, s.width, abs(s.n - m.med) AS dev,
         sum(s.weight) OVER (PARTITION BY s.country, s.operator, s.width ORDER BY abs(s.n - m.med) ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto,
         sum(s.weight) OVER (PARTITION BY s.country, s.operator, s.width) AS total
  FROM new_series s JOIN new_median m ON m.country = s.country AND m.operator = s.operator AND m.width = s.width
  WHERE s.weight > 0
) x
GROUP BY country, operator, width;

CREATE OR REPLACE VIEW new_spikes AS
SELECT c.country, c.cc, c.operator, c.width, c.idx * w.ms AS start_ms, (c.idx + 1) * w.ms AS end_ms, c.n, m.med
FROM new_cells c
JOIN new_params w ON w.width = c.width
JOIN new_median m ON m.country = c.country AND m.operator = c.operator AND m.width = c.width
JOIN new_mad d ON d.country = c.country AND d.operator = c.operator AND d.width = c.width
CROSS JOIN period p
WHERE c.n > m.med + w.k * greatest(d.mad, 1) AND c.n - m.med >= w.min_new
  AND c.idx * w.ms >= p.first_ts + 82800000;

-- Countries first seen after the data's first day.
CREATE OR REPLACE VIEW new_countries AS
SELECT c.country, c.cc, -1 AS operator, 'first seen' AS width,
       floor(c.start_ms / 86400000) * 86400000 AS start_ms, (floor((c.end_ms - 1) / 86400000) + 1) * 86400000 AS end_ms,
       c.total AS n, u.usual AS med
FROM (
  SELECT country, max(cc) AS cc,
         min(CASE WHEN width = 'hour' THEN idx * 3600000 END) AS start_ms,
         max(CASE WHEN width = 'hour' THEN (idx + 1) * 3600000 END) AS end_ms,
         max(CASE WHEN width = 'day' THEN n END) AS busiest,
         sum(CASE WHEN width = 'day' THEN n END) AS total
  FROM new_cells WHERE operator = -1 GROUP BY country
) c
LEFT JOIN (
  SELECT country, max(n) AS top FROM (
    SELECT country, operator, sum(n) AS n FROM new_cells WHERE operator >= 0 AND operator < 1000 GROUP BY country, operator
  ) o GROUP BY country
) o ON o.country = c.country
CROSS JOIN (
  -- The account's median day of new numbers, its first day left out (days with none are not counted).
  SELECT (min(CASE WHEN upto > floor((total - 1) / 2.0) THEN n END) + min(CASE WHEN upto > floor(total / 2.0) THEN n END)) / 2.0 AS usual
  FROM (
    SELECT n, row_number() OVER (ORDER BY n) AS upto, count(*) OVER () AS total FROM (
      SELECT idx, sum(n) AS n FROM new_cells CROSS JOIN period p
      WHERE operator = -1 AND width = 'day' AND idx <> floor(p.first_ts / 86400000) GROUP BY idx
    ) d
  ) r
) u
CROSS JOIN period p CROSS JOIN params q
WHERE c.start_ms >= (floor(p.first_ts / 86400000) + 1) * 86400000
  AND ((c.busiest >= q.min_new_day AND c.busiest >= coalesce(u.usual, 0) / 2)
    OR (c.total >= 60 AND coalesce(o.top, 0) / greatest(c.total, 1) >= 0.9 AND c.cc <> 1));

-- Days before hours, operators before their country; a window inside one flagged before it is
-- left out (an operator's by its own or its country's, a country's by any of it).
CREATE OR REPLACE VIEW new_day_operators AS
SELECT s.* FROM new_spikes s WHERE s.width = 'day' AND s.operator >= 0
  AND NOT EXISTS (SELECT 1 FROM new_countries f WHERE f.country = s.country AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms);

CREATE OR REPLACE VIEW new_days AS
SELECT s.* FROM new_spikes s WHERE s.width = 'day' AND s.operator = -1
  AND NOT EXISTS (SELECT 1 FROM new_countries f WHERE f.country = s.country AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms)
  AND NOT EXISTS (SELECT 1 FROM new_day_operators f WHERE f.country = s.country AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms);

CREATE OR REPLACE VIEW new_earlier AS
SELECT country, operator, start_ms, end_ms FROM new_countries
UNION ALL SELECT country, operator, start_ms, end_ms FROM new_day_operators
UNION ALL SELECT country, operator, start_ms, end_ms FROM new_days;

CREATE OR REPLACE VIEW new_hour_operators AS
SELECT s.* FROM new_spikes s WHERE s.width = 'hour' AND s.operator >= 0
  AND NOT EXISTS (SELECT 1 FROM new_earlier f WHERE f.country = s.country AND (f.operator = s.operator OR f.operator = -1)
                  AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms);

-- The windows flagged so far: countries first seen, then spikes.
CREATE OR REPLACE VIEW new_flagged AS
SELECT * FROM new_countries
UNION ALL SELECT * FROM new_day_operators
UNION ALL SELECT * FROM new_days
UNION ALL SELECT * FROM new_hour_operators
UNION ALL
SELECT s.* FROM new_spikes s WHERE s.width = 'hour' AND s.operator = -1
  AND NOT EXISTS (SELECT 1 FROM new_earlier f WHERE f.country = s.country AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms)
  AND NOT EXISTS (SELECT 1 FROM new_hour_operators f WHERE f.country = s.country AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms);

-- A country sent to round the clock, to numbers that never return, over the whole period (a
-- trickle with no spike and no history to stand out against), its days with a flagged window
-- left out. quiet: the share of its new numbers in its quietest 6 UTC hours of the day (cyclic);
-- rep: the share of its sends to a number seen before. Each against the other countries': the
-- usual quiet share is twice their median (countries of 300+ new numbers; at least 0.08), the
-- usual repeat share half their median (countries of 300+ sends; none: not judged). Scores:
-- −ln of the binomial tails, summed (clock_tails), 0 on the usual side; flagged with
-- 50+ new numbers when both reach clock_score / 4 and together clock_score, or when at most 1 %
-- and a quarter of the usual share of its sends go to a number seen before, that score alone
-- reaches clock_score and its score against 4 % (users who only sign up, 'resend') half of it
-- (a drip in the attacker's working hours: nobody resends or comes back); not a country first
-- seen; only when the data spans 48 hours or more (on its first day nothing is flagged to leave
-- out).
CREATE OR REPLACE VIEW hours_of_day AS
SELECT (a.l - 1) + 6 * (b.l - 1) AS h FROM levels a CROSS JOIN levels b WHERE b.l <= 4;

CREATE OR REPLACE VIEW clock_spiked AS
SELECT DISTINCT f.country, d.day
FROM new_flagged f
JOIN (SELECT DISTINCT floor(ts / 86400000) AS day FROM sends) d
  ON d.day >= floor(f.start_ms / 86400000) AND d.day <= floor((f.end_ms - 1) / 86400000);

CREATE OR REPLACE VIEW clock_new AS
SELECT f.country, (CAST(floor(f.first_ts / 3600000) AS BIGINT) % 24 + 24) % 24 AS h, count(*) AS n
FROM first_sends f
WHERE NOT EXISTS (SELECT 1 FROM clock_spiked k WHERE k.country = f.country AND k.day = floor(f.first_ts / 86400000))
GROUP BY f.country, (CAST(floor(f.first_ts / 3600000) AS BIGINT) % 24 + 24) % 24;

CREATE OR REPLACE VIEW clock_shares AS
SELECT k.country, k.cc, coalesce(n.new_numbers, 0) AS new_numbers, coalesce(s.sends, 0) AS sends,
       CASE WHEN coalesce(n.new_numbers, 0) > 0 THEN q.quiet / CAST(n.new_numbers AS DOUBLE) ELSE 0 END AS quiet,
       CASE WHEN coalesce(s.sends, 0) > 0 THEN greatest(s.sends - coalesce(n.new_numbers, 0), 0) / CAST(s.sends AS DOUBLE) ELSE 0 END AS rep
FROM (SELECT country, max(cc) AS cc FROM first_sends GROUP BY country) k
LEFT JOIN (SELECT country, sum(n) AS new_numbers FROM clock_new GROUP BY country) n ON n.country = k.country
LEFT JOIN (
  SELECT coalesce(m.country, '??') AS country, count(*) AS sends FROM sends m
  WHERE m.nlen IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM clock_spiked k WHERE k.country = coalesce(m.country, '??') AND k.day = floor(m.ts / 86400000))
  GROUP BY coalesce(m.country, '??')
) s ON s.country = k.country
LEFT JOIN (
  SELECT country, min(n) AS quiet FROM (
    SELECT c.country, st.h, coalesce(sum(w.n), 0) AS n
    FROM (SELECT DISTINCT country FROM clock_new) c CROSS JOIN hours_of_day st
    LEFT JOIN clock_new w ON w.country = c.country AND (w.h - st.h + 24) % 24 < 6
    GROUP BY c.country, st.h
  ) x GROUP BY country
) q ON q.country = k.country;

-- The other countries' shares, and their medians, for each country: only countries whose own
-- quiet share is under 0.08 and repeat share over 0.01 stand for the account's users (pumped
-- ones are not each other's measure).
CREATE OR REPLACE VIEW clock_others AS
SELECT c.country, 'repeat' AS measure, o.rep AS x
FROM clock_shares c JOIN clock_shares o ON o.country <> c.country AND o.sends >= 300 AND o.quiet < 0.08 AND o.rep > 0.01
UNION ALL
SELECT c.country, 'quiet', o.quiet
FROM clock_shares c JOIN clock_shares o ON o.country <> c.country AND o.new_numbers >= 300 AND o.quiet < 0.08 AND o.rep > 0.01;

CREATE OR REPLACE VIEW clock_medians AS
SELECT country, measure,
       (min(CASE WHEN upto > floor((total - 1) / 2.0) THEN x END) + min(CASE WHEN upto > floor(total / 2.0) THEN x END)) / 2.0 AS med
FROM (
  SELECT country, measure, x, row_number() OVER (PARTITION BY country, measure ORDER BY x) AS upto,
         count(*) OVER (PARTITION BY country, measure) AS total
  FROM clock_others
) r
GROUP BY country, measure;

CREATE OR REPLACE VIEW clock_usual AS
SELECT c.country, r.med / 2 AS usual_repeat, greatest(2 * coalesce(q.med, 0), 0.08) AS usual_quiet
FROM clock_shares c
JOIN clock_medians r ON r.country = c.country AND r.measure = 'repeat'
LEFT JOIN clock_medians q ON q.country = c.country AND q.measure = 'quiet';

-- The two tests' binomial tails, −ln P(X ≥ k) of the quiet hours' new numbers (of n, usual
-- share p) and −ln P(X ≤ k) of the sends to numbers seen before, summed term by term from k
-- (the first 10,000 terms: past them a tail that has not ended is too near the mean to score),
-- ln n! by Stirling's series (within 4e-5 of it; the Rust sums with ln Γ); scan does the same
-- (src/detect/binomial.rs). The Chernoff bound n·KL used before session 35 left out the tail's
-- polynomial factor: 142 new numbers, 23 in the quiet hours where 9 % would be, score 5.5, not 3.7.
CREATE OR REPLACE VIEW digits AS
SELECT l - 1 AS d FROM levels UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9;

CREATE OR REPLACE VIEW tail_steps AS
SELECT a.d + 10 * b.d + 100 * c.d + 1000 * e.d AS j FROM digits a CROSS JOIN digits b CROSS JOIN digits c CROSS JOIN digits e;

CREATE OR REPLACE VIEW clock_tests AS
SELECT s.country, 'clock' AS test, 1 AS dir, CAST(s.new_numbers AS DOUBLE) AS n,
       CAST(round(s.quiet * s.new_numbers) AS DOUBLE) AS k, u.usual_quiet AS p
FROM clock_shares s JOIN clock_usual u ON u.country = s.country
WHERE s.new_numbers >= 50 AND s.quiet > u.usual_quiet AND u.usual_quiet > 0 AND u.usual_quiet < 1
UNION ALL
SELECT s.country, 'repeat', -1, CAST(s.sends AS DOUBLE), CAST(round(s.rep * s.sends) AS DOUBLE), u.usual_repeat
FROM clock_shares s JOIN clock_usual u ON u.country = s.country
WHERE s.new_numbers >= 50 AND s.rep < u.usual_repeat AND u.usual_repeat > 0 AND u.usual_repeat < 1
UNION ALL
SELECT s.country, 'resend', -1, CAST(s.sends AS DOUBLE), CAST(round(s.rep * s.sends) AS DOUBLE), 0.04
FROM clock_shares s JOIN clock_usual u ON u.country = s.country
WHERE s.new_numbers >= 50 AND s.rep < 0.04;

CREATE OR REPLACE VIEW clock_tails AS
SELECT country, test, -(max(lp) + ln(sum(exp(lp - top)))) AS score
FROM (
  SELECT country, test, lp, max(lp) OVER (PARTITION BY country, test) AS top
  FROM (
    SELECT t.country, t.test,
           (CASE WHEN t.n < 1 THEN 0 ELSE t.n * ln(t.n) - t.n + 0.5 * ln(2 * pi() * t.n) + 1 / (12.0 * t.n) - 1 / (360.0 * t.n * t.n * t.n) + 1 / (1260.0 * t.n * t.n * t.n * t.n * t.n) END) - (CASE WHEN t.i < 1 THEN 0 ELSE t.i * ln(t.i) - t.i + 0.5 * ln(2 * pi() * t.i) + 1 / (12.0 * t.i) - 1 / (360.0 * t.i * t.i * t.i) + 1 / (1260.0 * t.i * t.i * t.i * t.i * t.i) END) - (CASE WHEN (t.n - t.i) < 1 THEN 0 ELSE (t.n - t.i) * ln((t.n - t.i)) - (t.n - t.i) + 0.5 * ln(2 * pi() * (t.n - t.i)) + 1 / (12.0 * (t.n - t.i)) - 1 / (360.0 * (t.n - t.i) * (t.n - t.i) * (t.n - t.i)) + 1 / (1260.0 * (t.n - t.i) * (t.n - t.i) * (t.n - t.i) * (t.n - t.i) * (t.n - t.i)) END)
           + t.i * ln(t.p) + (t.n - t.i) * ln(1 - t.p) AS lp
    FROM (SELECT c.*, c.k + c.dir * st.j AS i FROM clock_tests c JOIN tail_steps st ON c.k + c.dir * st.j BETWEEN 0 AND c.n) t
  ) terms
) x
GROUP BY country, test;

CREATE OR REPLACE VIEW clock_countries AS
SELECT x.country, x.cc, -1 AS operator, 'round the clock' AS width,
       floor(p.first_ts / 86400000) * 86400000 AS start_ms, (floor(p.last_ts / 86400000) + 1) * 86400000 AS end_ms,
       x.new_numbers AS n, 0 AS med
FROM (
  SELECT s.country, s.cc, s.new_numbers, s.rep, u.usual_repeat, coalesce(c.score, 0) AS clock_score, coalesce(r.score, 0) AS repeat_score,
         coalesce(e.score, 0) AS resend_score
  FROM clock_shares s JOIN clock_usual u ON u.country = s.country
  LEFT JOIN clock_tails c ON c.country = s.country AND c.test = 'clock'
  LEFT JOIN clock_tails r ON r.country = s.country AND r.test = 'repeat'
  LEFT JOIN clock_tails e ON e.country = s.country AND e.test = 'resend'
  WHERE s.new_numbers >= 50
) x
CROSS JOIN period p CROSS JOIN params q
WHERE p.last_ts - p.first_ts >= 2 * 86400000
  AND (x.clock_score >= q.clock_score / 4.0 AND x.repeat_score >= q.clock_score / 4.0
       AND x.clock_score > 0 AND x.repeat_score > 0
       AND x.clock_score + x.repeat_score >= q.clock_score
    OR x.rep <= 0.01 AND x.rep <= x.usual_repeat / 4 AND x.repeat_score >= q.clock_score AND x.repeat_score > 0
       AND x.resend_score >= q.clock_score / 2.0 AND x.resend_score > 0)
  AND NOT EXISTS (SELECT 1 FROM new_countries f WHERE f.country = x.country);

CREATE OR REPLACE VIEW new_number_spikes AS
SELECT country, CASE WHEN operator = -1 THEN country
                    WHEN operator >= 1000 THEN concat('+', CAST(cc AS VARCHAR), lpad(CAST(operator - 1000 AS VARCHAR), 2, '0'))
                    ELSE concat('+', CAST(cc AS VARCHAR), CAST(operator AS VARCHAR)) END AS subject,
       CASE WHEN operator = -1 THEN 'country' ELSE 'operator_prefix' END AS kind, width, start_ms, end_ms, n AS new_numbers, med AS usual
FROM (SELECT * FROM new_flagged UNION ALL SELECT * FROM clock_countries) x;

-- 4. excess-unverified (only where conversion is known: the converted column). Per country and
--    per operator prefix (the national number's first two digits), per day and per hour: the
--    verified sends V predict λ = V·(1 − p)/p unverified ones at the slice's usual conversion p
--    (p within 0.01 .. 0.999); flagged when the unverified U score U·ln(U/λ') − U + λ' ≥
--    min_score (λ' = max(λ, 0.5)) and U − λ is at least min_excess a day (20) or min_excess_hour
--    an hour (15). Failed, undelivered and blocked sends are not judged (nobody could verify).
--    p: the slice's own median daily conversion when it has 3 or more days of 20 or more sends,
--    else (an operator) its country's; else, with under 3 days of data and 2 or more other
--    countries of 20 sends, the worst of theirs over 0.35 (one at 0.35 or less is an alert
--    itself, no measure of legit traffic) and never over 0.65; else the account's (the
--    median day; with under 3 days of 20 sends but 3 or more such countries, the lower quartile
--    of the countries' rates). A slice's or its country's own rate of 0.35 or less is an alert,
--    not a baseline, and is passed over (the account's stands). Days first; a window inside a
--    flagged one of its country (or of its own operator) is left out. Then the period (below).
CREATE OR REPLACE VIEW judged AS
SELECT ts, coalesce(country, '??') AS country, calling_code AS cc,
       CASE WHEN nlen >= 4 THEN CAST(substr(national, 1, 2) AS INT) END AS operator,
       CAST(CASE WHEN converted THEN 1 ELSE 0 END AS DOUBLE) AS verified
FROM sends
WHERE converted IS NOT NULL AND coalesce(status, '') NOT IN ('failed', 'undelivered', 'blocked');

-- Slices: operator -1 is the whole country.
CREATE OR REPLACE VIEW judged_slices AS
SELECT country, cc, -1 AS operator, ts, verified FROM judged
UNION ALL SELECT country, cc, operator, ts, verified FROM judged WHERE operator IS NOT NULL;

CREATE OR REPLACE VIEW slice_days AS
SELECT country, operator, floor(ts / 86400000) AS day, count(*) AS n, sum(verified) AS k
FROM judged_slices GROUP BY country, operator, floor(ts / 86400000);

-- A slice's own rate: the upper median of its days of 20 or more sends, given 3 such days.
CREATE OR REPLACE VIEW slice_rates AS
SELECT country, operator, max(rate) AS rate FROM (
  SELECT country, operator, k / n AS rate,
         row_number() OVER (PARTITION BY country, operator ORDER BY k / n) - 1 AS r,
         count(*) OVER (PARTITION BY country, operator) AS days
  FROM slice_days WHERE n >= 20
) x
WHERE days >= 3 AND r = floor(days / 2.0)
GROUP BY country, operator;

-- The account's usual conversion, per population: 'judged' (excess-unverified: delivered or
-- pending sends) and 'known' (low-conversion: every send whose conversion is known). The median
-- day of 20 or more sends given 3 such days; else, with 3 or more countries of 20 sends, the lower
-- quartile of their rates; else the median day, else the pooled rate.
CREATE OR REPLACE VIEW conversion_days AS
SELECT 'judged' AS population, country, floor(ts / 86400000) AS day, count(*) AS n, sum(verified) AS k
FROM judged GROUP BY country, floor(ts / 86400000)
UNION ALL
SELECT 'known', coalesce(country, '??'), floor(ts / 86400000), count(*), CAST(sum(CASE WHEN converted THEN 1 ELSE 0 END) AS DOUBLE)
FROM sends WHERE converted IS NOT NULL GROUP BY coalesce(country, '??'), floor(ts / 86400000);

CREATE OR REPLACE VIEW account_rates AS
SELECT t.population,
       CASE WHEN coalesce(d.good, 0) < 3 AND coalesce(c.good, 0) >= 3 THEN c.q1
            WHEN coalesce(d.good, 0) = 0 THEN t.k / greatest(t.n, 1)
            ELSE d.med END AS rate,
       t.days
FROM (
  SELECT population, sum(n) AS n, sum(k) AS k, count(DISTINCT day) AS days FROM conversion_days GROUP BY population
) t LEFT JOIN (
  SELECT population, count(*) AS good, max(CASE WHEN r = floor(total / 2.0) THEN rate END) AS med FROM (
    SELECT population, k / n AS rate, row_number() OVER (PARTITION BY population ORDER BY k / n) - 1 AS r,
           count(*) OVER (PARTITION BY population) AS total
    FROM (SELECT population, day, sum(n) AS n, sum(k) AS k FROM conversion_days GROUP BY population, day) a WHERE n >= 20
  ) x GROUP BY population
) d ON d.population = t.population LEFT JOIN (
  SELECT population, count(*) AS good, max(CASE WHEN r = floor(total / 4.0) THEN rate END) AS q1 FROM (
    SELECT population, k / n AS rate, row_number() OVER (PARTITION BY population ORDER BY k / n) - 1 AS r,
           count(*) OVER (PARTITION BY population) AS total
    FROM (SELECT population, country, sum(n) AS n, sum(k) AS k FROM conversion_days GROUP BY population, country) a WHERE n >= 20
  ) x GROUP BY population
) c ON c.population = t.population;

CREATE OR REPLACE VIEW account_rate AS
SELECT rate, days FROM account_rates WHERE population = 'judged';

-- The worst other country's rate over 0.35 (over 20 or more sends), for data of under 3 days.
CREATE OR REPLACE VIEW worst_other AS
SELECT a.country, coalesce(least(min(CASE WHEN b.k / b.n > 0.35 THEN b.k / b.n END), 0.65), 0.65) AS rate
FROM (SELECT DISTINCT country FROM judged) a
JOIN (SELECT country, sum(n) AS n, sum(k) AS k FROM slice_days WHERE operator = -1 GROUP BY country HAVING sum(n) >= 20) b
  ON b.country <> a.country
CROSS JOIN account_rate t
WHERE t.days < 3
GROUP BY a.country HAVING count(*) >= 2;

CREATE OR REPLACE VIEW slice_conversion AS
SELECT s.country, s.operator,
       coalesce(CASE WHEN own.rate > 0.35 THEN own.rate END, CASE WHEN co.rate > 0.35 THEN co.rate END, w.rate, t.rate) AS p
FROM (SELECT DISTINCT country, operator FROM judged_slices) s
LEFT JOIN slice_rates own ON own.country = s.country AND own.operator = s.operator
LEFT JOIN slice_rates co ON co.country = s.country AND co.operator = -1 AND s.operator >= 0
LEFT JOIN worst_other w ON w.country = s.country
CROSS JOIN account_rate t;

CREATE OR REPLACE VIEW unverified_windows AS
SELECT c.country, c.cc, c.operator, c.width, c.start_ms, c.end_ms, c.n, c.u, c.expected,
       CASE WHEN c.u > greatest(c.expected, 0.5)
            THEN c.u * ln(c.u / greatest(c.expected, 0.5)) - c.u + greatest(c.expected, 0.5) ELSE 0 END AS score
FROM (
  SELECT j.country, max(j.cc) AS cc, j.operator, w.width, floor(j.ts / w.ms) * w.ms AS start_ms,
         (floor(j.ts / w.ms) + 1) * w.ms AS end_ms, count(*) AS n, count(*) - sum(j.verified) AS u,
         sum(j.verified) * (1 - least(greatest(max(v.p), 0.01), 0.999)) / least(greatest(max(v.p), 0.01), 0.999) AS expected
  FROM judged_slices j
  JOIN slice_conversion v ON v.country = j.country AND v.operator = j.operator
  CROSS JOIN widths w
  GROUP BY j.country, j.operator, w.width, floor(j.ts / w.ms), w.ms
) c;

CREATE OR REPLACE VIEW unverified_spikes AS
SELECT u.* FROM unverified_windows u CROSS JOIN params q
WHERE u.score >= q.unverified_min_score
  AND u.u - u.expected >= CASE WHEN u.width = 'day' THEN q.unverified_min_excess ELSE q.unverified_min_excess_hour END;

CREATE OR REPLACE VIEW unverified_days AS
SELECT s.* FROM unverified_spikes s WHERE s.width = 'day'
  AND (s.operator = -1 OR NOT EXISTS (SELECT 1 FROM unverified_spikes f
                                      WHERE f.width = 'day' AND f.country = s.country AND f.operator = -1 AND f.start_ms = s.start_ms));

CREATE OR REPLACE VIEW unverified_hour_countries AS
SELECT s.* FROM unverified_spikes s WHERE s.width = 'hour' AND s.operator = -1
  AND NOT EXISTS (SELECT 1 FROM unverified_days f WHERE f.country = s.country AND f.operator = -1
                  AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms);

CREATE OR REPLACE VIEW unverified_flagged AS
SELECT * FROM unverified_days
UNION ALL SELECT * FROM unverified_hour_countries
UNION ALL
SELECT s.* FROM unverified_spikes s WHERE s.width = 'hour' AND s.operator >= 0
  AND NOT EXISTS (SELECT 1 FROM unverified_days f WHERE f.country = s.country AND (f.operator = -1 OR f.operator = s.operator)
                  AND f.start_ms <= s.start_ms AND f.end_ms >= s.end_ms)
  AND NOT EXISTS (SELECT 1 FROM unverified_hour_countries f WHERE f.country = s.country AND f.start_ms = s.start_ms);

-- The period as one window (48 hours of data or more, whole UTC days): per slice, its judged
-- sends outside the windows flagged above in its country (the country's, or its own operator's),
-- flagged when they convert at 0.35 or less (an alert by itself), score min_score and are
-- min_excess (the day's floor) above the expected count. An operator of a flagged country adds
-- nothing. A trickle of a few sends a day, under the daily floor every day.
CREATE OR REPLACE VIEW unverified_rest AS
SELECT j.country, j.cc, j.operator, j.verified FROM judged j
WHERE NOT EXISTS (SELECT 1 FROM unverified_flagged f WHERE f.country = j.country
                  AND (f.operator = -1 OR f.operator = j.operator) AND j.ts >= f.start_ms AND j.ts < f.end_ms);

CREATE OR REPLACE VIEW unverified_periods AS
SELECT c.country, c.cc, c.operator, 'period' AS width, p.start_ms, p.end_ms, c.n, c.u, c.expected,
       CASE WHEN c.u > greatest(c.expected, 0.5)
            THEN c.u * ln(c.u / greatest(c.expected, 0.5)) - c.u + greatest(c.expected, 0.5) ELSE 0 END AS score
FROM (
  SELECT r.country, max(r.cc) AS cc, r.operator, count(*) AS n, count(*) - sum(r.verified) AS u,
         sum(r.verified) * (1 - least(greatest(max(v.p), 0.01), 0.999)) / least(greatest(max(v.p), 0.01), 0.999) AS expected
  FROM (SELECT country, cc, -1 AS operator, verified FROM unverified_rest
        UNION ALL SELECT country, cc, operator, verified FROM unverified_rest WHERE operator IS NOT NULL) r
  JOIN slice_conversion v ON v.country = r.country AND v.operator = r.operator
  GROUP BY r.country, r.operator
) c
CROSS JOIN (SELECT floor(min(ts) / 86400000) * 86400000 AS start_ms, (floor(max(ts) / 86400000) + 1) * 86400000 AS end_ms,
                   max(ts) - min(ts) AS span FROM sends) p
WHERE p.span >= 2 * 86400000 AND c.n - c.u <= 0.35 * c.n;

CREATE OR REPLACE VIEW unverified_period_flags AS
SELECT s.* FROM unverified_periods s CROSS JOIN params q
WHERE s.score >= q.unverified_min_score AND s.u - s.expected >= q.unverified_min_excess
  AND (s.operator = -1 OR NOT EXISTS (SELECT 1 FROM unverified_periods f CROSS JOIN params q2
                                      WHERE f.country = s.country AND f.operator = -1 AND f.score >= q2.unverified_min_score
                                        AND f.u - f.expected >= q2.unverified_min_excess));

CREATE OR REPLACE VIEW excess_unverified AS
SELECT country, CASE WHEN operator = -1 THEN country ELSE concat('+', CAST(cc AS VARCHAR), CAST(operator AS VARCHAR)) END AS subject,
       CASE WHEN operator = -1 THEN 'country' ELSE 'operator_prefix' END AS kind, width, start_ms, end_ms,
       n AS sends, u AS unverified, expected, score
FROM (SELECT * FROM unverified_flagged UNION ALL SELECT * FROM unverified_period_flags) x;

-- 5. low-conversion (only where conversion is known). Per country and per range (the number
--    without its last four digits) and day: with min_sends (30) or more sends whose conversion
--    is known, flagged when the Wilson upper bound (z 1.96) of its conversion is under ratio (0.5)
--    times the account's usual conversion (population 'known' above). The Authgear preset of
--    `pumphound` (off by default) is not here.
CREATE OR REPLACE VIEW conversion_cells AS
SELECT 'country' AS kind, coalesce(country, '??') AS subject, floor(ts / 86400000) AS day, count(*) AS n,
       CAST(sum(CASE WHEN converted THEN 1 ELSE 0 END) AS DOUBLE) AS k
FROM sends WHERE converted IS NOT NULL
GROUP BY coalesce(country, '??'), floor(ts / 86400000)
UNION ALL
SELECT 'number_range', concat('+', CAST(calling_code AS VARCHAR), substr(national, 1, nlen - 4), 'xxxx'),
       floor(ts / 86400000), count(*), CAST(sum(CASE WHEN converted THEN 1 ELSE 0 END) AS DOUBLE)
FROM sends
WHERE converted IS NOT NULL AND nlen > 4
GROUP BY calling_code, substr(national, 1, nlen - 4), floor(ts / 86400000);

CREATE OR REPLACE VIEW low_conversion AS
SELECT c.kind, c.subject, c.day * 86400000 AS start_ms, c.n AS sends, c.k AS verified, c.k / c.n AS conversion,
       (c.k / c.n + q.z * q.z / (2 * c.n)
         + q.z * sqrt((c.k / c.n) * (1 - c.k / c.n) / c.n + q.z * q.z / (4 * c.n * c.n))) / (1 + q.z * q.z / c.n) AS wilson_high,
       a.rate AS baseline
FROM conversion_cells c
CROSS JOIN params q
JOIN account_rates a ON a.population = 'known'
WHERE c.n >= q.min_sends
  AND least((c.k / c.n + q.z * q.z / (2 * c.n)
         + q.z * sqrt((c.k / c.n) * (1 - c.k / c.n) / c.n + q.z * q.z / (4 * c.n * c.n))) / (1 + q.z * q.z / c.n), 1) < q.ratio * a.rate;

-- 6. number-class. Sends to numbers an OTP flow has no reason to text (libphonenumber's class,
--    in the exported number_type): premium-rate, shared-cost, personal, pager, UAN, voicemail
--    and non-geographic numbers, class_min_messages (5) or more per class and country (per
--    calling code for non-geographic); invalid numbers from class_min_invalid (20) and over
--    class_invalid_share (2 %) of all sends. Severity as `scan`: invalid medium from 100, else
--    low; another class medium (or its cost's level) from 20 sends or 10 in cost, else low.
CREATE OR REPLACE VIEW number_classes AS
SELECT concat(c.number_type, ':', c.place) AS subject, c.number_type AS class, c.place, c.messages, c.cost,
       c.messages / t.total AS share_of_traffic
FROM (
  SELECT number_type,
         CASE WHEN number_type = 'non_geographic' THEN concat('+', CAST(calling_code AS VARCHAR)) ELSE coalesce(country, '??') END AS place,
         count(*) AS messages, sum(coalesce(cost, 0)) AS cost
  FROM sends
  WHERE number_type IN ('premium_rate', 'shared_cost', 'personal', 'pager', 'uan', 'voicemail', 'non_geographic', 'invalid')
  GROUP BY number_type,
           CASE WHEN number_type = 'non_geographic' THEN concat('+', CAST(calling_code AS VARCHAR)) ELSE coalesce(country, '??') END
) c
CROSS JOIN (SELECT count(*) AS total FROM sends) t
CROSS JOIN params q
WHERE (c.number_type = 'invalid' AND c.messages >= q.class_min_invalid AND c.messages / t.total > q.class_invalid_share)
   OR (c.number_type <> 'invalid' AND c.messages >= q.class_min_messages);

-- 7. provider-blocks. Messages the provider's own defences refused, per country: Twilio 30450 /
--    30453 (SMS Pumping Protection), 60410 (Verify Fraud Guard), 60413 (Verify Device
--    Intelligence), 60605 (Verify Geo-Permissions), 21408 (Geo-Permissions), and
--    AWS PROTECT_BLOCKED, block-list and max-price responses in status_raw; provider_min_blocks
--    (5) or more, medium from provider_medium_blocks (100). Not every 'blocked' status: a
--    carrier's spam filter (Twilio 30007, AWS TEXT_SPAM, "Blocked as spam by phone carrier")
--    drops a share of any account's legit traffic; 60238 is an account under review. The texts
--    are found with position(), as the Rust does (LIKE's _ would match any character).
CREATE OR REPLACE VIEW provider_blocks AS
SELECT coalesce(country, '??') AS country, count(*) AS blocked, min(ts) AS start_ms, max(ts) AS end_ms,
       CASE WHEN count(*) >= max(q.provider_medium_blocks) THEN 'medium' ELSE 'low' END AS severity
FROM sends
CROSS JOIN params q
WHERE trim(coalesce(error_code, '')) IN ('30450', '30453', '60410', '60413', '60605', '21408')
   OR position('protect_blocked' IN lower(coalesce(status_raw, ''))) > 0
   OR position('would exceed max price' IN lower(coalesce(status_raw, ''))) > 0
   OR position('max_price_exceeded' IN lower(coalesce(status_raw, ''))) > 0
   OR position('destination is on a blocked list' IN lower(coalesce(status_raw, ''))) > 0
GROUP BY coalesce(country, '??')
HAVING count(*) >= max(q.provider_min_blocks);
