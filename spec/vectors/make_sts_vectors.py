"""Computes STS RPC signatures (AssumeRole) with Python's standard library,
independently of lua/sls/credentials.lua, into sts-signatures.json:
HMAC-SHA1 with key secret + "&" over METHOD&%2F&pct(sorted, encoded params),
base64 (Alibaba Cloud RPC signature v1.0). Run: python3 make_sts_vectors.py"""
import base64
import hashlib
import hmac
import json
import urllib.parse


def pct(s):
    return urllib.parse.quote(s, safe="-_.~")


def sign(secret, method, params):
    canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{pct('/')}&{pct(canonical)}"
    mac = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


BASE = {"Action": "AssumeRole", "Format": "JSON", "Version": "2015-04-01",
        "AccessKeyId": "LTAI5tExampleKeyId", "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0", "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "Timestamp": "2026-11-24T22:00:00Z", "RoleArn": "acs:ram::1234567890123456:role/sls-embed",
        "RoleSessionName": "lua-sls", "DurationSeconds": "3600"}
cases = [
    ("plain", "ExampleSecret", "POST", BASE),
    ("GET", "ExampleSecret", "GET", BASE),
    ("policy with reserved characters", "s3cr3t/+=", "POST", dict(BASE, Policy=json.dumps(
        {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "log:CreateTicket",
                                         "Resource": "acs:log:*:*:ticket/*"}]}))),
    ("STS source credentials", "StsSecret", "POST", dict(BASE, AccessKeyId="STS.Source",
        SecurityToken="CAIS+token/with=chars~and space")),
    ("non-ASCII session name", "ExampleSecret", "POST", dict(BASE, RoleSessionName="门户-1")),
]
out = [{"name": n, "secret": s, "method": m, "params": p, "signature": sign(s, m, p)}
       for n, s, m, p in cases]
with open("sts-signatures.json", "w") as fh:
    json.dump(out, fh, indent=2, ensure_ascii=False)
    fh.write("\n")
