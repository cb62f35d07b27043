# -*- coding: utf-8 -*-
# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Keep in step with plugins/module_utils/connection.py:connection_argument_spec().
    DOCUMENTATION = r"""
options:
  bk_paas_host:
    description:
      - Base URL of the BlueKing PaaS that hosts ESB, for example V(https://paas.example.com).
      - Calls go to C(<bk_paas_host>/api/c/compapi/v2/cc/<api>/). Redirects are not followed,
        because every request carries the credentials; point it at the address ESB answers on.
      - Required. If not set in the task or in C(module_defaults), the value of the
        E(BK_PAAS_HOST) environment variable is used.
    type: str
  bk_app_code:
    description:
      - ESB application code (C(bk_app_code)) registered in BlueKing.
      - Required. If not set in the task or in C(module_defaults), the value of the
        E(BK_APP_CODE) environment variable is used.
    type: str
  bk_app_secret:
    description:
      - Secret of O(bk_app_code). Never shown in results, messages or logs.
      - Required. If not set in the task or in C(module_defaults), the value of the
        E(BK_APP_SECRET) environment variable is used.
    type: str
  bk_username:
    description:
      - BlueKing user the calls are made as. ESB accepts it only for applications it lets
        skip user login; otherwise use O(bk_token).
      - One of O(bk_username) and O(bk_token) is required.
      - If both are set, only O(bk_token) is sent (ESB checks it first) and a warning says so.
      - If neither O(bk_username) nor O(bk_token) is set, the E(BK_USERNAME) and E(BK_TOKEN)
        environment variables are used. Setting either option to a non-empty value (also
        through C(module_defaults)) ignores both variables, so a token left in the environment
        never overrides the user a play chose. An empty or blank value counts as not set.
    type: str
  bk_token:
    description:
      - BlueKing login token of the user the calls are made as. Never shown in results,
        messages or logs. An empty value is not sent.
      - Taken from the E(BK_TOKEN) environment variable only when neither O(bk_username) nor
        O(bk_token) is set.
    type: str
  bk_supplier_account:
    description:
      - Supplier (developer) account of the CMDB data. Almost every installation uses V(0).
    type: str
    default: "0"
  validate_certs:
    description:
      - Verify the server's TLS certificate. Set to V(false) only for tests; prefer O(ca_path)
        for a private CA.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the CA certificate(s) that signed the server's certificate. Used for every
        call of the task; takes precedence over O(validate_certs). A missing file, or one
        without a PEM certificate, fails the task before any call.
      - Without it, the C(requests) library's CA bundle is used, or the file named by the
        E(REQUESTS_CA_BUNDLE) environment variable; E(SSL_CERT_FILE) is not read.
    type: path
  timeout:
    description:
      - Seconds to wait for each HTTP reply, more than V(0) and at most V(3600).
    type: float
    default: 30
  retries:
    description:
      - How many times a call is retried after throttling (HTTP 429, codes 1199997, 1306429,
        1642901-1642904), HTTP 502/503/504, ESB 1306201, connection errors and read timeouts.
      - V(0) turns retries off. At most V(10).
      - Answers that would not change on retry (permission denied, associations, bad input)
        are never retried.
    type: int
    default: 3
  retry_delay:
    description:
      - Base delay in seconds of the exponential backoff between retries. Retry number N waits
        between half and all of O(retry_delay) times 2^(N-1) (random jitter, so parallel jobs do
        not retry in step), at most 30 seconds. A C(Retry-After) header from the server is
        honoured as a minimum, up to 120 seconds.
      - From V(0) to V(60).
    type: float
    default: 1
notes:
  - HTTP proxies are taken from the standard E(https_proxy), E(http_proxy) and E(no_proxy)
    environment variables of the process running the module.
"""
