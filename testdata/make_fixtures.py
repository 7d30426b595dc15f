#!/usr/bin/env python3
"""Writes the small, hand-shaped format fixtures under testdata/formats and testdata/bad.

Synthetic only: numbers are in fictional or unallocated-looking ranges chosen for the test
(US 555-01xx, UK 07400 mobiles, Latvian mobiles), sids and ids are made up. Re-run with
`python3 testdata/make_fixtures.py` from the repository root; output is deterministic.
"""
import gzip, io, json, os

D = "testdata/formats"
B = "testdata/bad"
os.makedirs(D, exist_ok=True)
os.makedirs(B, exist_ok=True)

def w(path, data, mode="w"):
    with open(path, mode) as f:
        f.write(data)

def sid(prefix, n):
    return f"{prefix}{n:032x}"

# Twilio Console CSV: BOM, CRLF, a quoted newline, RFC 2822 and ISO dates, negative and positive
# prices, an inbound row, a number without '+', an alphanumeric sender, a queued row without a
# price, a EUR row (mixed currencies are never summed).
hdr = "From,To,Body,Status,SentDate,ApiVersion,NumSegments,ErrorCode,AccountSid,Sid,Direction,Price,PriceUnit"
rows = [
    f'+12015550100,+447400123456,"Your code is 123456",delivered,"Fri, 24 May 2019 17:44:46 +0000",2010-04-01,1,,ACtest,{sid("SM",1)},outbound-api,-0.04000,USD',
    f'+12015550100,+447400123457,"Your code is 654321\nDo not share it",undelivered,2019-05-24T17:45:00Z,2010-04-01,2,30003,ACtest,{sid("SM",2)},outbound-api,0.08000,USD',
    f'ACMEBANK,37120012345,"Code: 111222",sent,2019-05-24T18:00:00+02:00,2010-04-01,1,,ACtest,{sid("SM",3)},outbound-api,-0.05200,USD',
    f'+447400999999,+12015550100,"STOP",received,2019-05-24T17:50:00Z,2010-04-01,1,,ACtest,{sid("SM",4)},inbound,-0.00750,USD',
    f'+12015550100,+33612345678,"Votre code 998877",queued,2019-05-24T19:00:00Z,2010-04-01,1,,ACtest,{sid("SM",5)},outbound-api,,',
    f'+12015550100,+33612345679,"Votre code 112233",delivered,2019-05-24T19:01:00Z,2010-04-01,1,,ACtest,{sid("SM",6)},outbound-api,-0.07000,EUR',
]
w(f"{D}/twilio-console.csv", "\ufeff" + "\r\n".join([hdr] + rows) + "\r\n", "w")

# The older community layout (no ErrorCode, From/To at the end).
hdr2 = "Body,Status,SentDate,ApiVersion,NumSegments,AccountSid,Sid,Direction,From,To,Price,PriceUnit"
rows2 = [
    f'Your code is 4444,delivered,2019-06-01T10:00:00Z,2010-04-01,1,ACtest,{sid("SM",101)},outbound-api,+12015550100,+447400200001,-0.04000,USD',
    f'Your code is 5555,failed,2019-06-01T10:05:00Z,2010-04-01,1,ACtest,{sid("SM",102)},outbound-api,+12015550100,+447400200002,-0.04000,USD',
]
w(f"{D}/twilio-console-legacy.csv", "\n".join([hdr2] + rows2) + "\n")

def msg(n, to, status, date, price="-0.04000", unit="USD", err=None, rest=True, direction="outbound-api"):
    m = {"sid": sid("SM", n), "account_sid": "ACtest", "messaging_service_sid": None, "from": "+12015550100",
         "to": to, "body": f"Your code is {100000 + n}", "status": status, "direction": direction,
         "num_segments": "1", "num_media": "0", "price": price, "error_code": err}
    if rest:
        m.update({"api_version": "2010-04-01", "price_unit": unit, "date_created": date, "date_sent": date,
                  "date_updated": date, "uri": f"/2010-04-01/Accounts/ACtest/Messages/{sid('SM', n)}.json"})
    else:
        iso = date
        m.update({"date_created": iso, "date_sent": iso, "date_updated": iso})
    return m

