# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""HTTP client for BlueKing ESB ``/api/c/compapi/v2/cc/<api>/`` components.

This module owns everything between a Python dict and a decoded reply: the ESB credentials
in the body, one reused HTTP session, TLS settings, timeouts, retries with backoff, the reply
envelope in its several dialects and the masking of secrets. Callers get a ``Reply`` or one
of the typed errors from ``errors.py``; they never see ``requests``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html
import json
import random
import ssl
import time

from email.utils import parsedate_to_datetime
from urllib.parse import quote, quote_plus, urlparse

try:
    import requests
    import urllib3
    HAS_REQUESTS = True
    REQUESTS_IMPORT_ERROR = None
except ImportError as import_error:  # pragma: no cover - exercised by the module's missing_required_lib path
    HAS_REQUESTS = False
    REQUESTS_IMPORT_ERROR = import_error

from ansible_collections.blueking.cmdb.plugins.module_utils.errors import (
    ApiError,
    ReplyError,
    TransportError,
)

ESB_PATH = "/api/c/compapi/v2/cc/%s/"
USER_AGENT = "blueking.cmdb-ansible/1.0.0"
MASK = "********"
# Enough of an error page to recognise it, short enough not to flood a job log.
EXCERPT_CHARS = 500
MAX_BACKOFF = 30.0
# A server asking us to wait longer than this is treated as this; jobs must end.
MAX_RETRY_AFTER = 120.0


class Reply:
    """A successful envelope: its ``data`` and the ESB ``request_id``."""

    def __init__(self, data, request_id, message=None):
        self.data = data
        self.request_id = request_id
        self.message = message


# How template engines (Jinja's markupsafe among them) write the HTML-special characters.
NUMERIC_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "'": "&#39;", '"': "&#34;"}


def secret_forms(secret):
    """The ways a server may echo a secret back: as sent, JSON-, HTML- or URL-escaped.

    URL forms include the default ``quote`` (``/`` kept) and a double encoding, as a login
    redirect's target URL carries it.
    """
    url_forms = {quote(secret, safe=""), quote_plus(secret, safe=""), quote(secret)}
    forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1], html.escape(secret),
             html.escape(secret, quote=False), "".join(NUMERIC_ENTITIES.get(char, char) for char in secret)}
    forms |= url_forms | set(quote(form, safe="") for form in url_forms)
    # Longest first, so a longer form is not half-replaced through a shorter one.
    return sorted((form for form in forms if form), key=len, reverse=True)


def mask_secrets(text, secrets):
    """Replace every occurrence of each secret in ``text``; servers echo credentials back."""
    if not text:
        return text
    for secret in secrets:
        if secret:
            for form in secret_forms(secret):
                text = text.replace(form, MASK)
    return text


def mask_data(value, secrets):
    """``mask_secrets`` over a JSON-like structure (permission objects, error payloads)."""
    if isinstance(value, dict):
        return dict((k, mask_data(v, secrets)) for k, v in value.items())
    if isinstance(value, list):
        return [mask_data(v, secrets) for v in value]
    if isinstance(value, str):
        return mask_secrets(value, secrets)
    return value


