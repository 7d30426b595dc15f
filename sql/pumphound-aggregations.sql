-- pumphound's detector aggregations as SQL, for when one machine is outgrown: run them on an
-- engine that already reads your exports where they lie (Spark SQL, Trino / Athena over S3).
-- Written in the ANSI subset those engines share; engine-specific spellings are noted.
--
-- The inputs are two tables you declare over the exports:
--   messages(message_id, ts TIMESTAMP, destination VARCHAR /* E.164, '+' and digits */,
--            cost DOUBLE /* positive, one currency */, status VARCHAR, converted BOOLEAN /* or NULL */)
--   calling_codes(code VARCHAR, country VARCHAR) -- ITU codes, 1-3 digits; shared codes (1, 7,
--            44 ...) map to their main country here, pumphound splits them by numbering plan.
-- For a Twilio Console CSV export on S3 under Athena, for example:
--   CREATE EXTERNAL TABLE console (`From` string, `To` string, Body string, Status string,
--     SentDate string, ApiVersion string, NumSegments string, ErrorCode string,
--     AccountSid string, Sid string, Direction string, Price string, PriceUnit string)
--   ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' LOCATION 's3://bucket/exports/'
--   TBLPROPERTIES ('skip.header.line.count'='1');
--   CREATE VIEW messages AS SELECT Sid AS message_id,
--     parse_datetime(SentDate, 'EEE, dd MMM yyyy HH:mm:ss Z') AS ts,   -- Spark: to_timestamp(SentDate, 'EEE, dd MMM yyyy HH:mm:ss Z')
--     "To" AS destination, -CAST(NULLIF(Price, '') AS DOUBLE) AS cost, Status AS status,
--     CAST(NULL AS BOOLEAN) AS converted
--   FROM console WHERE Direction LIKE 'outbound%';
--
-- What stays on one machine: the results of these queries are small (one row per range, per
-- country-hour, per country-day), so the scoring below can also be done in a notebook. Dedup by
-- message_id first if the same message can sit in two exports (SELECT DISTINCT on message_id).

-- 0. Each message with its calling code, country, and the national number's length.
CREATE TEMPORARY VIEW m AS           -- Trino/Athena: CREATE VIEW m AS
SELECT x.*, COALESCE(c3.code, c2.code, c1.code) AS cc,
       COALESCE(c3.country, c2.country, c1.country, '??') AS country,
       length(x.destination) - 1 - length(COALESCE(c3.code, c2.code, c1.code, '')) AS nlen
FROM messages x
LEFT JOIN calling_codes c3 ON c3.code = substr(x.destination, 2, 3)
LEFT JOIN calling_codes c2 ON c2.code = substr(x.destination, 2, 2)
LEFT JOIN calling_codes c1 ON c1.code = substr(x.destination, 2, 1);

