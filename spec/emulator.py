#!/usr/bin/env python3
"""A local stand-in for the SLS CreateTicket / RefreshToken API.

Checks v1 and v4 signatures with code of its own (nothing from src/), the
security token, the request date (15 minutes either way) and parameter
ranges, and answers as SLS does: JSON bodies, x-log-requestid, JWT-shaped
tickets. It serves a console stand-in under /lognext/ that opens each ticket
once, and faults queued through /_emulator/faults. Loopback only.

    python3 spec/emulator.py --port 0 --port-file /tmp/port [--tls-cert C --tls-key K]
"""
import argparse
import base64
import calendar
import email.utils
import hashlib
import hmac
import html
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Credentials the emulator knows: id -> (secret, security token or None).
KEYS = {
    "LTAI5tEmulatorKeyId": ("EmulatorSecret0123456789abcdef", None),
    "STS.EmulatorTokenId": ("EmulatorStsSecret", "EmulatorSecurityToken+/=abc"),
}
MAX_SKEW = 15 * 60
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class State:
    def __init__(self, region):
        self.lock = threading.Lock()
        self.region = region
        self.reset()

    def reset(self):
        self.clock_offset = 0.0
        self.delay = 0.0
        self.faults = []
        self.log = []
        self.tickets = {}        # ticket -> expiry (emulator clock)
        self.opened = {}         # ticket -> page path, once opened in the console
        self.access_tokens = {}  # access token -> the ticket it was refreshed for
        self.console = []        # pages the console stand-in served
        self.applied = []        # access tokens the stand-in received from its parent
        self.cred = {"sts": 0, "oidc": 0, "imds_token": 0, "imds_role": 0,
                     "imds_creds": 0, "uri": 0, "oidc_tokens": [], "sts_errors": [],
                     "wire": []}  # STS/IMDS/URI requests as received (spec/14)
        self.sts_ttl = 3600      # lifetime of the credentials STS, IMDS and the URI hand out
        self.imds_v2 = True      # False: the token endpoint is missing (IMDSv1 only)
        self.cred_answer = {}    # fields laid over STS/IMDS/URI answers; null removes one
        self.sts_echo = False    # STS fails, echoing its string to sign and every parameter
        self.imds_reject_token = False  # IMDS refuses requests with a token; IMDSv1 works
        self.issued = None       # a number: the credentials issued count from it (same each run)

    def now(self):
        return time.time() + self.clock_offset


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_jwt(claims):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(b"emulator", f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64url(sig)}"


def key_id_of(auth):
    """The access key id in an authorization header, v1 or v4."""
    if auth.startswith("LOG "):
        return auth[4:].split(":")[0]
    start = auth.find("Credential=")
    return auth[start + 11:].split("/")[0] if start >= 0 else ""