# Messages JSON: two list pages concatenated in one file.
p1 = {"page": 0, "page_size": 2, "next_page_uri": "/next", "messages": [
    msg(201, "+447400300001", "delivered", "Sat, 01 Jun 2019 11:00:00 +0000"),
    msg(202, "+447400300002", "failed", "Sat, 01 Jun 2019 11:01:00 +0000", err=30450)]}
p2 = {"page": 1, "page_size": 2, "next_page_uri": None, "messages": [
    msg(203, "+447400300003", "queued", "Sat, 01 Jun 2019 11:02:00 +0000", price=None, unit=None)]}
w(f"{D}/twilio-messages-pages.json", json.dumps(p1, indent=2) + "\n" + json.dumps(p2, indent=2) + "\n")
# One Message per line, plus a bare array file.
w(f"{D}/twilio-messages.ndjson", "\n".join(json.dumps(msg(210 + i, f"+4474003100{i:02d}", "sent", "Sat, 01 Jun 2019 12:00:00 +0000")) for i in range(3)) + "\n")

# BulkExport day file: gzip JSON lines, ISO dates, no price_unit; written as two gzip members.
lines = [json.dumps(msg(300 + i, f"+3712001{i:04d}", "delivered", f"2019-06-02T0{i}:00:00Z", price="-0.05200", rest=False)) for i in range(4)]
buf = io.BytesIO()
for chunk in (lines[:2], lines[2:]):
    buf.write(gzip.compress(("\n".join(chunk) + "\n").encode(), mtime=0))
w(f"{D}/twilio-bulkexport-2019-06-02.json.gz", buf.getvalue(), "wb")

def attempt(n, to, conv, country, status="delivered", price="0.0500", channel="sms"):
    return {"sid": sid("VL", n), "account_sid": "ACtest", "service_sid": sid("VA", 1), "verification_sid": sid("VE", n),
            "date_created": "2020-08-11T18:36:59Z", "date_updated": "2020-08-11T18:37:00Z", "conversion_status": conv,
            "channel": channel, "price": {"value": price, "currency": "usd"},
            "channel_data": {"verification_sid": sid("VE", n), "to": to, "status": "confirmed" if conv == "converted" else "unconfirmed",
                             "message_status": status, "error_code": None, "country": country, "code_length": 6, "locale": "en",
                             "mcc": "247", "mnc": "01", "carrier": "Test Mobile"}}
w(f"{D}/twilio-verify-attempts.json", json.dumps({"attempts": [
    attempt(1, "+37120012345", "converted", "LV"),
    attempt(2, "+37120012346", "unconverted", "LV", status="undelivered"),
    attempt(3, "+37120012347", "unconverted", "LV"),
    attempt(4, "+37120012348", "converted", "LV", channel="call"),
], "meta": {"key": "attempts", "page": 0, "page_size": 50, "next_page_url": None}}, indent=2) + "\n")