def _as_code(value):
    """Envelope codes come as ints, digit strings or not at all."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def parse_retry_after(value, now=None):
    """Seconds to wait from a ``Retry-After`` header: delta seconds or an HTTP date."""
    if value is None:
        return None
    text = str(value).strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None or when.tzinfo is None:
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)
        seconds = max(seconds, 0.0)
    if seconds < 0:
        return None
    return min(seconds, MAX_RETRY_AFTER)


def backoff_delay(attempt, base, rand=random.random):
    """Delay before retry number ``attempt`` (1-based): exponential, capped, with jitter.

    The jitter keeps parallel forks of one play from retrying in lockstep against a
    rate-limited gateway; the lower half is kept so a retry never comes immediately.
    """
    ceiling = min(MAX_BACKOFF, base * (2 ** (attempt - 1)))
    return ceiling * (0.5 + rand() / 2)


def decode_body(content, headers):
    """Body bytes as text: the declared charset, else UTF-8 (JSON's encoding).

    Guessing (what ``requests`` does without a charset) turns Chinese server messages into
    mojibake, and ``text/*`` would default to Latin-1.
    """
    charset = "utf-8"
    for part in (_header(headers, "Content-Type") or "").split(";")[1:]:
        key, dummy, value = part.strip().partition("=")
        if key.lower() == "charset" and value.strip(" \"'"):
            charset = value.strip(" \"'")
    try:
        return (content or b"").decode(charset, errors="replace")
    except LookupError:
        return (content or b"").decode("utf-8", errors="replace")


def _header(headers, name):
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def _excerpt(body_text, redact):
    """The start of a body for a message: redacted whole first, so a cut never leaves half a secret."""
    return redact((body_text or "").strip())[:EXCERPT_CHARS]


def parse_reply(api, http_status, headers, body_text, path, redact=lambda text: text):
    """Turn one HTTP answer into a ``Reply`` or raise ``ApiError``/``ReplyError``.

    Accepted dialects: ESB (``code``/``message``/``request_id``), raw CMDB
    (``bk_error_code``/``bk_error_msg``), and API-gateway errors (non-200 with ``code``,
    ``code_name`` and ``X-Bkapi-Error-*`` headers, request id in ``X-Bkapi-Request-Id``).
    Success needs a 2xx status, ``result: true`` and code 0 (``code`` or ``bk_error_code``),
    as every ESB and CMDB success carries both; ``data`` may be anything, including null or
    ``"success"``. A body with only one of the two is not trusted either way: after a write
    it may hide a failure, so callers read the state back. ``redact`` is applied to raw body
    text before it is shortened for a message.
    """
    header_request_id = _header(headers, "X-Bkapi-Request-Id") or _header(headers, "X-Request-Id")
    retry_after = parse_retry_after(_header(headers, "Retry-After"))
    if 300 <= http_status < 400:
        raise ReplyError(api, http_status, path, _header(headers, "Content-Type"), _excerpt(body_text, redact),
                         request_id=header_request_id,
                         what="a redirect to %s, which is not followed because the request carries the credentials"
                              % (_header(headers, "Location") or "(no Location header)"))
    try:
        body = json.loads(body_text) if body_text and body_text.strip() else None
    except ValueError:
        body = None
    header_code = _as_code(_header(headers, "X-Bkapi-Error-Code"))
    if not isinstance(body, dict) and header_code not in (None, 0):
        # The API gateway names its error in headers, whatever the body (some proxies empty it).
        raise ApiError(api, header_code, _header(headers, "X-Bkapi-Error-Message"), request_id=header_request_id,
                       http_status=http_status, retry_after=retry_after)
    if not isinstance(body, dict):
        excerpt = _excerpt(body_text, redact)
        raise ReplyError(api, http_status, path, _header(headers, "Content-Type"), excerpt,
                         request_id=header_request_id, retry_after=retry_after)

    result = body.get("result")
    raw_code = body["code"] if "code" in body else body.get("bk_error_code")
    code = _as_code(raw_code)
    if code is None:
        code = header_code
    message = body["message"] if "message" in body else body.get("bk_error_msg")
    if message is None:
        message = _header(headers, "X-Bkapi-Error-Message")
    request_id = body.get("request_id") or header_request_id
    permission = body.get("permission")

    ok_status = 200 <= http_status < 300
    positive = result is True and code == 0
    negative = result is False or (code not in (None, 0))
    if ok_status and positive and not negative:
        return Reply(body.get("data"), request_id, message)

    if ok_status and not negative:
        # Neither success nor failure (no result/code, or "result": "true"): like an
        # unreadable page, it may follow a completed write, so callers must check.
        raise ReplyError(api, http_status, path, _header(headers, "Content-Type"), _excerpt(body_text, redact),
                         request_id=request_id, retry_after=retry_after,
                         what="a JSON body that is neither a success nor a failure envelope "
                              "(a success has result true and code 0, a failure result false or a non-zero code)")
    note = None
    if result is True and code not in (None, 0):
        note = "the reply said result true with a non-zero code; treated as a failure"
    if message is None and not ok_status:
        # A proxy's or framework's own JSON error ({"detail": ...}) is all the user gets.
        message = _excerpt(body_text, redact)
    raise ApiError(
        api, code, message if message is None else str(message), request_id=request_id,
        permission=permission if isinstance(permission, dict) else None,
        http_status=http_status, code_name=body.get("code_name"), retry_after=retry_after, note=note,
    )


def _causes(exc):
    """``exc`` and every exception behind it (requests wraps urllib3 wraps ssl/socket errors)."""
    seen = set()
    pending = [exc]
    while pending:
        current = pending.pop()
        # ``reason`` is an exception on urllib3 errors but may be a plain string elsewhere.
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        pending.append(getattr(current, "reason", None))
        pending.append(current.__cause__)
        pending.append(current.__context__)
        pending.extend(arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException))


def _never_connected(exc):
    """True when the request surely never reached a server (refused, DNS, connect timeout)."""
    never = (urllib3.exceptions.NewConnectionError, urllib3.exceptions.ConnectTimeoutError, requests.exceptions.ConnectTimeout)
    return any(isinstance(cause, never) for cause in _causes(exc))


def _certificate_rejected(exc):
    """True when TLS failed on the server's certificate, not on the handshake itself.

    Only then do ``ca_path`` and ``validate_certs`` help; a plain-HTTP server behind an
    ``https://`` URL fails the handshake (WRONG_VERSION_NUMBER) whatever they say.
    """
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        if "CERTIFICATE_VERIFY_FAILED" in str(cause) or "certificate verify failed" in str(cause):
            return True
    return False


class EsbClient:
    """Calls ESB components with one reused session; retries what is safe to retry.

    ``warn`` receives one line per retry (the module passes ``module.warn``); ``sleep`` and
    ``rand`` are injectable so tests need not wait.
    """

    def __init__(self, base_url, app_code, app_secret, username=None, token=None,
                 supplier_account="0", validate_certs=True, ca_path=None, timeout=30.0,
                 retries=3, retry_delay=1.0, warn=None, sleep=time.sleep, rand=random.random,
                 session=None):
        self.base_url = base_url.rstrip("/")
        self.auth = {"bk_app_code": app_code, "bk_app_secret": app_secret}
        # ESB checks bk_token before bk_username and rejects an invalid token even when a
        # username is present, so only what was really given is sent, never an empty token.
        if token:
            self.auth["bk_token"] = token
        elif username:
            self.auth["bk_username"] = username
        self.supplier_account = supplier_account
        self.timeout = timeout
        self.retries = retries
        self.retry_delay = retry_delay
        self.secrets = [s for s in (app_secret, token) if s]
        self._warn = warn or (lambda message: None)
        self._sleep = sleep
        self._rand = rand
        self.session = session or requests.Session()
        # ca_path wins over validate_certs: a private CA is the way to keep verification on.
        # It is passed with every request, because requests lets REQUESTS_CA_BUNDLE and
        # CURL_CA_BUNDLE override a session-level setting, and many CI and AWX images set them.
        self.verify = ca_path if ca_path else validate_certs
        self.session.verify = self.verify
        self.session.headers.update({"Content-Type": "application/json", "Accept": "application/json",
                                     "User-Agent": USER_AGENT})
        self.request_ids = []
        # Every API a request was sent to, in order: what a caller may have changed.
        self.apis_called = []

    def url_for(self, api):
        return self.base_url + ESB_PATH % api

    def call(self, api, payload, retry=True, label=None):
        """Call ``api`` with ``payload`` (credentials added) and return its ``Reply``.

        Retries retryable failures up to ``retries`` times. With ``retry=False`` (writes) every
        failure is raised at once: the caller owns the retries, so that it can read the state
        back after an ambiguous failure and spend one budget across both kinds. ``label`` says
        which part of the task the call is, in retry warnings.
        """
        attempt = 0
        while True:
            try:
                return self._call_once(api, payload)
            except (ApiError, ReplyError, TransportError) as error:
                if not retry or not error.retryable or attempt >= self.retries:
                    raise
                attempt += 1
                self.wait_before_retry(api, attempt, error, label)

    def warn(self, message):
        self._warn(mask_secrets(message, self.secrets))

    def wait_before_retry(self, api, attempt, error, label=None):
        """Warn once and sleep before retry ``attempt``; ``Retry-After`` is a floor.

        The label makes each warning distinct: Ansible shows a repeated warning only once.
        """
        delay = backoff_delay(attempt, self.retry_delay, self._rand)
        if error.retry_after is not None:
            delay = max(delay, error.retry_after)
        where = " (%s)" % label if label else ""
        self.warn("%s%s: retry %d of %d in %.1f s after: %s" % (api, where, attempt, self.retries, delay, error))
        self._sleep(delay)

    def _call_once(self, api, payload):
        body = dict(payload)
        body.setdefault("bk_supplier_account", self.supplier_account)
        body.update(self.auth)
        url = self.url_for(api)
        self.apis_called.append(api)
        try:
            # Redirects are not followed: the credentials travel in the body, and requests would
            # send them again to wherever a Location header points, over plain http too.
            response = self.session.post(url, data=json.dumps(body), timeout=self.timeout, verify=self.verify,
                                         allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            raise self._transport_error(api, url, exc)
        except (OSError, ValueError) as exc:
            # requests checks ca_path only when it opens the connection.
            raise TransportError(api, "%s: cannot call %s: %s" % (api, url, mask_secrets(str(exc), self.secrets)),
                                 retryable=False, ambiguous=False)
        path = urlparse(url).path
        # Parse first, mask after: masking the raw text could break the JSON itself.
        try:
            reply = parse_reply(api, response.status_code, response.headers, decode_body(response.content, response.headers), path,
                                redact=lambda text: mask_secrets(text, self.secrets))
        except (ApiError, ReplyError) as error:
            self._remember(error.request_id)
            raise self._masked(error)
        self._remember(reply.request_id)
        return reply

    def _masked(self, error):
        error.message = mask_secrets(error.message, self.secrets)
        error.args = (error.message,)
        if isinstance(error, ApiError):
            error.server_message = mask_secrets(error.server_message, self.secrets)
            error.permission = mask_data(error.permission, self.secrets)
        return error

    def _remember(self, request_id):
        if request_id:
            self.request_ids.append(request_id)

    def _transport_error(self, api, url, exc):
        detail = mask_secrets(str(exc), self.secrets)
        if isinstance(exc, requests.exceptions.SSLError) and _certificate_rejected(exc):
            return TransportError(api, (
                "%s: TLS certificate verification failed for %s: %s. Set ca_path to the CA certificate "
                "that signed the server's certificate, or validate_certs: false to skip verification "
                "(not recommended)" % (api, self.base_url, detail)), retryable=False, ambiguous=False)
        if isinstance(exc, requests.exceptions.SSLError):
            return TransportError(api, (
                "%s: the TLS handshake with %s failed: %s. The server may not speak HTTPS on this port: "
                "check the scheme and port of bk_paas_host (http:// for a plain-HTTP ESB)" % (api, self.base_url, detail)),
                retryable=False, ambiguous=False)
        if isinstance(exc, requests.exceptions.ProxyError):
            return TransportError(api, (
                "%s: could not reach %s through the proxy from the environment (https_proxy/http_proxy; "
                "hosts in no_proxy bypass it): %s" % (api, self.base_url, detail)), retryable=True, ambiguous=False)
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return TransportError(api, "%s: timeout: could not connect to %s within %s s (timeout option)" % (
                api, self.base_url, self.timeout), retryable=True, ambiguous=False)
        if isinstance(exc, requests.exceptions.Timeout):
            return TransportError(api, (
                "%s: timeout: no reply from %s within %s s (timeout option); the server may still have "
                "processed the request" % (api, url, self.timeout)), retryable=True, ambiguous=True)
        if isinstance(exc, requests.exceptions.ConnectionError):
            if _never_connected(exc):
                return TransportError(api, "%s: cannot connect to %s: %s" % (api, self.base_url, detail),
                                      retryable=True, ambiguous=False)
            return TransportError(api, (
                "%s: the connection to %s broke before a reply arrived; the server may still have "
                "processed the request: %s" % (api, self.base_url, detail)), retryable=True, ambiguous=True)
        return TransportError(api, "%s: request to %s failed: %s" % (api, url, detail), retryable=False, ambiguous=True)