-- 1. pumped-range. For each level L = 1..6 a block is the number minus its last L digits; D =
--    distinct destinations in the block. The expected count is the larger of the numbering
--    model, N · 10^L / 10^(nlen-1) (N: the plan's distinct numbers), and, for a plan with a
--    spread customer base (30 or more occupied 10^4 ranges), the 90th percentile of its
--    occupied blocks' D at that level. Coarse blocks (L = 5, 6) are judged only against that
--    percentile. Score: the Chernoff bound of the Poisson tail, D·ln(D/E) − D + E; reported
--    when D ≥ 12, D ≥ 3E and score ≥ 25 (medium from 60). Of nested blocks keep the one with
--    the highest score. (pumphound also skips a block explained by several busy sub-blocks.)
--    Trino/Athena: approx_percentile(d, 0.9); Spark: percentile_approx(d, 0.9).
WITH levels AS (SELECT 1 AS l UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 UNION ALL SELECT 5 UNION ALL SELECT 6),
numbers AS (SELECT DISTINCT cc, country, nlen, destination FROM m WHERE cc IS NOT NULL),
plan AS (SELECT cc, country, nlen, count(*) AS n FROM numbers GROUP BY cc, country, nlen),
spread AS (
  SELECT cc, nlen FROM numbers WHERE nlen > 5
  GROUP BY cc, nlen HAVING count(DISTINCT substr(destination, 1, length(destination) - 4)) >= 30
),
blocks AS (
  SELECT m.cc, m.country, m.nlen, levels.l,
         substr(m.destination, 1, length(m.destination) - levels.l) AS block,
         count(DISTINCT m.destination) AS d, count(*) AS messages, sum(m.cost) AS cost,
         min(m.ts) AS first_ts, max(m.ts) AS last_ts
  FROM m CROSS JOIN levels
  WHERE m.cc IS NOT NULL AND m.nlen > levels.l + 1
  GROUP BY m.cc, m.country, m.nlen, levels.l, substr(m.destination, 1, length(m.destination) - levels.l)
),
occupancy AS (SELECT cc, nlen, l, percentile_approx(d, 0.9) AS q90 FROM blocks GROUP BY cc, nlen, l),
scored AS (
  SELECT b.*,
         CASE WHEN s.cc IS NOT NULL THEN greatest(p.n * power(10, b.l) / power(10, b.nlen - 1), o.q90, 0.01)
              WHEN b.l < 5 THEN greatest(p.n * power(10, b.l) / power(10, b.nlen - 1), 0.01) END AS expected
  FROM blocks b
  JOIN plan p ON p.cc = b.cc AND p.nlen = b.nlen
  JOIN occupancy o ON o.cc = b.cc AND o.nlen = b.nlen AND o.l = b.l
  LEFT JOIN spread s ON s.cc = b.cc AND s.nlen = b.nlen
)
SELECT country, block || repeat('x', l) AS range, d AS destinations, messages, cost, first_ts, last_ts,
       expected, d * ln(d / expected) - d + expected AS score
FROM scored
WHERE expected IS NOT NULL AND d >= 12 AND d >= 3 * expected AND d * ln(d / expected) - d + expected >= 25
ORDER BY score DESC;

-- 2. spend-anomaly. Hourly spend per country against that country's median hour and median
--    absolute deviation (MAD); flagged when spend > median + 8·MAD and the excess is at least
--    5 currency units over 20 or more messages (daily: 6·MAD and 25). Trino/Athena: use
--    approx_percentile(x, 0.5) for median(x); Spark: percentile_approx(x, 0.5).
WITH hourly AS (
  SELECT country, date_trunc('hour', ts) AS hour, sum(cost) AS spend, count(*) AS messages FROM m GROUP BY country, date_trunc('hour', ts)
),
med AS (SELECT country, percentile_approx(spend, 0.5) AS median_spend FROM hourly GROUP BY country),
mad AS (
  SELECT h.country, percentile_approx(abs(h.spend - med.median_spend), 0.5) AS mad
  FROM hourly h JOIN med ON med.country = h.country GROUP BY h.country
)
SELECT h.country, h.hour, h.spend, h.messages, med.median_spend, mad.mad
FROM hourly h JOIN med ON med.country = h.country JOIN mad ON mad.country = h.country
WHERE h.spend > med.median_spend + 8 * mad.mad AND h.spend - med.median_spend >= 5 AND h.messages >= 20
ORDER BY h.spend DESC;

-- 3. low-conversion. Per country and day, the share of sends the app saw verified (needs
--    `converted`, joined from your app's verification log within 15 minutes of the send). The
--    Wilson upper bound (z = 1.96) of the conversion must fall under half the account's overall
--    rate, over 30 or more judged sends (pumphound takes the baseline robustly, from the other
--    days and countries; the overall rate is the simple form).
WITH daily AS (
  SELECT country, date_trunc('day', ts) AS day, count(*) AS judged,
         sum(CASE WHEN converted THEN 1 ELSE 0 END) AS verified
  FROM m WHERE converted IS NOT NULL GROUP BY country, date_trunc('day', ts)
),
overall AS (SELECT sum(verified) * 1.0 / sum(judged) AS rate FROM daily),
bounds AS (
  SELECT d.*, d.verified * 1.0 / d.judged AS p,
         ((d.verified * 1.0 / d.judged) + 1.9208 / d.judged
           + 1.96 * sqrt((d.verified * 1.0 / d.judged) * (1 - d.verified * 1.0 / d.judged) / d.judged + 0.9604 / (d.judged * d.judged)))
         / (1 + 3.8416 / d.judged) AS wilson_upper
  FROM daily d
)
SELECT b.country, b.day, b.judged, b.verified, b.p, b.wilson_upper, o.rate AS account_rate
FROM bounds b CROSS JOIN overall o
WHERE b.judged >= 30 AND b.wilson_upper < 0.5 * o.rate
ORDER BY b.judged DESC;