# Event Streams: a batch (array) of CloudEvents: sent then delivered for one SID (they fold),
# a Verify message status event, and a Verify approved verification.
ev = [
    {"specversion": "1.0", "type": "com.twilio.messaging.message.sent", "source": "/2010-04-01/Accounts/ACtest/Messages/x",
     "id": "EZ1", "dataschema": "https://events-schemas.twilio.com/Messaging.MessageStatus/8", "datacontenttype": "application/json",
     "time": "2024-05-29T10:57:57.563Z",
     "data": {"accountSid": "ACtest", "apiVersion": "2010-04-01", "eventName": "com.twilio.messaging.message.sent", "from": "+14015550100",
              "messageSid": sid("SM", 401), "messageStatus": "SENT", "numberOfSegments": 1, "timestamp": "2024-05-29T10:57:57.563495225Z",
              "to": "+447400400001", "body": "Your code is 123"}},
    {"specversion": "1.0", "type": "com.twilio.messaging.message.delivered", "source": "x", "id": "EZ2",
     "data": {"accountSid": "ACtest", "apiVersion": "2010-04-01", "eventName": "com.twilio.messaging.message.delivered", "from": "+14015550100",
              "messageSid": sid("SM", 401), "messageStatus": "DELIVERED", "timestamp": "2024-05-29T10:58:01.000000000Z", "to": "+447400400001"}},
    {"specversion": "1.0", "type": "com.twilio.accountsecurity.verify.message.undelivered", "source": "x", "id": "EZ3",
     "data": {"created_at": "2024-05-29T11:00:00Z", "account_sid": "ACtest", "service_sid": sid("VA", 1), "verification_sid": sid("VE", 9),
              "attempt_sid": sid("VL", 9), "error_code": "30008", "channel": "SMS", "message_status": "UNDELIVERED", "to": "+37120019999",
              "number_segments": 1}},
    {"specversion": "1.0", "type": "com.twilio.accountsecurity.verify.verification.approved", "source": "x", "id": "EZ4",
     "data": {"account_sid": "ACtest", "service_sid": sid("VA", 1), "verification_sid": sid("VE", 10), "to": "+37120010000",
              "verification_status": "APPROVED", "country": "LV",
              "send_code_attempts": {"count": 1, "attempts": [{"time": "2024-05-29T11:05:00Z", "channel": "SMS", "attempt_sid": sid("VL", 10)}]}}},
]
w(f"{D}/twilio-event-streams.json", json.dumps(ev, indent=2) + "\n")

def sns(i, dest, status, resp, price, ts):
    return {"notification": {"messageId": f"00000000-0000-4000-8000-{i:012d}", "timestamp": ts},
            "delivery": {"numberOfMessageParts": 1, "destination": dest, "priceInUSD": price, "smsType": "Transactional",
                         "providerResponse": resp, "dwellTimeMs": 100, "dwellTimeMsUntilDeviceAck": 300}, "status": status}
recs = [sns(1, "+447400500001", "SUCCESS", "Message has been accepted by phone", 0.0415, "2023-01-10 08:00:00.1"),
        sns(2, "+447400500002", "FAILURE", "Phone is currently unreachable/unavailable", 0.0415, "2023-01-10 08:00:01.25"),
        sns(3, "+447400500003", "FAILURE", "This delivery would exceed max price", 0.0, "2023-01-10 08:00:02.375")]
w(f"{D}/sns-delivery-logs.ndjson", "\n".join(json.dumps(r) for r in recs) + "\n")
w(f"{D}/sns-subscription.json", json.dumps({"messageType": "DATA_MESSAGE", "owner": "123456789012",
    "logGroup": "sns/eu-west-1/123456789012/DirectPublishToPhoneNumber", "logStream": "x", "subscriptionFilters": ["f"],
    "logEvents": [{"id": str(i), "timestamp": 1673337600000 + i, "message": json.dumps(sns(10 + i, f"+4474005100{i:02d}", "SUCCESS", "Delivered", 0.0415, "2023-01-10 09:00:00.000"))} for i in range(2)]}, indent=2) + "\n")

# SNS usage report: one message in two parts, numbers without '+'.
w(f"{D}/sns-usage-report.csv", "PublishTimeUTC,MessageId,DestinationPhoneNumber,MessageType,DeliveryStatus,PriceInUSD,PartNumber,TotalParts\n"
  "2023-01-11T03:00:29.476Z,00000000-0000-4000-9000-000000000001,447400600001,Transactional,Message has been accepted by phone carrier,0.0415,1,2\n"
  "2023-01-11T03:00:29.476Z,00000000-0000-4000-9000-000000000001,447400600001,Transactional,Message has been accepted by phone carrier,0.0415,2,2\n"
  "2023-01-11T03:00:30.100Z,00000000-0000-4000-9000-000000000002,12015550123,Promotional,\"Phone carrier has blocked this message, try later\",0.00645,1,1\n")