def pct(value):
    # RFC 3986: unreserved characters stay.
    return urllib.parse.quote(value, safe="-_.~")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def verify(method, path, query, headers, body, state):
    """Raises ApiError unless the request is signed by a known key."""
    auth = headers.get("authorization", "")
    if auth.startswith("LOG "):
        key_id, _, sig = auth[4:].partition(":")
        secret, token = lookup(key_id)
        check_token(headers, token)
        date = headers.get("date")
        if not date:
            raise ApiError(400, "ParameterInvalid", "missing Date header")
        try:
            sent = email.utils.parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            raise ApiError(400, "ParameterInvalid", "bad Date header")
        check_time(sent, state)
        signed = sorted((k, v) for k, v in headers.items()
                        if "x-log-" in k or "x-acs-" in k)
        resource = path
        if query:
            resource += "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))
        sts = "\n".join([method, headers.get("content-md5", ""),
                         headers.get("content-type", ""), date]) + "\n"
        sts += "".join(f"{k}:{v}\n" for k, v in signed) + resource
        want = base64.b64encode(hmac.new(secret.encode(), sts.encode(),
                                         hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(want, sig):
            raise ApiError(401, "SignatureNotMatch", "signature mismatch")
        return key_id
    if auth.startswith("SLS4-HMAC-SHA256 "):
        fields = dict(p.split("=", 1) for p in auth[17:].split(",") if "=" in p)
        cred = fields.get("Credential", "").split("/")
        if len(cred) != 5 or cred[3:] != ["sls", "aliyun_v4_request"]:
            raise ApiError(400, "ParameterInvalid", "bad Credential")
        key_id, day, region = cred[0], cred[1], cred[2]
        secret, token = lookup(key_id)
        check_token(headers, token)
        xdate = headers.get("x-log-date", "")
        try:
            sent = calendar.timegm(time.strptime(xdate, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            raise ApiError(400, "ParameterInvalid", "bad x-log-date")
        check_time(sent, state)
        if day != xdate[:8] or region != state.region:
            raise ApiError(401, "SignatureNotMatch", "credential scope mismatch")
        content_sha = hashlib.sha256(body).hexdigest()
        if headers.get("x-log-content-sha256") != content_sha:
            raise ApiError(400, "ParameterInvalid", "x-log-content-sha256 mismatch")
        names = sorted(k for k in headers
                       if k.startswith(("x-log-", "x-acs-")) or k in ("host", "content-type"))
        canon_query = "&".join(k + (f"={pct(v)}" if v else "")
                               for k, v in sorted(query.items()))
        canonical = "\n".join([
            method, path or "/", canon_query,
            "".join(f"{k}:{headers[k].strip()}\n" for k in names),
            ";".join(names), content_sha])
        scope = f"{day}/{region}/sls/aliyun_v4_request"
        sts = "\n".join(["SLS4-HMAC-SHA256", xdate, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
        key = ("aliyun_v4" + secret).encode()
        for part in (day, region, "sls", "aliyun_v4_request"):
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        want = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want, fields.get("Signature", "")):
            raise ApiError(401, "SignatureNotMatch", "signature mismatch")
        return key_id
    raise ApiError(401, "Unauthorized", "missing or unknown Authorization scheme")


def lookup(key_id):
    if key_id not in KEYS:
        raise ApiError(401, "InvalidAccessKeyId", "the AccessKeyId is not found")
    return KEYS[key_id]


def check_token(headers, token):
    sent = headers.get("x-acs-security-token")
    if token is not None and sent != token:
        raise ApiError(401, "Unauthorized", "the security token is invalid or expired")
    if token is None and sent is not None:
        raise ApiError(401, "Unauthorized", "a security token was sent for a permanent key")


def check_time(sent, state):
    if abs(state.now() - sent) > MAX_SKEW:
        raise ApiError(400, "RequestTimeExpired",
                       "request time is more than 15 minutes away from server time")


def int_param(query, name, lo, hi):
    if name not in query:
        return None
    value = query[name]
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise ApiError(400, "ParameterInvalid", f"{name} must be in {lo}..{hi}")
    return int(value)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sls-emulator"
    sys_version = ""

    def setup(self):
        super().setup()
        # Headers and body go out in two writes: without this, Nagle plus the
        # client's delayed ACK adds 40 ms to every keep-alive answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def date_time_string(self, timestamp=None):  # the Date header, on the emulator's clock
        return email.utils.formatdate(self.server.state.now(), usegmt=True)

    def log_message(self, fmt, *args):  # quiet; the log is served as JSON
        pass

    # ------------------------------------------------------------ plumbing
    def send(self, status, body, ctype="application/json", extra=None, request_id=True):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        if request_id:
            self.send_header("x-log-requestid", secrets.token_hex(12).upper())
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        for k, v in getattr(self, "extra_lines", ()):
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/_emulator/stats":
            with self.server.state.lock:
                log = list(self.server.state.log)
            with self.server.state.lock:
                console = list(self.server.state.console)
                applied = list(self.server.state.applied)
                cred = dict(self.server.state.cred)
            return self.send(200, {"requests": len(log), "log": log, "console": console,
                                   "applied": applied, "cred": cred}, request_id=False)
        if url.path.startswith("/lognext/project/"):
            return self.console(url)
        if url.path.startswith(("/latest/", "/credentials-uri")):
            self.record_cred("GET", url, None)
        if url.path.startswith("/latest/meta-data/ram/security-credentials/"):
            return self.imds(url.path[len("/latest/meta-data/ram/security-credentials/"):])
        if url.path == "/credentials-uri":
            with self.server.state.lock:
                self.server.state.cred["uri"] += 1
            return self.send(200, self.overlay(dict(self.issue(), Code="Success")),
                             request_id=False)
        self.send(404, {"errorCode": "NotFound", "errorMessage": "no such path"})

    def do_PUT(self):
        url = urllib.parse.urlsplit(self.path)
        self.read_body()
        state = self.server.state
        self.record_cred("PUT", url, None)
        if url.path != "/latest/api/token" or not state.imds_v2:
            return self.send(404, b"not found", "text/plain", request_id=False)
        ttl = self.headers.get("X-aliyun-ecs-metadata-token-ttl-seconds", "")
        if not ttl.isdigit():
            return self.send(400, b"ttl required", "text/plain", request_id=False)
        with state.lock:
            state.cred["imds_token"] += 1
        self.send(200, b"imds-token-" + secrets.token_hex(8).encode(), "text/plain",
                  request_id=False)

    def do_POST(self):
        url = urllib.parse.urlsplit(self.path)
        body = self.read_body()
        state = self.server.state
        if url.path.startswith("/_emulator/"):
            return self.control(url.path, body)
        if url.path == "/" and self.headers.get("Content-Type", "").startswith(
                "application/x-www-form-urlencoded"):
            # Common parameters in the query, the action's own in the form body.
            form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            self.record_cred("POST", url, form)
            params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            return self.sts(dict(params, **form))
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with state.lock:
            entry = {"path": url.path, "query": query,
                     "peer_port": self.client_address[1],
                     "signature": headers.get("authorization", "")[:16],
                     "key_id": key_id_of(headers.get("authorization", "")),
                     "user_agent": headers.get("user-agent", "")}
            if "content-type" in headers:
                entry["content_type"] = headers["content-type"]
            state.log.append(entry)
            fault = state.faults.pop(0) if state.faults else None
            delay = state.delay
        if delay:
            time.sleep(delay)
        self.extra_lines = []
        if fault and self.inject(fault):
            return
        try:
            verify("POST", url.path, query, headers, body, state)
            if url.path == "/tickets":
                self.send(200, self.create_ticket(query, state))
            elif url.path == "/token/refresh":
                self.send(200, self.refresh_token(query, state))
            else:
                raise ApiError(404, "NotFound", "no such API")
        except ApiError as e:
            self.send(e.status, {"errorCode": e.code, "errorMessage": e.message})

    # --------------------------------------------------------------- API
    def create_ticket(self, query, state):
        unknown = set(query) - {"expirationTime", "accessTokenExpirationTime"}
        if unknown:
            raise ApiError(400, "ParameterInvalid", f"unknown parameter {sorted(unknown)[0]}")
        exp = int_param(query, "expirationTime", 1, 2592000)
        at = int_param(query, "accessTokenExpirationTime", 1, 86400)
        if exp is not None and at is not None and at > exp:
            raise ApiError(400, "ParameterInvalid",
                           "accessTokenExpirationTime exceeds expirationTime")
        now = state.now()
        ticket = make_jwt({"iat": int(now), "exp": int(now + (exp or 86400)),
                           "jti": secrets.token_hex(8)})
        with state.lock:
            state.tickets[ticket] = now + (exp or 86400)
        return {"ticket": ticket}

    def refresh_token(self, query, state):
        ticket = query.get("ticket", "")
        at = int_param(query, "accessTokenExpirationTime", 1, 86400)
        with state.lock:
            expiry = state.tickets.get(ticket)
        if expiry is None or expiry < state.now():
            raise ApiError(400, "ParameterInvalid", "ticket is invalid or expired")
        now = state.now()
        token = make_jwt({"iat": int(now), "exp": int(now + (at or 86400)),
                          "sub": "access", "jti": secrets.token_hex(8)})
        with state.lock:
            state.access_tokens[token] = ticket
        return {"accessToken": token}

    # ------------------------------------------- credential services
    def record_cred(self, method, url, form):
        state = self.server.state
        with state.lock:
            state.cred["wire"].append({
                "method": method, "path": url.path, "form": form,
                "peer_port": self.client_address[1],
                "query": dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True)),
                "headers": {k.lower(): v for k, v in self.headers.items()}})

    def overlay(self, answer):
        """The answer with the fields set by config cred_answer (None removes)."""
        for k, v in self.server.state.cred_answer.items():
            if v is None:
                answer.pop(k, None)
            else:
                answer[k] = v
        return answer

    def issue(self):
        """New temporary credentials, which the SLS API then accepts."""
        state = self.server.state
        key_id = "STS.Issued" + secrets.token_hex(6)
        secret = secrets.token_hex(16)
        token = "IssuedToken" + secrets.token_hex(12)
        with state.lock:
            if state.issued is not None:
                state.issued += 1
                seed = hashlib.sha256(b"issued %d" % state.issued).hexdigest()
                key_id, secret, token = ("STS.Issued" + seed[:12], seed[12:44],
                                         "IssuedToken" + seed[44:])
        KEYS[key_id] = (secret, token)
        iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(state.now() + state.sts_ttl))
        return {"AccessKeyId": key_id, "AccessKeySecret": secret, "SecurityToken": token,
                "Expiration": iso}

    def sts(self, params):
        """STS AssumeRole (signed, checked here) and AssumeRoleWithOIDC."""
        state = self.server.state
        action = params.get("Action")

        def fail(status, code, message):
            with state.lock:
                state.cred["sts_errors"].append(code)
            self.send(status, {"Code": code, "Message": message}, request_id=False)

        if action == "AssumeRoleWithOIDC":
            if not params.get("OIDCToken") or not params.get("RoleArn"):
                return fail(400, "MissingParameter", "OIDCToken and RoleArn are required")
            with state.lock:
                state.cred["oidc"] += 1
                state.cred["oidc_tokens"].append(params["OIDCToken"])
            if state.sts_echo:
                return fail(400, "InvalidParameter", " ".join(
                    f"{k}={v}" for k, v in sorted(params.items())) + "\r\n\x1b[31mforged: line")
            return self.send(200, {"RequestId": "X", "Credentials": self.overlay(self.issue())},
                             request_id=False)
        if action != "AssumeRole":
            return fail(400, "InvalidAction", "unknown action")
        key_id = params.get("AccessKeyId", "")
        if key_id not in KEYS:
            return fail(404, "InvalidAccessKeyId.NotFound", "unknown access key")
        secret, token = KEYS[key_id]
        if token is not None and params.get("SecurityToken") != token:
            return fail(400, "InvalidSecurityToken", "wrong security token")
        given = params.pop("Signature", "")
        canonical = "&".join(f"{pct(k)}={pct(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&%2F&" + pct(canonical)
        if state.sts_echo:
            return fail(400, "SignatureDoesNotMatch", "server string to sign is:" + to_sign
                        + " SecurityToken=" + params.get("SecurityToken", "")
                        + "\r\n\x1b[31mforged: line")
        want = base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(),
                                         hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(want, given):
            return fail(400, "SignatureDoesNotMatch", "the signature does not match")
        for name in ("RoleArn", "RoleSessionName", "SignatureNonce", "Timestamp"):
            if not params.get(name):
                return fail(400, "MissingParameter", f"{name} is required")
        with state.lock:
            state.cred["sts"] += 1
        self.send(200, {"RequestId": "X", "AssumedRoleUser": {"Arn": params["RoleArn"]},
                        "Credentials": self.overlay(self.issue())}, request_id=False)

    def imds(self, role):
        state = self.server.state
        token = self.headers.get("X-aliyun-ecs-metadata-token")
        if state.imds_reject_token and token is not None:
            return self.send(403, b"token rejected", "text/plain", request_id=False)
        if state.imds_v2 and not state.imds_reject_token and \
                not (token or "").startswith("imds-token-"):
            return self.send(401, b"token required", "text/plain", request_id=False)
        if role == "":
            with state.lock:
                state.cred["imds_role"] += 1
            return self.send(200, b"EcsRoleForSls", "text/plain", request_id=False)
        if role != "EcsRoleForSls":
            return self.send(404, b"no such role", "text/plain", request_id=False)
        with state.lock:
            state.cred["imds_creds"] += 1
        self.send(200, self.overlay(dict(self.issue(), Code="Success", LastUpdated="x")),
                  request_id=False)

    # ----------------------------------------------------------- console
    def console(self, url):
        """Opens a page for a ticket the emulator issued, once per ticket."""
        state = self.server.state
        params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        ticket = params.get("sls_ticket", "")
        with state.lock:
            issued = ticket in state.tickets
            first = issued and ticket not in state.opened
            if first:
                state.opened[ticket] = url.path
            state.console.append({"path": urllib.parse.unquote(url.path), "ok": first,
                                  "dest": self.headers.get("Sec-Fetch-Dest", ""),
                                  "params": {k: v for k, v in params.items()
                                             if k != "sls_ticket"}})
        if not issued or not first:
            why = "unknown ticket" if not issued else "ticket already used"
            page = f"<!doctype html><title>denied</title><h1 id=denied>{why}</h1>"
            return self.send(403, page.encode(), "text/html; charset=utf-8")
        parts = [urllib.parse.unquote(p) for p in url.path.split("/")[3:]]
        rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                       for k, v in sorted(params.items()) if k != "sls_ticket")
        page = (f"<!doctype html><meta charset=utf-8><title>SLS console (emulator)</title>"
                f"<body style='font-family:sans-serif;background:#f4f6fa'>"
                f"<h1 id=page data-project='{html.escape(parts[0])}' "
                f"data-kind='{html.escape(parts[1] if len(parts) > 1 else '')}' "
                f"data-name='{html.escape(parts[2] if len(parts) > 2 else '')}'>"
                f"{html.escape(parts[1] if len(parts) > 1 else '')}: "
                f"{html.escape(parts[2] if len(parts) > 2 else '')}</h1>"
                f"<p>project <b>{html.escape(parts[0])}</b></p><table>{rows}</table>")
        if params.get("supportRefreshToken") == "true":
            # What the real console does in an iframe: ask the parent for an
            # access token, then use the one it posts back.
            page += ("<p id=token>waiting for an access token</p><script>"
                     "addEventListener('message', function (e) {"
                     " var m = e.data; if (!m || m.type !== 'applyAccessToken') return;"
                     " document.getElementById('token').textContent = 'access token applied';"
                     " fetch('/_emulator/applied', {method: 'POST', body: JSON.stringify("
                     "{accessToken: m.accessToken, ticket: m.ticket, origin: e.origin}),"
                     " headers: {'content-type': 'application/json'}}); });"
                     f"parent.postMessage({{type: 'refreshToken', ticket: {json.dumps(ticket)}}},"
                     " '*');</script>")
        self.send(200, page.encode(), "text/html; charset=utf-8")

    # ------------------------------------------------------------ faults
    def inject(self, f):
        """Plays one queued fault. Returns True when it answered the request."""
        kind = f.get("kind")
        if kind == "delay":
            time.sleep(f.get("seconds", 1))
            return False
        if kind == "continue":
            # An interim answer first: the real one follows.
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
            return False
        if kind == "many_headers":
            self.extra_lines = [("Set-Cookie", f"c{i}={'v' * 90}; Path=/")
                                for i in range(f.get("count", 2000))]
            return False
        if kind == "error":
            extra = {"Retry-After": str(f["retry_after"])} if "retry_after" in f else None
            if "date" in f:       # a server whose clock says this
                self.date_time_string = lambda timestamp=None: f["date"]
            self.send(f.get("status", 500), {"errorCode": f.get("code", "InternalServerError"),
                                             "errorMessage": f.get("message", "injected")},
                      extra=extra)
            self.__dict__.pop("date_time_string", None)
        elif kind == "echo_token":
            # A careless server: repeats the request's security token in its
            # error text, which must reach no browser and no log.
            token = self.headers.get("x-acs-security-token", "")
            self.send(f.get("status", 401), {"errorCode": f.get("code", "Unauthorized"),
                                             "errorMessage": f"{f.get('message', 'bad token')} {token}"})
        elif kind == "html":
            self.send(f.get("status", 502),
                      b"<html><head><title>502 Bad Gateway</title></head></html>",
                      "text/html", request_id=False)
        elif kind == "garbage":
            self.send(f.get("status", 200), b"not json {", "application/json")
        elif kind == "noticket":
            self.send(200, {"something": "else"})
        elif kind == "empty":
            self.send(f.get("status", 200), b"", "application/json")
        elif kind == "huge":
            self.send(200, b"{\"ticket\":\"" + b"x" * (2 * 1024 * 1024) + b"\"}")
        elif kind == "echo":
            # A server that repeats what it was sent, and tries to forge
            # log lines: nothing of it may reach err or detail unfiltered.
            h = {k.lower(): v for k, v in self.headers.items()}
            said = (f"denied: token {h.get('x-acs-security-token', '')} signed "
                    f"{h.get('authorization', '')}\r\nX-Injected: yes\x1b[31m")
            self.send(401, {"errorCode": "Unauthorized", "errorMessage": said,
                            "accessDeniedDetail": {"AuthAction": "log:CreateTicket",
                                                   "EncodedDiagnosticMessage": said}})
        elif kind == "nul_ticket":
            self.send(200, b'{"ticket":"abc\\u0000def"}')
        elif kind in ("trickle_head", "trickle_body", "endless_header"):
            end = time.time() + f.get("seconds", 3)
            try:
                if kind == "trickle_head":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                    while time.time() < end:     # a header line every 150 ms
                        self.wfile.write(b"X-Slow: a\r\n")
                        self.wfile.flush()
                        time.sleep(0.15)
                elif kind == "trickle_body":
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                     b"Content-Length: 1000\r\n\r\n")
                    while time.time() < end:     # a body byte every 150 ms
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.15)
                else:                            # one header line without end
                    self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Endless: ")
                    chunk, sent = b"a" * 65536, 0
                    while time.time() < end and sent < (512 << 20):
                        self.wfile.write(chunk)
                        sent += len(chunk)
            except OSError:
                pass
            self.close_connection = True
        elif kind == "huge_chunked":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(40):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            self.close_connection = True
        elif kind in ("drop", "truncated", "stall", "stall_body"):
            if kind == "truncated":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 100\r\n\r\n{\"ticket\":\"abc")
            elif kind == "stall_body":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: 100\r\n\r\n{\"tick")
                self.wfile.flush()
                time.sleep(f.get("seconds", 5))
            elif kind == "stall":
                time.sleep(f.get("seconds", 5))
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:
            self.send(500, {"errorCode": "EmulatorError", "errorMessage": f"unknown fault {kind}"})
        return True

    def control(self, path, body):
        state = self.server.state
        data = json.loads(body or b"null")
        with state.lock:
            if path == "/_emulator/reset":
                state.reset()
            elif path == "/_emulator/faults":
                state.faults.extend(data if isinstance(data, list) else [data])
            elif path == "/_emulator/applied":
                token = data.get("accessToken", "")
                state.applied.append({"ok": state.access_tokens.get(token) == data.get("ticket")
                                      and token != "", "origin": data.get("origin", "")})
            elif path == "/_emulator/config":
                state.clock_offset = float(data.get("clock_offset", state.clock_offset))
                state.delay = float(data.get("delay", state.delay))
                state.sts_ttl = float(data.get("sts_ttl", state.sts_ttl))
                state.imds_v2 = bool(data.get("imds_v2", state.imds_v2))
                for key in ("cred_answer", "sts_echo", "imds_reject_token", "issued"):
                    setattr(state, key, data.get(key, getattr(state, key)))
            else:
                return self.send(404, {"error": "no such control"}, request_id=False)
        self.send(200, {"ok": True}, request_id=False)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--region", default="cn-shanghai")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--key", action="append", default=[],
                    help="extra credential id:secret[:token]")
    args = ap.parse_args()
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        sys.exit("the emulator listens on loopback only")
    for spec in args.key:
        key_id, secret, *token = spec.split(":", 2)
        KEYS[key_id] = (secret, token[0] if token else None)
    server = Server((args.host, args.port), Handler)
    server.state = State(args.region)
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    port = server.server_address[1]
    if args.port_file:
        tmp = args.port_file + ".tmp"
        with open(tmp, "w") as fh:
            fh.write(str(port))
        os.replace(tmp, args.port_file)
    else:
        print(port, flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