def eum(mid, etype, status, ts, price=0.0415, final=True, dest="+447400700001"):
    return {"eventType": etype, "eventVersion": "1.0", "eventTimestamp": ts, "isFinal": final, "originationPhoneNumber": "TESTCO",
            "destinationPhoneNumber": dest, "isoCountryCode": "GB", "messageId": mid, "messageRequestTimestamp": 1700000000000,
            "messageEncoding": "GSM", "messageType": "TRANSACTIONAL", "messageStatus": status,
            "messageStatusDescription": "x", "totalMessageParts": 1, "totalMessagePrice": price, "totalCarrierFee": 0.001}
e1 = eum("m-1", "TEXT_PENDING", "PENDING", 1700000000500, final=False)
e2 = eum("m-1", "TEXT_DELIVERED", "DELIVERED", 1700000003000)
e3 = {"Type": "Notification", "MessageId": "sns-1", "TopicArn": "arn:aws:sns:eu-west-1:123456789012:sms-events",
      "Message": json.dumps(eum("m-2", "TEXT_BLOCKED", "BLOCKED", 1700000004000, price=0.0, dest="+447400700002"))}
e4 = {"version": "0", "id": "eb-1", "detail-type": "Text Message Delivery Status Updated", "source": "aws.sms-voice",
      "account": "123456789012", "time": "2023-11-14T22:13:25Z", "region": "eu-west-1",
      "detail": eum("m-3", "TEXT_SUCCESSFUL", "SUCCESSFUL", 1700000005000, dest="+447400700003")}
w(f"{D}/eum-events.ndjson", "\n".join(json.dumps(e) for e in (e1, e2, e3, e4)) + "\n")

w(f"{D}/pinpoint-events.ndjson", "\n".join(json.dumps({
    "event_type": t, "event_timestamp": 1553104954322 + i, "arrival_timestamp": 1553104954064, "event_version": "3.1",
    "application": {"app_id": "app", "sdk": {}}, "client": {"client_id": "123456789012"}, "device": {"platform": {}}, "session": {},
    "attributes": {"sender_request_id": f"r{i}", "origination_phone_number": "+12065550142", "destination_phone_number": f"+4474008000{i:02d}",
                   "record_status": rs, "iso_country_code": "GB", "number_of_message_parts": "1", "message_id": f"pp-{i}", "message_type": "Transactional"},
    "metrics": {"price_in_millicents_usd": 4150.0}, "awsAccountId": "123456789012"}) for i, (t, rs) in enumerate([("_SMS.SUCCESS", "DELIVERED"), ("_SMS.FAILURE", "UNREACHABLE")])) + "\n")

# App-side send log (generic CSV) and its verifications (--conversions).
os.makedirs("testdata/app", exist_ok=True)
w("testdata/app/sends.csv", "id,phone,sent_at,cost_usd,template\n"
  "a1,+447400900001,2024-02-01T10:00:00Z,0.04,login\n"
  "a2,+447400900002,2024-02-01T10:05:00Z,0.04,login\n"
  "a3,+447400900003,2024-02-01T10:10:00Z,0.04,login\n")
w("testdata/app/verifications.csv", "phone,verified_at\n+447400900001,2024-02-01T10:01:10Z\n+447400900002,2024-02-01T11:00:00Z\n")

# Bad inputs.
w(f"{B}/empty.csv", "")
w(f"{B}/unknown-header.csv", "alpha,beta\n1,2\n")
w(f"{B}/wrong-shape.json", json.dumps({"hello": "world", "answer": 42}) + "\n")
w(f"{B}/cloudtrail.json", json.dumps({"Records": [{"eventSource": "sns.amazonaws.com", "eventName": "Publish"}]}) + "\n")
w(f"{B}/truncated-page.json", json.dumps(p1, indent=2)[:400])
full = gzip.compress(("\n".join(lines) + "\n").encode() * 20, mtime=0)
w(f"{B}/truncated.json.gz", full[: len(full) // 2], "wb")
bad_rows = [
    hdr,
    f'+12015550100,+447400123456,"ok",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",901)},outbound-api,-0.04,USD',
    f'+12015550100,,"no destination",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",902)},outbound-api,-0.04,USD',
    f'+12015550100,+447400123458,"bad date",delivered,yesterday,2010-04-01,1,,ACtest,{sid("SM",903)},outbound-api,-0.04,USD',
    f'+12015550100,+447400123459,"nan price",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",904)},outbound-api,NaN,USD',
    f'+12015550100,+447400123460,"short row",delivered',
    f'+12015550100,+447400123461,"extra cells",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",905)},outbound-api,-0.04,USD,x,y',
    f'+12015550100,whatsapp:+447400123462,"whatsapp",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",906)},outbound-api,-0.04,USD',
]
data = ("\n".join(bad_rows) + "\n").encode()
data = data.replace(b'"ok"', b'"ok \xff\xfe invalid utf-8"')
w(f"{B}/bad-rows.csv", data, "wb")
w(f"{B}/malformed-lines.ndjson", json.dumps(recs[0]) + "\n{not json\n" + json.dumps(recs[1]) + "\n" + '{"notification": {"messageId": "x"}, "delivery": {"priceInUSD": "free", "destination": "+447400000001"}}' + "\n")

# Hostile input (issue: hardening). Big cases (100 MB field, 10 M commas, gzip bomb) are made
# by the tests at run time instead of being committed.
w(f"{B}/nested-deep.json", "[" * 100_000 + "]" * 100_000)
nul = [hdr, f'+12015550100,+447400123456,"a\x00b",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",911)},outbound-api,-0.04,USD', "\x00\x00\x00"]
w(f"{B}/nul-bytes.csv", "\n".join(nul) + "\n")
over = (hdr + "\n" + f'+12015550100,+447400123456,"over \xc0\xaf long",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",912)},outbound-api,-0.04,USD'.encode("utf-8", "surrogateescape").decode("latin-1") + "\n").encode("latin-1")
w(f"{B}/overlong-utf8.csv", over, "wb")
odd = [hdr,
       f'+12015550100,+{"1" * 40},"forty digits",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",913)},outbound-api,-0.04,USD',
       f'+12015550100,+447400123457,"far future",delivered,99999-01-01T00:00:00Z,2010-04-01,1,,ACtest,{sid("SM",914)},outbound-api,-0.04,USD',
       f'+12015550100,+447400123458,"negative",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",915)},outbound-api,-0.04,USD',
       f'+12015550100,+447400123459,"nan",delivered,2019-05-24T17:44:46Z,2010-04-01,1,,ACtest,{sid("SM",916)},outbound-api,NaN,USD']
w(f"{B}/odd-values.csv", "\n".join(odd) + "\n")
eum_line = json.dumps(eum("m-9", "TEXT_DELIVERED", "DELIVERED", 1700000003000))
w(f"{B}/changes-format.ndjson", "\n".join([json.dumps(recs[0]), json.dumps(recs[1]), eum_line, eum_line]) + "\n")
d1 = sns(77, "+447400500077", "SUCCESS", "Delivered", 0.0415, "2023-01-10 08:00:00.1")
d2 = sns(77, "+447400599999", "FAILURE", "Phone is currently unreachable/unavailable", 9.99, "2023-01-10 08:00:05.0")
w(f"{B}/duplicate-conflicting.ndjson", json.dumps(d1) + "\n" + json.dumps(d2) + "\n")
